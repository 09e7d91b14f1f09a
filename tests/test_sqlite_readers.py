"""`performance.sqlite_readers`: on SQLite, plain reads run on their own connections beside the
writing one (performance/README.md).

Which connection ran a statement is seen by SQLite itself (a trace callback on each of the
three connections), and what a read may see or wait for is proved with real concurrent tasks:

- the test database has two query-only readers; a plain SELECT outside a transaction goes to
  a free reader, every write to the writing connection, and a read finding both readers busy
  goes to the writing connection;
- a row written outside a transaction is seen by the very next read;
- a transaction reads its own uncommitted writes, while a read from another task at the same
  moment sees only committed data and does not wait for the transaction to end;
- errors are Tortoise's, an in-memory database has no readers, `close()` closes the readers.

Only for SQLite: a PostgreSQL run skips the whole module.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import pytest
from tortoise import connections
from tortoise.backends.sqlite.client import SqliteClient
from tortoise.exceptions import OperationalError
from tortoise.transactions import in_transaction

from models.companies import Company
from performance.sqlite_readers import READERS, SqliteWithReaders
from tests.conftest import IS_POSTGRES

pytestmark = pytest.mark.skipif(IS_POSTGRES, reason="SQLite's reading connections only")

SELECT_COMPANIES = 'SELECT "id", "name" FROM "company" ORDER BY "id"'
T = TypeVar("T")
GUARD_SECONDS = 10  # not a measure: fails a test that would otherwise hang on a lock


def database() -> SqliteWithReaders:
    connection = connections.get("default")
    assert isinstance(connection, SqliteWithReaders)
    return connection


Traced = dict[str, list[str]]


@pytest.fixture
async def traced() -> AsyncIterator[Traced]:
    """The statements SQLite runs on the writing connection and on each reader."""
    db = database()
    await db.create_connection(with_db=True)  # the writer and both readers, once
    clients = {"writer": db, **{f"reader{i}": reader for i, reader in enumerate(db.readers)}}
    seen: Traced = {name: [] for name in clients}
    for name, client in clients.items():
        aio = client._connection
        assert aio is not None
        await aio._execute(aio._conn.set_trace_callback, seen[name].append)
    yield seen
    for client in clients.values():
        aio = client._connection
        await aio._execute(aio._conn.set_trace_callback, None)


def where(seen: Traced, fragment: str) -> list[str]:
    """The connections that ran a statement containing `fragment`."""
    return [name for name, statements in seen.items() if any(fragment in s for s in statements)]


async def companies(count: int) -> list[dict[str, Any]]:
    await Company.bulk_create([Company(name=f"Company {n:03d}") for n in range(count)])
    _, found = await database().execute_query(SELECT_COMPANIES)
    return [dict(row) for row in found]


def guarded(work: Awaitable[T]) -> Awaitable[T]:
    """`work`, failing instead of hanging if it waits for a lock that is never released."""
    return asyncio.wait_for(work, GUARD_SECONDS)


# -- where statements go ---------------------------------------------------------------------


async def test_the_test_database_has_two_query_only_readers_beside_the_writer() -> None:
    db = database()
    await db.create_connection(with_db=True)
    assert len(db.readers) == READERS == 2
    for reader in db.readers:
        assert reader.filename == db.filename
        _, answer = await reader.execute_query("PRAGMA query_only")
        assert answer[0][0] == 1
        _, journal = await reader.execute_query("PRAGMA journal_mode")
        assert journal[0][0] == "wal"
    _, answer = await db.execute_query("PRAGMA query_only")  # not a SELECT: the writer
    assert answer[0][0] == 0


async def test_a_select_goes_to_a_free_reader_and_writes_to_the_writing_connection(
    traced: Traced,
) -> None:
    company = await Company.create(name="Written")
    await Company.filter(id=company.id).update(name="Updated")
    assert where(traced, 'INSERT INTO "company"') == ["writer"]
    assert where(traced, 'UPDATE "company"') == ["writer"]

    found = await Company.filter(name="Updated").values_list("id", flat=True)
    assert found == [company.id]
    assert where(traced, "\"name\"='Updated'") == ["writer", "reader0"]  # the UPDATE; the read
    assert len([s for s in traced["reader0"] if s.startswith("SELECT")]) == 1

    rows_ = await database().execute_query_dict("SELECT 'through execute_query_dict' AS a")
    assert rows_ == [{"a": "through execute_query_dict"}]
    assert where(traced, "through execute_query_dict") == ["reader0"]


async def test_a_select_finding_a_reader_busy_takes_the_other_and_both_busy_the_writer(
    traced: Traced,
) -> None:
    db = database()
    async with db.readers[0]._lock:
        await guarded(db.execute_query("SELECT 'first reader busy'"))
        async with db.readers[1]._lock:
            await guarded(db.execute_query("SELECT 'both readers busy'"))
    await guarded(db.execute_query("SELECT 'both free again'"))
    assert where(traced, "first reader busy") == ["reader1"]
    assert where(traced, "both readers busy") == ["writer"]
    assert where(traced, "both free again") == ["reader0"]


async def test_a_row_written_outside_a_transaction_is_seen_by_the_next_read(
    traced: Traced,
) -> None:
    for n in range(20):
        company = await Company.create(name=f"Just written {n}")
        again = await Company.get(id=company.id)
        assert again.name == f"Just written {n}"
        assert await Company.filter(name__startswith="Just written").count() == n + 1
    # The reads went to a reader, not to the connection that wrote.
    assert where(traced, 'FROM "company" WHERE "id"=') == ["reader0"]
    assert where(traced, "COUNT(*)") == ["reader0"]


async def test_a_transaction_reads_its_own_writes_and_other_reads_neither_see_nor_wait_for_them(
    traced: Traced,
) -> None:
    db = database()
    events: list[tuple[str, Any]] = []
    transaction_open = asyncio.Event()

    async def read_elsewhere() -> None:
        # Created before the transaction: this task reads outside it, as another request.
        await transaction_open.wait()
        events.append(("other task reads", await Company.filter(name="Uncommitted").exists()))

    other = asyncio.create_task(read_elsewhere())
    async with in_transaction():
        await Company.create(name="Uncommitted")
        events.append(("transaction reads", await Company.filter(name="Uncommitted").exists()))
        assert db._lock.locked()  # the transaction holds the writing connection
        transaction_open.set()
        await guarded(asyncio.shield(other))
        events.append(("commit", None))
    events.append(("after the commit", await Company.filter(name="Uncommitted").exists()))

    assert events == [
        ("transaction reads", True),
        ("other task reads", False),
        ("commit", None),
        ("after the commit", True),
    ]
    exists = 'SELECT 1 FROM "company" WHERE "name"=\'Uncommitted\''
    # On the writer the read in the transaction; on a reader the other task's and the last.
    assert [len([s for s in traced[name] if s.startswith(exists)]) for name in traced] == [1, 2, 0]


async def test_a_reader_refuses_to_write() -> None:
    reader = database().readers[0]
    with pytest.raises(OperationalError, match="readonly"):
        await reader.execute_query(
            'INSERT INTO "company" ("name", "created_at") VALUES (?, ?)',
            ["Sneaked in", datetime.now(UTC).isoformat()],
        )
    assert not reader._lock.locked()
    assert await Company.all().count() == 0


def test_an_in_memory_database_has_no_readers_and_a_file_has_them(tmp_dir: Path) -> None:
    assert SqliteWithReaders(":memory:", connection_name="x").readers == []
    on_file = SqliteWithReaders(str(tmp_dir / "x.sqlite3"), connection_name="x")
    assert len(on_file.readers) == READERS
    assert all(r.pragmas["query_only"] == "ON" for r in on_file.readers)


async def test_close_closes_the_readers_too(tmp_dir: Path) -> None:
    client = SqliteWithReaders(str(tmp_dir / "closing.sqlite3"), connection_name="closing")
    await client.create_connection(with_db=True)
    await client.execute_script("CREATE TABLE t (a INTEGER)")
    await client.execute_query("INSERT INTO t VALUES (7)")
    assert (await client.execute_query_dict("SELECT a FROM t")) == [{"a": 7}]
    assert client._connection is not None
    assert all(reader._connection is not None for reader in client.readers)

    try:
        await client.close()

        assert client._connection is None
        assert [reader._connection for reader in client.readers] == [None] * READERS
    finally:  # whatever happened, no connection thread left to keep the run from ending
        for each in [client, *client.readers]:
            await SqliteClient.close(each)
