"""Row locks that serialize the changes of one establishment, or the bookings of one account."""

from __future__ import annotations

from tortoise import connections
from tortoise.expressions import F

from models.accounts import Account
from models.companies import Establishment


async def lock_establishment(establishment_id: int) -> None:
    """Serialize every change of this establishment (its accesses, its first enrollment)
    until the transaction ends.

    Call first thing inside the transaction. PostgreSQL locks the row (`SELECT ... FOR
    UPDATE`); SQLite takes the database write lock at once with a no-op UPDATE, so that a
    second writer waits here instead of failing to upgrade its read lock later.
    """
    if connections.get("default").capabilities.dialect == "postgres":
        await Establishment.select_for_update().get(id=establishment_id)
    else:
        await Establishment.filter(id=establishment_id).update(name=F("name"))


async def lock_account(account_id: int) -> None:
    """Serialize the bookings of one account until the transaction ends, so that its limits
    on pending requests hold under concurrent requests (`services.booking_limits`). Take it
    before any establishment lock."""
    if connections.get("default").capabilities.dialect == "postgres":
        await Account.select_for_update().get(id=account_id)
    else:
        await Account.filter(id=account_id).update(full_name=F("full_name"))
