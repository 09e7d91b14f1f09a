"""Security headers on every response.

The GraphiQL page (dev only, at `/graphql`) loads its scripts and styles from unpkg.com and
runs inline bootstrapping code, so it gets a CSP that allows exactly that. The web front end's
HTML (`web/frontend.py`) gets its own: scripts, styles, images and requests to this origin
only, nothing inline, no frames, no plugins. Every other response is JSON, a script or style
file, or a file download, and gets a CSP that allows nothing. HSTS only in production, where
the service is behind TLS.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

STRICT_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
GRAPHIQL_CSP = (
    "default-src 'self'; "
    "script-src 'self' 'unsafe-inline' https://unpkg.com; "
    "style-src 'self' 'unsafe-inline' https://unpkg.com; "
    "font-src 'self' data: https://unpkg.com; img-src 'self' data:; connect-src 'self'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)
FRONTEND_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; manifest-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)
GRAPHIQL_PATH = "/graphql"
HSTS = "max-age=31536000; includeSubDomains"


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp, *, production: bool) -> None:
        self.app = app
        self.production = production

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("X-Content-Type-Options", "nosniff")
                headers.setdefault("Referrer-Policy", "no-referrer")
                headers.setdefault("X-Frame-Options", "DENY")
                is_html = headers.get("content-type", "").startswith("text/html")
                csp = STRICT_CSP
                if is_html and scope.get("path") == GRAPHIQL_PATH:
                    csp = STRICT_CSP if self.production else GRAPHIQL_CSP
                elif is_html:
                    csp = FRONTEND_CSP
                headers.setdefault("Content-Security-Policy", csp)
                if self.production:
                    headers.setdefault("Strict-Transport-Security", HSTS)
            await send(message)

        await self.app(scope, receive, send_with_headers)
