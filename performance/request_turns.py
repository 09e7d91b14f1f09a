"""Registers each HTTP request with `performance.turns`, so that long requests give way to
short ones at their slice boundaries."""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from performance import turns


class RequestTurnsMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        with turns.request():
            await self.app(scope, receive, send)
