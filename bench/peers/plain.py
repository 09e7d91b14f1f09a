"""A plain Starlette endpoint: the token looked up, then one page by hand-written SQL with the
same authorization (`bench/fair.py`), JSON by orjson."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bench import fair
from bench.peers import common


def build() -> Starlette:
    async def page(request: Request) -> Response:
        rights = await common.rights_of_request(request)
        if rights is None:
            return common.unauthorized()  # type: ignore[no-any-return]
        site, first = common.page_arguments(request)
        body = await fair.page_json(rights, site, first)
        return Response(body, media_type="application/json")

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with common.database(app):
            yield

    return Starlette(routes=[Route("/page", page)], lifespan=lifespan)
