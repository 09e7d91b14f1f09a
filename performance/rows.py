"""Reading thousands of rows without holding the event loop (bench/RESULTS.md).

Awaiting a Tortoise `.values()` query converts every row (dates, decimals, booleans) in one
synchronous step after the fetch: for the 8,000 documents of a 1,000-row export that is tens
of milliseconds during which no other request of the process moves. `values_in_slices` does
the same conversion a slice of rows at a time, with a slice boundary
(`performance.turns.give_way`) between slices. On SQLite it also fetches the rows a slice
at a time (`performance.sqlite_readers.SqliteWithReaders.fetch_in_chunks`): building them is work
the reading thread does with the GIL, in competition with the event loop's thread.
"""

from __future__ import annotations

import types
from collections.abc import Callable
from typing import Any, TypeVar

from tortoise.queryset import ValuesQuery

from performance import turns

T = TypeVar("T")

# Rows converted before letting other requests run (a fraction of a millisecond of work).
SLICE_ROWS = 50


async def values_in_slices(query: ValuesQuery[Any], make: Callable[[dict[str, Any]], T]) -> list[T]:
    """`make(row)` for each row (a dict) of `query`, the rows converted exactly as awaiting the
    query would convert them (Tortoise's own `ValuesQuery._execute`, sliced)."""
    from settings import get_settings

    if not get_settings().espace_sliced_rows:
        return [make(row) for row in await query]
    query._choose_db_if_not_chosen()
    query._make_query()
    sql, values = query.query.get_parameterized_sql()
    conversions = [
        (alias, to_python)
        for alias, to_python in (
            (alias, query.resolve_to_python_value(query.model, field))
            for alias, field in query._fields_for_select.items()
        )
        # What Tortoise itself skips: identity conversions.
        if not isinstance(to_python, types.LambdaType)
    ]

    def convert(raw: Any) -> T:
        row = dict(raw)
        for alias, to_python in conversions:
            row[alias] = to_python(row[alias])
        return make(row)

    chunks = getattr(query._db, "fetch_in_chunks", None)
    if chunks is None:  # PostgreSQL: asyncpg builds the rows in the event loop, as they arrive
        _, rows = await query._db.execute_query(sql, values)
        return await turns.map_in_slices(convert, rows, SLICE_ROWS)
    made: list[T] = []
    async for chunk in chunks(sql, values, SLICE_ROWS):
        made.extend(map(convert, chunk))
        # Before the next chunk is read: a request waiting here holds no reading thread busy.
        await turns.give_way()
    return made
