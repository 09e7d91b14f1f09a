"""The per-request GraphQL context: who is asking, the policy, and the request's loaders."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from strawberry.types import Info as StrawberryInfo

from models.accounts import Account
from policies.engine import Policy, Viewer
from schema.loaders import Loaders
from services.actors import Actor
from services.errors import Unauthenticated
from services.login_sessions import signed_in


@dataclass
class Context:
    """What every resolver gets as `info.context`."""

    request: Request | None
    policy: Policy
    account: Account | None = None
    viewer: Viewer | None = None
    token: str | None = None
    request_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    loaders: Loaders = field(init=False)

    def __post_init__(self) -> None:
        self.loaders = Loaders(self.policy, self.viewer)

    @property
    def cache(self) -> dict[str, Any]:
        """The loaders this request created so far, by name (a copy, to inspect them)."""
        return dict(self.loaders.created())

    @property
    def client_address(self) -> str:
        """The client's address: the peer's, or the one a trusted proxy forwarded
        (`web.proxies`), cut to what the columns keep."""
        if self.request is None or self.request.client is None:
            return ""
        return self.request.client.host[:64]

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
    account: Account | None = None
    viewer: Viewer | None = None
    token = bearer_token(request)
    caller = await signed_in(token) if token else None
    if caller is not None:
        account, viewer = caller.account, caller.viewer
    context = Context(
        request=request,
        policy=policy,
        account=account,
        viewer=viewer,
        token=token if caller is not None else None,
    )
    request_id = getattr(request.state, "request_id", None)
    if request_id:
        context.request_id = request_id
    return context
