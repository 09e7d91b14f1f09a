"""What every peer shares: the database (same Tortoise configuration and driver as Espace),
the bearer token, the query string's page size and establishment."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request

from bench import fair


@contextlib.asynccontextmanager
async def database(app: Starlette) -> AsyncIterator[None]:
    from tortoise.contrib.starlette import RegisterTortoise

    from models.database import tortoise_config
    from settings import get_settings

    async with RegisterTortoise(app, config=tortoise_config(get_settings().database_url)):
        yield


def token_of(request: Request) -> str:
    header = request.headers.get("authorization", "")
    return header[7:] if header[:7].lower() == "bearer " else ""


async def rights_of_request(request: Request) -> fair.Rights | None:
    from services.login_sessions import hash_token

    token = token_of(request)
    if not token:
        return None
    return await fair.rights_for_token(hash_token(token), datetime.now(UTC))


def page_arguments(request: Request) -> tuple[int | None, int]:
    """`?site=ID&first=N` (the establishment, the page size)."""
    site = request.query_params.get("site")
    return (int(site) if site else None), int(request.query_params.get("first", "50"))


def unauthorized() -> Any:
    from starlette.responses import JSONResponse

    return JSONResponse({"errors": [{"message": "You must be signed in."}]}, status_code=401)
