"""The Starlette application: `/graphql`, `/healthz`, and (documents) `/documents/{id}`.

`create_app()` is the factory. `app` is built on first access (for `uvicorn server:app`), so
importing this module builds nothing: no settings, no policy loaded.
`python server.py` serves it on 127.0.0.1:8000.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.types import ExecutionResult
from tortoise import Tortoise
from tortoise.contrib.starlette import RegisterTortoise

from infra.mail_sender import background_sender
from models.database import ensure_migrated, tortoise_config
from performance import json_encoding
from performance.operation_cache import ParsedOnce, ValidatedOnce
from performance.process import tune_for_serving
from policies.engine import Policy
from policies.reload import with_policy_reload
from schema import build_schema
from schema.context import Context, build_context
from schema.limits import operation_limits
from schema.metrics import GraphQLMetrics
from settings import Settings, get_settings
from web.downloads import download_document
from web.exports import export_enrollments
from web.logs import configure_logging
from web.metrics import metrics_endpoint
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

    async def execute_operation(  # type: ignore[override]
        self,
        request: Request,
        request_adapter: Any,
        request_data: Any,
        context: Context,
        root_value: Any,
        sub_response: Any,
    ) -> Any:
        """Empties the request's loaders once the operation is answered (no subscriptions
        here keep it longer): graphql-core's executor sits in a reference cycle that holds
        the context, so without this everything they loaded (8,000 documents on an export)
        waited for the garbage collector's next full pass, which then took tens of
        milliseconds during which no request of the process moved (bench/RESULTS.md)."""
        try:
            return await super().execute_operation(
                request=request,
                request_adapter=request_adapter,
                request_data=request_data,
                context=context,
                root_value=root_value,
                sub_response=sub_response,
            )
        finally:
            context.cache.clear()

    async def process_result(self, request: Request, result: ExecutionResult) -> Any:
        """The response with its JSON already encoded, a slice at a time (see
        `performance.json_encoding`). Not the first part of an incremental (@defer) response, which
        Strawberry edits after this hook."""
        response = await super().process_result(request, result)
        if type(result) is ExecutionResult:
            return await json_encoding.encoded(response)
        return response

    def encode_json(self, data: object) -> bytes:
        """orjson: about ten times faster than `json.dumps` on a 1,000-row page."""
        return json_encoding.encode_json(data)


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
                    tune_for_serving()
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
        Route("/exports/enrollments.{format}", export_enrollments, methods=["GET"]),
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


_app: Starlette | None = None


def __getattr__(name: str) -> Any:
    """`server.app`, the ASGI application for `uvicorn server:app`, built once when first read."""
    global _app
    if name == "app":
        if _app is None:
            _app = create_app()
        return _app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


if __name__ == "__main__":
    from commands import main

    main(["serve"])
