"""`performance.rows.values_in_slices` reads exactly what awaiting the Tortoise query reads, and
lets other tasks run while it converts a long result (bench/RESULTS.md)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from tortoise import connections

from models.enrollments import Enrollment
from performance import rows
from performance.rows import values_in_slices
from tests import factories
from tests.loop_turns import loop_turns_during

COLUMNS = ("id", "reference", "booked_at", "validated_at", "list_price_total", "seats")


async def _enrollments(count: int) -> None:
    session = await factories.course_session()
    start = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    await Enrollment.bulk_create(
        [
            Enrollment(
                reference=f"ROW-{n:04d}",
                session=session,
                registrant_email=f"r{n}@example.com",
                channel="WEB",
                status="VALIDATED",
                seats=1 + n % 3,
                list_price_total=Decimal("1234.50"),
                net_price_total=Decimal("1234.50"),
                booked_at=start + timedelta(minutes=n),
                expected_validation_by=start + timedelta(days=1),
                validated_at=None if n % 2 else start + timedelta(hours=n),
            )
            for n in range(count)
        ]
    )


@pytest.mark.parametrize("count", [0, 1, rows.SLICE_ROWS, rows.SLICE_ROWS * 2 + 7])
async def test_the_rows_are_those_awaiting_the_query_gives(count: int) -> None:
    await _enrollments(count)
    query = Enrollment.all().order_by("id")

    sliced = await values_in_slices(query.values(*COLUMNS), dict)

    assert sliced == await query.values(*COLUMNS)
    assert len(sliced) == count
    if count:  # converted, not raw database values
        assert isinstance(sliced[0]["booked_at"], datetime)
        assert sliced[0]["booked_at"].tzinfo is not None
        assert isinstance(sliced[0]["list_price_total"], Decimal)


async def test_other_tasks_run_while_a_long_result_is_converted(monkeypatch) -> None:
    await _enrollments(600)
    # The fetch is served from memory after the first one: waiting for the database lets
    # other tasks run too, as often as the wait lasts, which would blur the count.
    database = connections.get("default")
    fetch = database.execute_query
    fetched: dict[Any, list[dict[str, Any]]] = {}

    async def fetch_once(sql: str, values: Any = None) -> tuple[int, list[dict[str, Any]]]:
        key = (sql, tuple(values or ()))
        if key not in fetched:
            fetched[key] = [dict(row) for row in (await fetch(sql, values))[1]]
        return len(fetched[key]), [dict(row) for row in fetched[key]]  # rows get written to

    async def chunks_once(sql: str, values: Any, size: int) -> AsyncIterator[list[Any]]:
        _, read = await fetch_once(sql, values)
        for start in range(0, len(read), size):
            yield read[start : start + size]

    monkeypatch.setattr(database, "execute_query", fetch_once)
    if hasattr(database, "fetch_in_chunks"):  # SQLite reads a chunk at a time
        monkeypatch.setattr(database, "fetch_in_chunks", chunks_once)
    await values_in_slices(Enrollment.all().order_by("id").values(*COLUMNS), dict)

    async def turns_during_read() -> int:
        query = Enrollment.all().order_by("id").values(*COLUMNS)
        turns, read = await loop_turns_during(values_in_slices(query, dict))
        assert len(read) == 600
        return turns

    monkeypatch.setattr(rows, "SLICE_ROWS", 10)
    sliced = await turns_during_read()
    monkeypatch.setattr(rows, "SLICE_ROWS", 10_000)
    whole = await turns_during_read()
    # 60 slices let the competitor run about 60 more times than one single conversion step.
    assert sliced - whole >= 50, (sliced, whole)
