"""The enrollment history as CSV or JSON lines, streamed (issue 17).

The same rows as `enrollments(filter:, orderBy:)` for the same viewer: the policy's read
filter, the same criteria, the document kinds the viewer may read. Rows are read a chunk at
a time by keyset (the list's cursors), each chunk written out before the next is read, so
memory stays the same whatever the history's size.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import AsyncIterator, Callable
from typing import Any

from policies.engine import Policy, Viewer
from services.errors import Forbidden
from services.history import (
    NEWEST_FIRST,
    EnrollmentRow,
    HistoryFilter,
    Ordering,
    _beyond,
    _kind_annotations,
    _row_kinds,
    documents_of,
    filtered,
    page_rows,
    visible_enrollments,
)

CHUNK_ROWS = 500
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


def _record(row: EnrollmentRow, kinds: list[str], documents: list[str]) -> dict[str, Any]:
    return {
        "reference": row.reference,
        "status": row.status,
        "channel": row.channel,
        "booked_at": row.booked_at.isoformat(),
        "updated_at": row.updated_at.isoformat(),
        "establishment_id": row.establishment_id,
        "registrant_email": row.registrant_email,
        "registrant_name": row.registrant_name,
        "course_code": row.session.course.code,
        "course_title": row.session.course.title,
        "session_starts_on": row.session.starts_on.isoformat(),
        "session_city": row.session.city,
        "seats": row.seats,
        "list_price_total": str(row.list_price_total),
        "net_price_total": str(row.net_price_total),
        "invoiced_total": str(row.invoiced_total),
        "visible_document_kinds": kinds,
        "documents": documents,
    }


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
    documents per chunk)."""
    given = criteria.known()
    base = filtered(policy, viewer, visible_enrollments(policy, viewer, given), criteria)
    annotations, always = _kind_annotations(policy, viewer, given)
    last: EnrollmentRow | None = None
    while True:
        query = base
        if last is not None:
            query = query.filter(_beyond(ordering, ordering.key_of(last), last.id))
        rows = await page_rows(query, annotations, chunk_rows, ordering.columns())
        if not rows:
            return
        documents = await documents_of(policy, viewer, [row.id for row in rows])
        yield [
            _record(
                row,
                [kind.value for kind in _row_kinds(row, always)],
                [f"{d.kind}:{d.filename}" for d in documents[row.id]],
            )
            for row in rows
        ]
        if len(rows) < chunk_rows:
            return
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
