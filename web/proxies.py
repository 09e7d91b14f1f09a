"""Trusted proxies (`TRUSTED_PROXIES`): whose forwarding headers we believe.

Behind a load balancer every request arrives from the balancer's address, and the client's
own address is in `X-Forwarded-For`. That header is believed only when the peer is one of
the trusted proxies (IPs or CIDRs); otherwise anyone could pick the address their attempts
are counted under. The same goes for `X-Request-ID`: only a trusted proxy may set the id a
request is logged under.

Uvicorn's own proxy handling (which trusts 127.0.0.1 by default) is turned off by
`espace serve`; the app does it here, so it behaves the same under any ASGI server.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from ipaddress import IPv4Network, IPv6Network, ip_address, ip_network

from starlette.types import ASGIApp, Receive, Scope, Send
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware


@lru_cache(maxsize=16)
def _networks(trusted: tuple[str, ...]) -> tuple[IPv4Network | IPv6Network, ...]:
    return tuple(ip_network(item, strict=False) for item in trusted)


def is_trusted_peer(scope: Scope, trusted: Sequence[str]) -> bool:
    """Whether the connection's peer (not a forwarded address) is a trusted proxy."""
    client = scope.get("client")
    if not trusted or not client:
        return False
    try:
        peer = ip_address(client[0])
    except ValueError:
        return False
    return any(peer in network for network in _networks(tuple(trusted)))


class ForwardedClientMiddleware:
    """`X-Forwarded-For`/`X-Forwarded-Proto` from trusted proxies become the request's
    client and scheme (uvicorn's implementation, given our list); from anyone else they are
    ignored."""

    def __init__(self, app: ASGIApp, trusted: Sequence[str] = ()) -> None:
        self.app = app
        self.forwarded = (
            ProxyHeadersMiddleware(app, trusted_hosts=list(trusted))  # type: ignore[arg-type]
            if trusted
            else None
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.forwarded is not None and scope["type"] in ("http", "websocket"):
            await self.forwarded(scope, receive, send)  # type: ignore[arg-type]
        else:
            await self.app(scope, receive, send)
