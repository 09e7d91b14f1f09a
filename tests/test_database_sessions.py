"""A PostgreSQL connection given back to the pool is not reset by a second round trip
(`models.database.keep_session_state`, issue 20), and nothing in Espace leaves session state
that a reset would have cleaned up.

Tortoise takes a pool connection for each statement; asyncpg's default reset sent
`SELECT pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL;` after every one of
them, doubling the round trips of a request.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from tortoise import connections

from tests.conftest import IS_POSTGRES

PROJECT = Path(__file__).resolve().parents[1]
PRODUCT = ("models", "services", "schema", "web", "infra", "policies", "performance", "commands")

postgres_only = pytest.mark.skipif(not IS_POSTGRES, reason="PostgreSQL's connection pool")


async def _backend_state(setting: str) -> tuple[int, str]:
    """The backend process id and a setting's value, on a connection of the app's pool."""
    client = connections.get("default")
    async with client.acquire_connection() as connection:
        return await connection.fetchval("SELECT pg_backend_pid()"), await connection.fetchval(
            f"SHOW {setting}"
        )


@postgres_only
async def test_a_connection_comes_back_from_the_pool_without_a_reset_round_trip() -> None:
    """A session setting changed on a connection is still there when the pool hands the same
    connection out again: no `RESET ALL` was sent in between."""
    client = connections.get("default")
    async with client.acquire_connection() as connection:
        pid = await connection.fetchval("SELECT pg_backend_pid()")
        await connection.execute("SET application_name = 'left-by-the-last-statement'")
    seen = {await _backend_state("application_name") for _ in range(8)}
    assert (pid, "left-by-the-last-statement") in seen
    # Put it back for the tests that follow on this connection.
    async with client.acquire_connection() as connection:
        await connection.execute("RESET application_name")


@postgres_only
async def test_an_open_transaction_is_still_rolled_back_when_a_connection_is_given_back() -> None:
    """asyncpg rolls back what a statement left open before the pool's reset: a setting made
    for that transaction alone is gone when the connection comes back."""
    client = connections.get("default")
    async with client.acquire_connection() as connection:
        pid = await connection.fetchval("SELECT pg_backend_pid()")
        await connection.execute("BEGIN")
        await connection.execute("SET LOCAL application_name = 'inside-a-transaction'")
    seen = {await _backend_state("application_name") for _ in range(8)}
    assert pid in {backend for backend, _ in seen}
    assert all(name != "inside-a-transaction" for _, name in seen)


@postgres_only
async def test_the_app_s_session_settings_hold_after_many_statements() -> None:
    for _ in range(10):
        _, mode = await _backend_state("plan_cache_mode")
        assert mode == "force_custom_plan"


# Session state a pool reset would have to clean: session-level advisory locks, LISTEN, a
# `SET` outside a transaction (`SET LOCAL` ends with its transaction), a cursor WITH HOLD
# (SQL written in capitals, as everywhere in the code).
SESSION_STATE = re.compile(
    r"pg_advisory_lock(_shared)?\s*\(|\bLISTEN\s|(?<![\w\"'])[\"']\s*SET\s+(?!LOCAL\b)|\bWITH\s+HOLD\b"
)


def test_the_product_leaves_no_session_state_behind() -> None:
    """What makes skipping the reset safe, checked in the code itself: a new use of session
    state must come with a reset that clears it (models/database.py)."""
    found = [
        f"{path.relative_to(PROJECT)}:{number}: {line.strip()}"
        for folder in PRODUCT
        for path in (PROJECT / folder).rglob("*.py")
        if "migrations" not in path.parts
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if SESSION_STATE.search(line)
    ]
    assert not found, found
