"""Locks that serialize the changes of one establishment, the bookings of one account, or
what is stored under one document checksum."""

from __future__ import annotations

from tortoise import connections
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.expressions import F

from models.accounts import Account
from models.companies import Establishment
from models.documents import Document


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


# Advisory lock namespace of document contents (the second key is taken from the checksum).
_CONTENT_LOCK_CLASS = 0x0D0C


async def lock_content(connection: BaseDBAsyncClient, checksum: str) -> None:
    """Serialize, until the transaction ends, everything that publishes or removes the stored
    object `checksum` together with the rows that name it.

    PostgreSQL takes an advisory lock keyed by the checksum; SQLite takes the database write
    lock at once with a no-op UPDATE (any write statement does, whether or not rows match).
    """
    if connection.capabilities.dialect == "postgres":
        key = int(checksum[:8], 16) - 2**31  # a signed 32-bit integer
        await connection.execute_query(
            "SELECT pg_advisory_xact_lock($1, $2)", [_CONTENT_LOCK_CLASS, key]
        )
    else:
        await Document.filter(id=0).using_db(connection).update(checksum=F("checksum"))
