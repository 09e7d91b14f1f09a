"""Every request gets an id: in `request.state.request_id` (copied into the GraphQL context and
error extensions), in the `X-Request-ID` response header, and on each log line it causes.

A well-formed `X-Request-ID` from a trusted proxy (`TRUSTED_PROXIES`, see `web.proxies`) is
kept, so one id follows the request across services; from anyone else, or malformed, it is
replaced by a fresh one (a client must not choose the id its requests are logged under).
One access log line per request.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Sequence

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from web.logs import current_request_id
from web.proxies import is_trusted_peer

logger = logging.getLogger("espace.access")

HEADER = "x-request-id"
_WELL_FORMED = re.compile(r"[A-Za-z0-9._-]{8,64}")


def incoming_request_id(scope: Scope, trusted_proxies: Sequence[str] = ()) -> str:
    """The proxy's id when the peer is a trusted proxy and the id is well formed, else new."""
    if not is_trusted_peer(scope, trusted_proxies):
        return uuid.uuid4().hex
    for name, value in scope.get("headers", ()):
        if name == HEADER.encode():
            candidate = value.decode("latin-1")
            if _WELL_FORMED.fullmatch(candidate):
                return candidate
    return uuid.uuid4().hex


class RequestIdMiddleware:
    """Assigns the request id, echoes it, and logs the request when it is answered."""

    def __init__(self, app: ASGIApp, trusted_proxies: Sequence[str] = ()) -> None:
        self.app = app
        self.trusted_proxies = tuple(trusted_proxies)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = incoming_request_id(scope, self.trusted_proxies)
        scope.setdefault("state", {})["request_id"] = request_id
        token = current_request_id.set(request_id)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message)[HEADER] = request_id
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            logger.info(
                "%s %s %s",
                scope["method"],
                scope["path"],
                status,
                extra={
                    "method": scope["method"],
                    "path": scope["path"],
                    "status": status,
                    "durationMs": round((time.perf_counter() - started) * 1000, 1),
                },
            )
            current_request_id.reset(token)
