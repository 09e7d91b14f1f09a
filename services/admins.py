"""Making someone admin of an establishment by a rule of the product (rule 9): the first
registrant, a known training manager, an approved request. One place writes it, audited."""

from __future__ import annotations

from typing import Any

from models.access import Access
from models.accounts import Account
from models.enums import AccessRole
from services import audit


def access_snapshot(access: Access, email: str) -> dict[str, Any]:
    """What the audit log records of an access, before or after a change."""
    return {"account": email, "role": access.role, "documentKinds": list(access.document_kinds)}


async def make_admin(
    account: Account,
    establishment_id: int,
    *,
    action: str,
    updated_action: str | None = None,
    by: Account | None = None,
    client_address: str = "",
) -> Access | None:
    """Give `account` ADMIN on the establishment, raising an existing standard access.

    Returns the access when something changed, None when it already was admin. The audit
    entry is `action` (or `updated_action` when an existing access was raised). Call inside
    the transaction of the change that causes it.
    """
    access = await Access.get_or_none(account_id=account.id, establishment_id=establishment_id)
    if access is not None and access.role == AccessRole.ADMIN.value:
        return None
    if access is None:
        before = None
        access = await Access.create(
            account=account,
            establishment_id=establishment_id,
            role=AccessRole.ADMIN.value,
            document_kinds=[],
            granted_by=by,
        )
    else:
        before = access_snapshot(access, account.email)
        access.role = AccessRole.ADMIN.value
        access.document_kinds = []
        await access.save(update_fields=["role", "document_kinds", "updated_at"])
    await audit.record(
        action if before is None or updated_action is None else updated_action,
        actor=by,
        actor_email="" if by is not None else "system",
        target_type="Access",
        target_id=access.id,
        establishment_id=establishment_id,
        before=before,
        after=access_snapshot(access, account.email),
        client_address=client_address,
    )
    return access
