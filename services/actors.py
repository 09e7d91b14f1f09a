"""Who is acting in a use case that changes something."""

from __future__ import annotations

from dataclasses import dataclass

from models.accounts import Account
from policies.engine import Viewer


@dataclass(frozen=True)
class Actor:
    """Who is acting: the policy's view of them, their account (for the audit log) and the
    address the request came from."""

    viewer: Viewer
    account: Account
    client_address: str = ""
