"""SQLite with reading connections beside the writing one (performance/README.md).

Tortoise's SQLite client has one connection behind one `asyncio.Lock`: every statement of
every request queues behind the statement running, so a small query waits for the 8,000-row
document read of an export (tens of milliseconds), and for the whole of any transaction.

SQLite in WAL mode (Tortoise's default) lets other connections read while one writes, each
read seeing what was committed when it began. So this client keeps Tortoise's connection for
writes and transactions, exactly as before, and sends a plain `SELECT` made outside a
transaction to a free reading connection when there is one. Reads still see every write
committed before them: outside a transaction, Tortoise commits each write as it runs.
Statements inside a transaction never come here (Tortoise gives the transaction its own
client bound to the writing connection), so a transaction reads its own writes.

An in-memory database has no other connection to read from: it keeps the single connection.

Configured by `models.database.tortoise_config` as the engine of `sqlite://` URLs.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tortoise.backends.sqlite.client import SqliteClient

# Reading connections per database. Two: a long read (an export) and a short one run side
# by side; more would only compete for the same two cores and the GIL.
READERS = 2


def _in_memory(file_path: str) -> bool:
    return file_path.startswith(":memory:") or "mode=memory" in file_path


def _is_read(query: str) -> bool:
    return query.lstrip()[:6].upper() == "SELECT"


class SqliteWithReaders(SqliteClient):
    """Tortoise's SQLite client, with plain reads on their own connections."""

    def __init__(self, file_path: str, **kwargs: Any) -> None:
        super().__init__(file_path, **kwargs)
        # query_only last: the pragmas run in order, and journal_mode must come before it.
        pragmas = {"journal_mode": "WAL", **kwargs, "query_only": "ON"}
        name = pragmas.pop("connection_name", "default")
        self.readers: list[SqliteClient] = (
            []
            if _in_memory(file_path)
            else [
                SqliteClient(file_path, connection_name=f"{name}/reader{i}", **pragmas)
                for i in range(READERS)
            ]
        )

    def _reader(self, query: str) -> SqliteClient | None:
        """A reading connection not busy now, or None (the statement goes the usual way)."""
        if not _is_read(query):
            return None
        for reader in self.readers:
            if not reader._lock.locked():
                return reader
        return None

    async def create_connection(self, with_db: bool) -> None:
        await super().create_connection(with_db)
        for reader in self.readers:
            await reader.create_connection(with_db)

    async def close(self) -> None:
        for reader in self.readers:
            await reader.close()
        await super().close()

    async def execute_query(
        self, query: str, values: list[Any] | None = None
    ) -> tuple[int, Sequence[dict[str, Any]]]:
        reader = self._reader(query)
        if reader is not None:
            return await reader.execute_query(query, values)
        return await super().execute_query(query, values)

    async def execute_query_dict(
        self, query: str, values: list[Any] | None = None
    ) -> list[dict[str, Any]]:
        reader = self._reader(query)
        if reader is not None:
            return await reader.execute_query_dict(query, values)
        return await super().execute_query_dict(query, values)


client_class = SqliteWithReaders
