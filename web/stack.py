"""The HTTP middleware around the app, outermost first."""

from __future__ import annotations

from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware

from settings import Settings
from web.body_limit import BodyLimitMiddleware
from web.proxies import ForwardedClientMiddleware
from web.request_id import RequestIdMiddleware
from web.security_headers import SecurityHeadersMiddleware
from web.transport_errors import PREFLIGHT_HEADERS


def http_middleware(settings: Settings) -> list[Middleware]:
    """Request id first (so even a refused request has one in its log line and headers; it
    looks at the real peer, before forwarded headers are applied), then the client address
    forwarded by trusted proxies, security headers and CORS on every answer, then the body
    size limit."""
    return [
        Middleware(RequestIdMiddleware, trusted_proxies=settings.trusted_proxies),
        Middleware(ForwardedClientMiddleware, trusted=settings.trusted_proxies),
        Middleware(SecurityHeadersMiddleware, production=not settings.is_dev),
        Middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "OPTIONS"],
            allow_headers=[
                "Authorization",
                "Content-Type",
                "X-Request-ID",
                *PREFLIGHT_HEADERS,  # uploads carry one (web.transport_errors)
            ],
            expose_headers=["X-Request-ID", "Retry-After"],
            max_age=600,
        ),
        Middleware(BodyLimitMiddleware),
    ]
