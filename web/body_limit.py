"""Request bodies over 1 MB are refused with 413 before the app parses them.

File uploads (multipart/form-data) may be larger: a document of up to
`services.documents.MAX_UPLOAD_BYTES` plus room for the other form fields, so that a file
just over the document limit reaches the upload check and gets its clear BAD_USER_INPUT,
while a huge body is still cut off here. The limit holds for chunked bodies too: bytes are
counted as they arrive, not only read from Content-Length.
"""

from __future__ import annotations

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.documents import MAX_UPLOAD_BYTES as MAX_DOCUMENT_BYTES
from web.transport_errors import error_response

MAX_BODY_BYTES = 1024 * 1024
MULTIPART_MARGIN_BYTES = 1024 * 1024
MAX_UPLOAD_BYTES = MAX_DOCUMENT_BYTES + MULTIPART_MARGIN_BYTES


class BodyTooLarge(Exception):
    pass


def _header(scope: Scope, name: bytes) -> str:
    for key, value in scope.get("headers", ()):
        if key == name:
            return value.decode("latin-1")
    return ""


def body_limit(scope: Scope) -> int:
    content_type = _header(scope, b"content-type").split(";")[0].strip().lower()
    return MAX_UPLOAD_BYTES if content_type == "multipart/form-data" else MAX_BODY_BYTES


def too_large(limit: int) -> JSONResponse:
    return error_response(
        f"Request body larger than {limit} bytes.", 413, "BAD_USER_INPUT", limit=limit
    )


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = body_limit(scope)
        declared = _header(scope, b"content-length")
        if declared.isdigit() and int(declared) > limit:
            await too_large(limit)(scope, receive, send)
            return

        received = 0
        response_started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal response_started
            if message["type"] == "http.response.start":
                response_started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except BodyTooLarge:
            if response_started:
                raise
            await too_large(limit)(scope, receive, send)
