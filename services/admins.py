"""Making someone admin of an establishment by a rule of the product (rule 9): the first
registrant (once staff validated the establishment's first enrollment and the registrant's
e-mail is verified, in either order), a known training manager, an approved request. One
place writes it, audited."""

from __future__ import annotations

from typing import Any

from models.access import Access
from models.accounts import Account
from models.enrollments import Enrollment
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


async def make_first_registrant_admin(
    establishment_id: int, registrant_email: str, *, by: Account | None, client_address: str = ""
) -> Access | None:
    """Rule 9: staff just validated the first enrollment of the establishment; its registrant
    becomes admin if an account with that address exists and proved it is theirs, and the
    establishment has no admin yet (otherwise its admins decide who else is one). When the
    address is not proven yet, `first_registrant_admin_on_verification` gives it when it is.
    Call inside the transaction of the validation, the establishment locked."""
    account = await Account.get_or_none(email=registrant_email, email_verified_at__isnull=False)
    if account is None:
        return None
    if await Access.exists(establishment_id=establishment_id, role=AccessRole.ADMIN.value):
        return None
    return await make_admin(
        account,
        establishment_id,
        action="access.granted_first_enrollment",
        updated_action="access.updated_first_enrollment",
        by=by,
        client_address=client_address,
    )


async def first_registrant_admin_on_verification(account: Account) -> int:
    """Rule 9, when the e-mail is verified after staff validated the first enrollment: the
    account becomes admin of each establishment that still has no admin and whose first
    validated enrollment was placed with this address. Returns how many it became admin of.
    Call inside the transaction that verifies the address."""
    candidates = await Enrollment.filter(
        registrant_email=account.email,
        validated_at__isnull=False,
        establishment_id__isnull=False,
    ).values_list("establishment_id", flat=True)
    changed = 0
    for establishment_id in sorted(set(candidates)):
        if await Access.exists(establishment_id=establishment_id, role=AccessRole.ADMIN.value):
            continue
        first = (
            await Enrollment.filter(establishment_id=establishment_id, validated_at__isnull=False)
            .order_by("validated_at", "id")
            .first()
            .values_list("registrant_email", flat=True)
        )
        if first != account.email:
            continue
        if await make_admin(
            account,
            establishment_id,
            action="access.granted_first_enrollment",
            updated_action="access.updated_first_enrollment",
        ):
            changed += 1
    return changed
