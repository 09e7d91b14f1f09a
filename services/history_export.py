"""The enrollment history as CSV or JSON lines, streamed (issue 17).

The same rows as `enrollments(filter:, orderBy:)` for the same viewer: the policy's read
filter, the same criteria, the document kinds the viewer may read. Rows are read a chunk at
a time by keyset (the list's cursors), each chunk written out before the next is read, so
memory stays the same whatever the history's size.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
from collections.abc import AsyncIterator, Callable
from typing import Any

from tortoise.queryset import QuerySet

from models.enrollments import Enrollment
from policies.engine import Policy, Viewer
from services.errors import Forbidden
from services.history import (
    NEWEST_FIRST,
    HistoryFilter,
    Ordering,
    beyond,
    documents_query,
    filtered,
    kind_annotations,
    page_query,
    visible_enrollments,
)

# An export shares its worker with other requests, which run only while it awaits. At 500
# rows a chunk, reading every column `page_rows` builds and a `DocumentRow` per document, a
# chunk held the event loop ~100 ms at a time and a small query next to exports had a p99
# 4-7x its idle one; at 100 rows, reading only what is written, steps of a few ms and 2-3x
# (bench case 6 on PostgreSQL, export time unchanged: ~6.5 s for 20,000 rows).
CHUNK_ROWS = 100
COLUMNS = (
    "reference",
    "status",
    "channel",
    "booked_at",
    "updated_at",
    "establishment_id",
    "registrant_email",
    "registrant_name",
    "course_code",
    "course_title",
    "session_starts_on",
    "session_city",
    "seats",
    "list_price_total",
    "net_price_total",
    "invoiced_total",
    "visible_document_kinds",
    "documents",
)
# What is read of each enrollment: the columns written and the id (the keyset's last key;
# `_rows` adds the sort column if it is not one of these). `page_rows` reads more, for GraphQL.
_READ = (
    "id",
    "reference",
    "status",
    "channel",
    "booked_at",
    "updated_at",
    "establishment_id",
    "registrant_email",
    "registrant_name",
    "session__course__code",
    "session__course__title",
    "session__starts_on",
    "session__city",
    "seats",
    "list_price_total",
    "net_price_total",
    "invoiced_total",
)
Row = dict[str, Any]


def _record(row: Row, kinds: list[str], documents: list[str]) -> dict[str, Any]:
    return {
        "reference": row["reference"],
        "status": row["status"],
        "channel": row["channel"],
        "booked_at": row["booked_at"].isoformat(),
        "updated_at": row["updated_at"].isoformat(),
        "establishment_id": row["establishment_id"],
        "registrant_email": row["registrant_email"],
        "registrant_name": row["registrant_name"],
        "course_code": row["session__course__code"],
        "course_title": row["session__course__title"],
        "session_starts_on": row["session__starts_on"].isoformat(),
        "session_city": row["session__city"],
        "seats": row["seats"],
        "list_price_total": str(row["list_price_total"]),
        "net_price_total": str(row["net_price_total"]),
        "invoiced_total": str(row["invoiced_total"]),
        "visible_document_kinds": kinds,
        "documents": documents,
    }


async def _rows(
    query: QuerySet[Enrollment], annotations: dict[str, Any], limit: int, ordering: Ordering
) -> list[Row]:
    """The next chunk's enrollments as values, chosen as a page's are (`page_query`)."""
    columns = dict.fromkeys((*_READ, ordering.field.value, *annotations))
    return await page_query(query, annotations, limit, ordering.columns()).values(*columns)


async def _documents(policy: Policy, viewer: Viewer, rows: dict[int, Row]) -> dict[int, list[str]]:
    """`kind:filename` of the documents `documents_of` lists for these enrollments, in its
    order: the two columns written, not a `DocumentRow` of nine for each of 800 documents."""
    named: dict[int, list[str]] = {i: [] for i in rows}
    documents = await documents_query(policy, viewer, list(rows), rows).values_list(
        "enrollment_id", "kind", "filename"
    )
    for enrollment_id, kind, filename in documents:
        named[enrollment_id].append(f"{kind}:{filename}")
    return named


def check_may_export(policy: Policy, viewer: Viewer) -> None:
    if not policy.is_allowed(viewer, "export_enrollments", viewer):
        raise Forbidden("Exports are for establishment users and staff.")


async def records(
    policy: Policy,
    viewer: Viewer,
    criteria: HistoryFilter,
    ordering: Ordering = NEWEST_FIRST,
    chunk_rows: int = CHUNK_ROWS,
) -> AsyncIterator[list[dict[str, Any]]]:
    """The history as records, a chunk at a time (one query for the rows and one for their
    documents per chunk). `asyncio.sleep(0)` between the steps lets the worker's other
    requests run in between: no step holds the loop for more than one query's building or
    one chunk's conversion (see `CHUNK_ROWS`)."""
    given = criteria.known()
    base = filtered(policy, viewer, visible_enrollments(policy, viewer, given), criteria)
    annotations, kinds = kind_annotations(policy, viewer, given)
    key = ordering.field.value
    last: Row | None = None
    while True:
        query = base
        if last is not None:
            query = query.filter(beyond(ordering, last[key], last["id"]))
        rows = await _rows(query, annotations, chunk_rows, ordering)
        if not rows:
            return
        await asyncio.sleep(0)
        documents = await _documents(policy, viewer, {row["id"]: row for row in rows})
        await asyncio.sleep(0)
        yield [
            _record(row, [kind.value for kind in kinds.of(row)], documents[row["id"]])
            for row in rows
        ]
        if len(rows) < chunk_rows:
            return
        await asyncio.sleep(0)
        last = rows[-1]


def _csv_value(value: Any) -> Any:
    return " ".join(value) if isinstance(value, list) else value


def as_csv(chunk: list[dict[str, Any]], header: bool) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    if header:
        writer.writerow(COLUMNS)
    for record in chunk:
        writer.writerow([_csv_value(record[c]) for c in COLUMNS])
    return out.getvalue()


def as_json_lines(chunk: list[dict[str, Any]], header: bool) -> str:
    return "".join(json.dumps(record, ensure_ascii=False) + "\n" for record in chunk)


FORMATS: dict[str, tuple[str, Callable[[list[dict[str, Any]], bool], str]]] = {
    "csv": ("text/csv; charset=utf-8", as_csv),
    "jsonl": ("application/x-ndjson; charset=utf-8", as_json_lines),
}


async def export(
    policy: Policy,
    viewer: Viewer,
    criteria: HistoryFilter,
    ordering: Ordering,
    format: str,
) -> AsyncIterator[str]:
    """The export as text pieces (one per chunk; a CSV header first even when empty)."""
    _, write = FORMATS[format]
    first = True
    async for chunk in records(policy, viewer, criteria, ordering):
        yield write(chunk, first)
        first = False
    if first and format == "csv":
        yield write([], True)
