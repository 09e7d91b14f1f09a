"""The floor: hand-written SQL and orjson, the rights of one persona resolved at start-up."""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bench import fair
from bench.peers import common

# The persona whose rights the floor serves (its token is resolved once, at the first request).
TOKEN_VARIABLE = "BENCH_FLOOR_TOKEN"


def build() -> Starlette:
    rights: list[fair.Rights] = []

    async def page(request: Request) -> Response:
        if not rights:  # once: this persona's rights
            from datetime import UTC, datetime

            from services.login_sessions import hash_token

            found = await fair.rights_for_token(
                hash_token(os.environ[TOKEN_VARIABLE]), datetime.now(UTC)
            )
            assert found is not None
            rights.append(found)
        site, first = common.page_arguments(request)
        body = await fair.page_json(rights[0], site, first)
        return Response(body, media_type="application/json")

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with common.database(app):
            yield

    return Starlette(routes=[Route("/page", page)], lifespan=lifespan)
