"""The per-request GraphQL context: who is asking, the policy, and the request's loaders."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from strawberry.types import Info as StrawberryInfo

from models.accounts import Account
from policies.engine import Policy, Viewer
from services.actors import Actor
from services.errors import Unauthenticated
from services.login_sessions import session_for_token, viewer_for_account


@dataclass
class Context:
    """What every resolver gets as `info.context`."""

    request: Request | None
    policy: Policy
    account: Account | None = None
    viewer: Viewer | None = None
    token: str | None = None
    request_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    # Per-request memo and loaders, keyed by name; see schema/loaders.py.
    cache: dict[str, Any] = field(default_factory=dict)

    @property
    def client_address(self) -> str:
        if self.request is None or self.request.client is None:
            return ""
        return self.request.client.host

    def require_viewer(self) -> Viewer:
        if self.viewer is None:
            raise Unauthenticated()
        return self.viewer

    def require_account(self) -> Account:
        if self.account is None:
            raise Unauthenticated()
        return self.account

    def actor(self) -> Actor:
        """The signed-in caller as a use case sees them (UNAUTHENTICATED when anonymous)."""
        return Actor(
            viewer=self.require_viewer(),
            account=self.require_account(),
            client_address=self.client_address,
        )


Info = StrawberryInfo[Context, None]


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return None


async def build_context(request: Request, policy: Policy) -> Context:
    """Identify the caller from `Authorization: Bearer`; an unknown token is anonymous."""
    context = Context(request=request, policy=policy)
    request_id = getattr(request.state, "request_id", None)
    if request_id:
        context.request_id = request_id
    token = bearer_token(request)
    if token:
        session = await session_for_token(token)
        if session is not None:
            context.account = session.account
            context.viewer = await viewer_for_account(session.account)
            context.token = token
    return context
