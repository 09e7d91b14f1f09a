"""Training managers known in our records are admins of their establishments (rule 9)."""

from __future__ import annotations

from models.access import Access, TrainingManager
from models.accounts import Account
from models.enums import AccessRole
from services import audit


async def grant_known_training_manager_accesses(account: Account) -> int:
    """Give `account` ADMIN on every establishment where its e-mail is a known training
    manager; an existing STANDARD access is raised to ADMIN. Returns how many changed.
    Call it inside the transaction that creates the account."""
    establishment_ids = await TrainingManager.filter(email=account.email).values_list(
        "establishment_id", flat=True
    )
    changed = 0
    for establishment_id in establishment_ids:
        access = await Access.get_or_none(account_id=account.id, establishment_id=establishment_id)
        if access is not None and access.role == AccessRole.ADMIN:
            continue
        if access is None:
            access = await Access.create(
                account=account,
                establishment_id=establishment_id,
                role=AccessRole.ADMIN.value,
                document_kinds=[],
            )
            before = None
        else:
            before = {"role": access.role, "documentKinds": access.document_kinds}
            access.role = AccessRole.ADMIN.value
            await access.save(update_fields=["role", "updated_at"])
        if not account.is_training_manager:
            account.is_training_manager = True
            await account.save(update_fields=["is_training_manager", "updated_at"])
        await audit.record(
            "access.granted_training_manager",
            actor_email="system",
            target_type="Access",
            target_id=access.id,
            establishment_id=establishment_id,
            before=before,
            after={"account": account.email, "role": AccessRole.ADMIN.value},
        )
        changed += 1
    return changed
