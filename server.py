"""The Starlette application: `/graphql`, `/healthz`, (documents) `/documents/{id}`, exports,
and the web front end (`frontend/`, served by `web/frontend.py`) at every other page path.

`create_app()` is the factory. `app` is built on first access (for `uvicorn server:app`), so
importing this module builds nothing: no settings, no policy loaded.
`python server.py` serves it on 127.0.0.1:8000.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any

import orjson
from cross_web import HTTPException
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.types import ExecutionResult
from strawberry.types.unset import UNSET
from tortoise import Tortoise
from tortoise.contrib.starlette import RegisterTortoise

from infra import mail_sender
from infra.mail_outbox import watching_queued_mail
from infra.mail_sender import background_sender
from infra.storage import close_storages
from models.database import ensure_migrated, tortoise_config
from performance.operation_cache import ParsedOnce, ValidatedOnce
from performance.process import tune_for_serving
from policies.engine import Policy
from policies.engine.reload import with_policy_reload
from schema import build_schema
from schema.context import Context, build_context
from schema.limits import operation_limits
from schema.metrics import GraphQLMetrics
from services.text import unstorable_character
from settings import Settings, get_settings
from web import graphql_media
from web.downloads import download_document
from web.exports import export_enrollments
from web.frontend import frontend_routes
from web.logs import configure_logging
from web.metrics import metrics_endpoint
from web.policy_review import policy_review_routes
from web.stack import http_middleware
from web.transport_errors import error_response, has_preflight_header

logger = logging.getLogger("espace")


class EspaceGraphQL(GraphQL[Context, None]):
    """Strawberry's ASGI view with our per-request context. Requests it refuses before any
    GraphQL runs (not JSON, batches, cross-site multipart) get a GraphQL error body with
    `extensions.code` (`web.transport_errors`), not Strawberry's plain text."""

    def __init__(self, policy: Policy, settings: Settings, **kwargs: Any) -> None:
        super().__init__(
            build_schema(
                [
                    *operation_limits(settings),
                    *([GraphQLMetrics] if settings.metrics_enabled else []),
                    *(
                        [
                            ParsedOnce,  # after the token limit, which sets the parse options
                            ValidatedOnce,  # after the extensions adding validation rules
                        ]
                        if settings.espace_operation_caches
                        else []
                    ),
                ],
                standard_execution=settings.espace_standard_execution,
            ),
            graphql_ide="graphiql" if settings.is_dev else None,
            allow_queries_via_get=settings.is_dev,
            multipart_uploads_enabled=True,
            **kwargs,
        )
        self.policy = policy

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        response: Response
        try:
            response = await self.run(Request(scope=scope, receive=receive))
        except HTTPException as error:
            response = error_response(error.reason, error.status_code)
        await response(scope, receive, send)

    async def parse_http_body(self, request: Any) -> Any:
        """Refuses a multipart request without a preflight-forcing header (it could come
        from a form on another site, see `web.transport_errors`)."""
        content_type = (request.content_type or "").split(";")[0].strip().lower()
        if content_type == "multipart/form-data" and not has_preflight_header(request.headers):
            raise HTTPException(
                400,
                "Multipart requests must carry an Apollo-Require-Preflight (or "
                "X-Apollo-Operation-Name) header.",
            )
        data = await super().parse_http_body(request)
        name = getattr(data, "operation_name", None)
        if name is not None and (not isinstance(name, str) or unstorable_character(name)):
            raise HTTPException(400, "The operationName must be a string naming an operation.")
        return data

    def parse_json(self, data: str | bytes) -> Any:
        """A JSON object (or a batch, refused later); anything else, including bytes that
        are not UTF-8 or a bare number, is a 400 with a GraphQL error body, not a 500."""
        try:
            parsed = self.decode_json(data)
        except ValueError as error:  # JSONDecodeError, UnicodeDecodeError
            raise HTTPException(400, "Unable to parse request body as JSON") from error
        if not isinstance(parsed, dict | list):
            raise HTTPException(400, "The request body must be a JSON object.")
        return parsed

    async def get_context(self, request: Request | WebSocket, response: Any) -> Any:
        assert isinstance(request, Request)
        return await build_context(request, self.policy)

    async def execute_operation(
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
        milliseconds during which no request of the process moved (bench/RESULTS.md).

        It also wakes the mail sender when the operation queued mail: the mail leaves at
        once instead of at the sender's next poll (the outbox still retries failures)."""
        with watching_queued_mail() as queued:
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
                context.loaders.clear()
                if queued:  # committed by now: let the sender deliver them at once
                    mail_sender.wake()

    async def process_result(self, request: Request, result: ExecutionResult) -> Any:
        """Notes whether the request itself failed (parse, validation), which
        `application/graphql-response+json` answers without `data` and with 400."""
        response = await super().process_result(request, result)
        # A parse or validation failure comes as a `PreExecutionError`, a subclass.
        request_error = graphql_media.is_request_error(result)
        request.state.request_errors = [
            *getattr(request.state, "request_errors", ()),
            request_error,
        ]
        if request_error and _wants_graphql_response(request):
            response = graphql_media.without_data(dict(response))  # type: ignore[assignment]
        return response

    async def run(
        self,
        request: Request | WebSocket,
        context: Any = UNSET,
        root_value: Any = UNSET,
    ) -> Any:
        """Answers under `application/graphql-response+json` the clients that ask for it,
        with 400 for a single operation that could not be executed (see web.graphql_media)."""
        response = await super().run(request, context, root_value)
        if (
            isinstance(request, Request)
            and isinstance(response, Response)
            and _wants_graphql_response(request)
            and response.headers.get("content-type", "").startswith(graphql_media.JSON)
        ):
            response.headers["content-type"] = graphql_media.GRAPHQL_RESPONSE_CONTENT_TYPE
            if getattr(request.state, "request_errors", None) == [True]:
                response.status_code = 400
        return response

    def encode_json(self, data: object) -> bytes:
        """orjson: about ten times faster than `json.dumps` on a long page."""
        return orjson.dumps(data)


def _wants_graphql_response(request: Request) -> bool:
    return graphql_media.wants_graphql_response(request.headers.get("accept"))


async def healthz(request: Request) -> Response:
    """200 when the database answers, 503 otherwise. In development, also the policy
    generation in force and the last edit hot reload refused (`espace policy status`)."""
    extra: dict[str, object] = {}
    if request.app.state.settings.is_dev:
        extra["policy"] = request.app.state.policy.status()
    try:
        connection = Tortoise.get_connection("default")
        await connection.execute_query("SELECT 1")
    except Exception:
        logger.exception("health check failed")
        return JSONResponse({"status": "unavailable", "database": "down", **extra}, status_code=503)
    return JSONResponse({"status": "ok", "database": "up", **extra})


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
                    if settings.espace_tune_process:
                        tune_for_serving()
                    try:
                        yield
                    finally:
                        await close_storages()  # the document store's connections
        else:
            yield

    app_lifespan: Callable[[Any], contextlib.AbstractAsyncContextManager[None]] = lifespan
    if settings.is_dev:  # edited policies/*.polar take effect without a restart
        app_lifespan = with_policy_reload(lifespan, policy)
    graphql = EspaceGraphQL(policy, settings)
    routes: list[BaseRoute] = [
        Route("/graphql", graphql, methods=["GET", "POST"]),
        Route("/healthz", healthz, methods=["GET"]),
        Route("/documents/{id}", download_document, methods=["GET"]),
        Route("/exports/enrollments.{format}", export_enrollments, methods=["GET"]),
    ]
    if settings.metrics_enabled:
        routes.append(Route("/metrics", metrics_endpoint, methods=["GET"]))
    if settings.is_dev:  # the policy reviewers' page reads these; never in production
        routes.extend(policy_review_routes())
    routes.extend(frontend_routes())  # last: its page route catches the remaining paths
    app = Starlette(routes=routes, lifespan=app_lifespan, middleware=http_middleware(settings))
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
