"""The HTTP side of the benchmark, run in its own process by `bench.run`:

    python -m bench.server BENCH_DIR PORT SITE_ID ADMIN_EMAIL

Serves the real application (`/graphql`, `/healthz`) and, next to it, `/plain`: a plain
Starlette endpoint answering the same 50-row page as JSON, built by the hand-written floor.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import AsyncIterator
from pathlib import Path

from bench import environment


def build(site_id: int, admin_email: str):  # type: ignore[no-untyped-def]
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Mount, Route
    from tortoise.contrib.starlette import RegisterTortoise

    from bench.queries import floor_page
    from models.database import tortoise_config
    from performance.process import tune_for_serving
    from policies.engine import Policy
    from server import create_app
    from settings import get_settings

    settings = get_settings()

    async def plain(request: Request) -> Response:
        body = await floor_page(site_id, admin_email, [site_id], None, 50)
        return Response(body, media_type="application/json")

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with RegisterTortoise(app, config=tortoise_config(settings.database_url)):
            tune_for_serving()  # as `espace serve` does
            yield

    espace = create_app(settings, Policy(), manage_database=False)
    return Starlette(
        routes=[Route("/plain", plain), Mount("", app=espace)],
        lifespan=lifespan,
    )


def main() -> None:
    directory, port, site_id, admin_email = sys.argv[1:5]
    environment.prepare(Path(directory))
    import uvicorn

    app = build(int(site_id), admin_email)
    uvicorn.run(app, host="127.0.0.1", port=int(port), log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
