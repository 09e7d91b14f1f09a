"""Training managers known in our records are admins of their establishments (rule 9)."""

from __future__ import annotations

from typing import cast

from models.access import TrainingManager
from models.accounts import Account
from services.admins import make_admin


async def grant_known_training_manager_accesses(account: Account) -> int:
    """Give `account` ADMIN on every establishment where its e-mail is a known training
    manager; an existing STANDARD access is raised to ADMIN. Returns how many changed.
    Call it inside the transaction that creates or verifies the account."""
    # Tortoise types a flat values_list as tuples; it gives the values themselves.
    establishment_ids = cast(
        list[int],
        await TrainingManager.filter(email=account.email).values_list(
            "establishment_id", flat=True
        ),
    )
    changed = 0
    for establishment_id in establishment_ids:
        if await make_admin(account, establishment_id, action="access.granted_training_manager"):
            changed += 1
    if changed and not account.is_training_manager:
        account.is_training_manager = True
        await account.save(update_fields=["is_training_manager", "updated_at"])
    return changed
