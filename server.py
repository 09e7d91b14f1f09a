"""The Starlette application: `/graphql`, `/healthz`, and (documents) `/documents/{id}`.

`create_app()` is the factory; `app` is the ASGI application uvicorn serves.
`python server.py` serves it on 127.0.0.1:8000.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from tortoise import Tortoise
from tortoise.contrib.starlette import RegisterTortoise

from models.database import ensure_migrated, tortoise_config
from policies.engine import Policy
from policies.reload import with_policy_reload
from schema import build_schema
from schema.context import build_context
from schema.downloads import download_document
from schema.limits import operation_limits
from schema.performance import ParsedOnce, ValidatedOnce
from services.mail_sender import background_sender
from settings import Settings, get_settings
from web.logs import configure_logging
from web.metrics import GraphQLMetrics, metrics_endpoint
from web.stack import http_middleware

logger = logging.getLogger("espace")


class EspaceGraphQL(GraphQL):
    """Strawberry's ASGI view with our per-request context."""

    def __init__(self, policy: Policy, settings: Settings, **kwargs: Any) -> None:
        super().__init__(
            build_schema(
                [
                    *operation_limits(settings),
                    *([GraphQLMetrics] if settings.metrics_enabled else []),
                    ParsedOnce,  # after the token limit, which sets the parse options
                    ValidatedOnce,  # after the extensions adding validation rules
                ]
            ),
            graphql_ide="graphiql" if settings.is_dev else None,
            allow_queries_via_get=settings.is_dev,
            multipart_uploads_enabled=True,
            **kwargs,
        )
        self.policy = policy

    async def get_context(self, request: Request | WebSocket, response: Any) -> Any:
        assert isinstance(request, Request)
        return await build_context(request, self.policy)

    def encode_json(self, data: object) -> bytes:
        """orjson: about ten times faster than `json.dumps` on a 1,000-row page (issue 8)."""
        return orjson.dumps(data)


async def healthz(request: Request) -> Response:
    """200 when the database answers, 503 otherwise."""
    try:
        connection = Tortoise.get_connection("default")
        await connection.execute_query("SELECT 1")
    except Exception:
        logger.exception("health check failed")
        return JSONResponse({"status": "unavailable", "database": "down"}, status_code=503)
    return JSONResponse({"status": "ok", "database": "up"})


def create_app(
    settings: Settings | None = None,
    policy: Policy | None = None,
    *,
    manage_database: bool = True,
) -> Starlette:
    """Build the application.

    `manage_database=False` leaves Tortoise to the caller (tests that already opened it).
    """
    settings = settings or get_settings()
    policy = policy or Policy()

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if manage_database:
            async with RegisterTortoise(app, config=tortoise_config(settings.database_url)):
                await ensure_migrated()
                async with background_sender(settings):  # delivers the mail outbox
                    yield
        else:
            yield

    if settings.is_dev:  # edited policies/*.polar take effect without a restart
        lifespan = with_policy_reload(lifespan, policy)
    graphql = EspaceGraphQL(policy, settings)
    routes = [
        Route("/graphql", graphql, methods=["GET", "POST"]),
        Route("/healthz", healthz, methods=["GET"]),
        Route("/documents/{id}", download_document, methods=["GET"]),
    ]
    if settings.metrics_enabled:
        routes.append(Route("/metrics", metrics_endpoint, methods=["GET"]))
    app = Starlette(routes=routes, lifespan=lifespan, middleware=http_middleware(settings))
    app.state.settings = settings
    app.state.policy = policy
    return app


def app_factory() -> Starlette:
    """Entry point for `uvicorn --factory server:app_factory` (and `espace serve`)."""
    configure_logging(get_settings().log_level)
    return create_app()


# The ASGI application, for `uvicorn server:app`.
app = create_app()


if __name__ == "__main__":
    from commands import main

    main(["serve"])
