"""The GraphQL requests measured, and the hand-written floor serving the same data.

The floor is what a careful programmer would write with no framework: three SQL statements
(page, count, documents) with the authorization written by hand in the WHERE clause, rows
turned into the same JSON shape as the GraphQL response, encoded with orjson.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import orjson
from tortoise import Tortoise

from models.enums import DocumentKind

ENROLLMENT_FIELDS = """
  id reference status channel registrantEmail registrantName establishmentId seats
  listPriceTotal netPriceTotal discountSource invoicedTotal bookedAt expectedValidationBy
  validatedAt cancelledAt cancelReason courseCode courseTitle visibleDocumentKinds
  documents { id kind filename contentType size checksum createdAt }
"""

PAGE_QUERY = (
    "query Page($first: Int, $filter: EnrollmentFilter) {"
    " enrollments(first: $first, filter: $filter) {"
    " totalCount edges { node {" + ENROLLMENT_FIELDS + "} } } }"
)

SMALL_QUERY = "query Small { enrollments(first: 5) { totalCount edges { node { id reference } } } }"

ALL_KINDS = [k.value for k in DocumentKind]

_PAGE_SQL = """
SELECT e.id, e.reference, e.status, e.channel, e.registrant_email, e.registrant_name,
       e.establishment_id, e.seats, e.list_price_total, e.net_price_total, e.discount_source,
       e.invoiced_total, e.booked_at, e.expected_validation_by, e.validated_at, e.cancelled_at,
       e.cancel_reason, c.code, c.title
FROM enrollment e
JOIN course_session s ON s.id = e.session_id
JOIN course c ON c.id = s.course_id
WHERE e.establishment_id = ? AND (e.registrant_email = ? OR e.establishment_id IN ({sites}))
ORDER BY e.booked_at DESC, e.id DESC
LIMIT ?
"""

_COUNT_SQL = """
SELECT COUNT(*) FROM enrollment e
WHERE e.establishment_id = ? AND (e.registrant_email = ? OR e.establishment_id IN ({sites}))
"""

_DOCUMENTS_SQL = """
SELECT id, enrollment_id, kind, filename, content_type, size, checksum, created_at
FROM document WHERE enrollment_id IN ({ids})
ORDER BY created_at DESC, id DESC
"""


def variables(site_id: int, first: int) -> dict[str, Any]:
    return {"first": first, "filter": {"establishmentId": str(site_id)}}


def _moment(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.isoformat()
    return datetime.fromisoformat(value).isoformat()


def _decimal(value: Any) -> str:
    return str(value)


def _placeholders(connection: Any, sql: str) -> str:
    """The statement with the placeholders of this database: `?` for SQLite, `$1, $2, ...`
    for PostgreSQL (asyncpg)."""
    if connection.capabilities.dialect != "postgres":
        return sql
    parts = sql.split("?")
    return "".join(f"{part}${n}" for n, part in enumerate(parts[:-1], 1)) + parts[-1]


async def floor_page(
    site_id: int,
    email: str,
    access_sites: Sequence[int],
    kinds: Sequence[str] | None,
    first: int,
) -> bytes:
    """The JSON body GraphQL would answer for PAGE_QUERY, built by hand.

    `kinds` are the document kinds granted on `access_sites` (None: all of them, an admin);
    the registrant of an enrollment sees all its kinds (rule 4).
    """
    connection = Tortoise.get_connection("default")
    sites = ",".join("?" for _ in access_sites)
    where = [site_id, email, *access_sites]
    page_sql = _placeholders(connection, _PAGE_SQL.format(sites=sites))
    _, rows = await connection.execute_query(page_sql, [*where, first])
    count_sql = _placeholders(connection, _COUNT_SQL.format(sites=sites))
    _, count = await connection.execute_query(count_sql, where)
    granted = ALL_KINDS if kinds is None else [k for k in ALL_KINDS if k in kinds]
    visible: dict[int, list[str]] = {
        row[0]: ALL_KINDS if row[4] == email else granted for row in rows
    }
    documents: dict[int, list[dict[str, Any]]] = {row[0]: [] for row in rows}
    if rows:
        ids = ",".join(str(row[0]) for row in rows)
        _, docs = await connection.execute_query(_DOCUMENTS_SQL.format(ids=ids))
        for d in docs:
            if d[2] in visible[d[1]]:
                documents[d[1]].append(
                    {
                        "id": str(d[0]),
                        "kind": d[2],
                        "filename": d[3],
                        "contentType": d[4],
                        "size": d[5],
                        "checksum": d[6],
                        "createdAt": _moment(d[7]),
                    }
                )
    edges = [
        {
            "node": {
                "id": str(r[0]),
                "reference": r[1],
                "status": r[2],
                "channel": r[3],
                "registrantEmail": r[4],
                "registrantName": r[5],
                "establishmentId": None if r[6] is None else str(r[6]),
                "seats": r[7],
                "listPriceTotal": _decimal(r[8]),
                "netPriceTotal": _decimal(r[9]),
                "discountSource": r[10],
                "invoicedTotal": _decimal(r[11]),
                "bookedAt": _moment(r[12]),
                "expectedValidationBy": _moment(r[13]),
                "validatedAt": _moment(r[14]),
                "cancelledAt": _moment(r[15]),
                "cancelReason": r[16],
                "courseCode": r[17],
                "courseTitle": r[18],
                "visibleDocumentKinds": visible[r[0]],
                "documents": documents[r[0]],
            }
        }
        for r in rows
    ]
    body = {"data": {"enrollments": {"totalCount": count[0][0], "edges": edges}}}
    return orjson.dumps(body)
