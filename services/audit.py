"""Writing to the append-only audit log."""

from __future__ import annotations

from typing import Any

from models.accounts import Account
from models.audit import AuditEntry
from services.actors import Actor


async def record(
    action: str,
    *,
    actor: Account | None = None,
    actor_email: str = "",
    target_type: str = "",
    target_id: int | None = None,
    establishment_id: int | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    client_address: str = "",
) -> AuditEntry:
    """Append one entry. Call it inside the transaction of the change it describes.

    Never pass a password, a token or document contents in `before`/`after`.
    """
    return await AuditEntry.create(
        action=action,
        actor=actor,
        actor_email=actor.email if actor is not None else actor_email,
        target_type=target_type,
        target_id=target_id,
        establishment_id=establishment_id,
        before=before,
        after=after,
        client_address=client_address[:64],
    )


async def record_by(
    actor: Actor,
    action: str,
    target_type: str,
    target_id: int | None,
    *,
    establishment_id: int | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEntry:
    """`record` for a use case's actor: their account, and the address they came from."""
    return await record(
        action,
        actor=actor.account,
        target_type=target_type,
        target_id=target_id,
        establishment_id=establishment_id,
        before=before,
        after=after,
        client_address=actor.client_address,
    )
