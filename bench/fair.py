"""The policy's rules for the enrollment history, written by hand: the "without
authorization" side of the benchmark.

No Oso and no SQL derived from the policy: a careful programmer's code that knows the rules
(`policies/common.polar`, `enrollments.polar`, `documents.polar`) and returns exactly the rows
and document kinds the policy returns, not more:

- an access (ADMIN or STANDARD) to an establishment shows all its enrollments; a registrant
  sees their own enrollments, wherever they are; both only once the e-mail is verified;
- on a row the viewer registered, and on an establishment where they are ADMIN, every
  document kind; on one where they are STANDARD, the kinds their access lists;
- staff see everything.

Since the viewer's accesses are known before the query, the WHERE clause names only what
this viewer needs (`establishment_id = ?` for a page of an establishment they have an
access to): the query a person writes by hand, with no redundant condition.

It serves case 1 (`history_page` and `documents_of` replace the product's two service
functions in an otherwise unchanged Espace), the peers of `bench/peers/`, and the fairness
check (same rows, same kinds, for each persona).
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson
from tortoise import connections

from models.enums import DocumentKind
from policies.engine import POLICY_DIR

ALL_KINDS: tuple[str, ...] = tuple(k.value for k in DocumentKind)

# The rules of this file copy the policy whose `.polar` files have this fingerprint
# (`policy_fingerprint()`). After a rule change, the bench's fairness check (case 0) says
# whether this copy still answers the same; update the rules here, then this fingerprint.
# `tests/test_bench_fairness.py` checks the copy only against the policy it was written for,
# so a reviewer's rule change does not fail the test suite on benchmark code.
WRITTEN_FOR_POLICY = "0e8feba64e59e52ee06a4b28f30f0a02526f867f0b244dd29b9a695df5ed520a"


def policy_fingerprint(directory: Path = POLICY_DIR) -> str:
    """SHA-256 of the `.polar` files of `directory` (names and contents, in name order)."""
    digest = hashlib.sha256()
    for path in sorted(directory.glob("*.polar")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


@dataclass(frozen=True)
class Rights:
    """What a viewer may read, from their account and accesses."""

    email: str | None  # their registrant e-mail, None until it is verified
    sites: dict[int, tuple[str, ...]] = field(default_factory=dict)  # site -> visible kinds
    staff: bool = False

    def kinds_of(self, registrant_email: str, establishment_id: int | None) -> tuple[str, ...]:
        if self.staff or (self.email is not None and registrant_email == self.email):
            return ALL_KINDS
        if establishment_id is None:
            return ()
        return self.sites.get(establishment_id, ())


def rights(
    email: str, verified: bool, staff: bool, accesses: Iterable[tuple[int, str, Sequence[str]]]
) -> Rights:
    """Rights from (establishment id, role, document kinds) accesses. Accesses work only for
    a verified e-mail; an ADMIN access shows every kind, a STANDARD one the kinds it lists."""
    if not verified:
        return Rights(email=None, staff=staff)
    sites: dict[int, set[str]] = {}
    for site, role, kinds in accesses:
        shown = sites.setdefault(site, set())
        shown.update(ALL_KINDS if role == "ADMIN" else kinds)
    return Rights(
        email=email,
        sites={s: tuple(k for k in ALL_KINDS if k in shown) for s, shown in sites.items()},
        staff=staff,
    )


def rights_of_viewer(viewer: Any) -> Rights:
    """Rights of the product's `Viewer` (the same accesses the product reads)."""
    return rights(
        viewer.email,
        viewer.email_verified,
        viewer.is_staff,
        ((g.establishment_id, g.role, g.document_kinds) for g in viewer.accesses),
    )


# -- SQL ---------------------------------------------------------------------------------------
def _connection() -> Any:
    return connections.get("default")


def _is_postgres(connection: Any) -> bool:
    return bool(connection.capabilities.dialect == "postgres")


def numbered(connection: Any, sql: str) -> str:
    """`?` placeholders for SQLite, `$1, $2, ...` for PostgreSQL."""
    if not _is_postgres(connection):
        return sql
    parts = sql.split("?")
    return "".join(f"{part}${n}" for n, part in enumerate(parts[:-1], 1)) + parts[-1]


def _marks(values: Sequence[Any]) -> str:
    return ", ".join("?" for _ in values)


# Columns read for a page row: the enrollment's, then its session's, then its course's.
ENROLLMENT_COLUMNS = (
    "id",
    "reference",
    "status",
    "channel",
    "registrant_email",
    "registrant_name",
    "establishment_id",
    "seats",
    "list_price_total",
    "net_price_total",
    "discount_source",
    "invoiced_total",
    "booked_at",
    "expected_validation_by",
    "validated_at",
    "cancelled_at",
    "cancel_reason",
    "updated_at",
)
SESSION_COLUMNS = (
    "id",
    "course_id",
    "starts_on",
    "ends_on",
    "city",
    "capacity",
    "seats_booked",
    "status",
    "closed_at",
    "cancelled_at",
)
DOCUMENT_COLUMNS = (
    "id",
    "enrollment_id",
    "kind",
    "filename",
    "content_type",
    "size",
    "checksum",
    "created_at",
    "generated",
)
_SELECT = (
    ", ".join(f"e.{c}" for c in ENROLLMENT_COLUMNS)
    + ", "
    + ", ".join(f"s.{c} AS session_{c}" for c in SESSION_COLUMNS)
    + ", c.code AS course_code, c.title AS course_title"
)
COLUMN = {name: n for n, name in enumerate(ENROLLMENT_COLUMNS)}


def condition(rights: Rights, establishment_id: int | None) -> tuple[str, list[Any]] | None:
    """The WHERE clause of the viewer's history (narrowed to one establishment if given);
    None when it is certainly empty."""
    if rights.staff:
        if establishment_id is None:
            return "TRUE", []
        return "e.establishment_id = ?", [establishment_id]
    if establishment_id is not None:
        if establishment_id in rights.sites:
            return "e.establishment_id = ?", [establishment_id]
        if rights.email is None:
            return None
        return "e.establishment_id = ? AND e.registrant_email = ?", [
            establishment_id,
            rights.email,
        ]
    parts, values = [], []
    if rights.sites:
        parts.append(f"e.establishment_id IN ({_marks(list(rights.sites))})")
        values.extend(rights.sites)
    if rights.email is not None:
        parts.append("e.registrant_email = ?")
        values.append(rights.email)
    if not parts:
        return None
    return "(" + " OR ".join(parts) + ")", values


@dataclass
class Page:
    rows: list[Any]  # records: ENROLLMENT_COLUMNS, session_*, course_code, course_title
    total: int
    more: bool
    kinds: dict[int, tuple[str, ...]]  # enrollment id -> visible kinds


async def page(
    rights: Rights, establishment_id: int | None, first: int, with_count: bool = True
) -> Page:
    """A page of the history, newest first: count, then rows (two statements)."""
    where = condition(rights, establishment_id)
    if where is None:
        return Page([], 0, False, {})
    connection = _connection()
    clause, values = where
    total = 0
    if with_count:
        _, counted = await connection.execute_query(
            numbered(connection, f"SELECT count(*) FROM enrollment e WHERE {clause}"), values
        )
        total = int(counted[0][0])
    _, rows = await connection.execute_query(
        numbered(
            connection,
            f"SELECT {_SELECT} FROM enrollment e"
            " JOIN course_session s ON s.id = e.session_id JOIN course c ON c.id = s.course_id"
            f" WHERE {clause} ORDER BY e.booked_at DESC, e.id DESC LIMIT ?",
        ),
        [*values, first + 1],
    )
    rows = list(rows)
    more = len(rows) > first
    rows = rows[:first]
    email, site = COLUMN["registrant_email"], COLUMN["establishment_id"]
    kinds = {row[0]: rights.kinds_of(row[email], row[site]) for row in rows}
    return Page(rows, total, more, kinds)


async def documents(kinds: dict[int, tuple[str, ...]]) -> dict[int, list[Any]]:
    """The documents of these enrollments of the kinds visible on each, newest first per
    enrollment, in one statement (grouped by the set of kinds visible)."""
    grouped: dict[int, list[Any]] = {i: [] for i in kinds}
    groups: dict[tuple[str, ...], list[int]] = {}
    for enrollment_id, shown in kinds.items():
        if shown:
            groups.setdefault(shown, []).append(enrollment_id)
    if not groups:
        return grouped
    parts, values = [], []
    for shown, ids in groups.items():
        if shown == ALL_KINDS:
            parts.append(f"d.enrollment_id IN ({_marks(ids)})")
            values.extend(ids)
        else:
            parts.append(f"(d.enrollment_id IN ({_marks(ids)}) AND d.kind IN ({_marks(shown)}))")
            values.extend(ids)
            values.extend(shown)
    connection = _connection()
    columns = ", ".join(f"d.{c}" for c in DOCUMENT_COLUMNS)
    _, rows = await connection.execute_query(
        numbered(
            connection,
            f"SELECT {columns} FROM document d WHERE {' OR '.join(parts)}"
            " ORDER BY d.enrollment_id DESC, d.created_at DESC, d.id DESC",
        ),
        values,
    )
    for row in rows:
        grouped[row[1]].append(row)
    return grouped


# -- the same rights from a bearer token (the peers' own session lookup) ------------------------
async def rights_for_token(token_hash: str, now: datetime) -> Rights | None:
    """The rights of a live session's account, in one statement."""
    connection = _connection()
    _, rows = await connection.execute_query(
        numbered(
            connection,
            "SELECT a.email, a.email_verified_at IS NOT NULL, a.is_staff, x.establishment_id,"
            " x.role, x.document_kinds FROM login_session s JOIN account a ON a.id = s.account_id"
            " LEFT JOIN access x ON x.account_id = a.id"
            " WHERE s.token_hash = ? AND s.ended_at IS NULL AND s.expires_at > ?",
        ),
        [token_hash, now if _is_postgres(connection) else now.isoformat(" ")],
    )
    if not rows:
        return None
    first = rows[0]

    def kinds(value: Any) -> list[str]:
        return orjson.loads(value) if isinstance(value, str | bytes) else list(value or [])

    return rights(
        first[0],
        bool(first[1]),
        bool(first[2]),
        ((r[3], r[4], kinds(r[5])) for r in rows if r[3] is not None),
    )


# -- JSON, as GraphQL answers the bench's page query ---------------------------------------------
def _moment(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.isoformat()
    return datetime.fromisoformat(value).isoformat()


def _decimal(value: Any) -> str:
    return (
        str(value)
        if isinstance(value, Decimal)
        else str(Decimal(str(value)).quantize(Decimal("0.01")))
    )


def document_json(d: Any) -> dict[str, Any]:
    return {
        "id": str(d[0]),
        "kind": d[2],
        "filename": d[3],
        "contentType": d[4],
        "size": d[5],
        "checksum": d[6],
        "createdAt": _moment(d[7]),
    }


def node_json(r: Any, kinds: Sequence[str], docs: list[Any]) -> dict[str, Any]:
    return {
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
        "courseCode": r[len(ENROLLMENT_COLUMNS) + len(SESSION_COLUMNS)],
        "courseTitle": r[len(ENROLLMENT_COLUMNS) + len(SESSION_COLUMNS) + 1],
        "visibleDocumentKinds": list(kinds),
        "documents": [document_json(d) for d in docs],
    }


async def page_json(rights: Rights, establishment_id: int | None, first: int) -> bytes:
    """The whole body of the bench's page query, by hand: count, rows, documents, orjson."""
    found = await page(rights, establishment_id, first)
    docs = await documents(found.kinds)
    edges = [{"node": node_json(r, found.kinds[r[0]], docs[r[0]])} for r in found.rows]
    return orjson.dumps({"data": {"enrollments": {"totalCount": found.total, "edges": edges}}})


# -- the product's two service functions, replaced (case 1, "without authorization") ------------
_PAGE_KINDS: dict[int, tuple[str, ...]] = {}


def _typed(
    model: Any, names: Sequence[str], values: Sequence[Any], postgres: bool
) -> dict[str, Any]:
    """Values as the product's rows hold them: asyncpg already gives Python types; SQLite
    text goes through the model's own field conversion."""
    if postgres:
        return dict(zip(names, values, strict=True))
    fields = model._meta.fields_map
    return {n: fields[n].to_python_value(v) for n, v in zip(names, values, strict=True)}


def _check_supported(criteria: Any, after: str | None, options: dict[str, Any]) -> None:
    """The hand-written pages are forward, newest first, optionally narrowed to one
    establishment: anything else is refused rather than answered wrongly. Options the
    product may add later (none today) are ignored."""
    from services import history

    unsupported = {
        k: v
        for k, v in options.items()
        if k in ("last", "before", "ordering") and v not in (None, history.NEWEST_FIRST)
    }
    narrowed = {
        f.name
        for f in dataclasses.fields(criteria)
        if f.name != "establishment_id" and getattr(criteria, f.name) not in (None, (), False)
    }
    if after or unsupported or narrowed:
        raise NotImplementedError(f"the fair page does not do {after, unsupported, narrowed}")


async def history_page(
    policy: Any,
    viewer: Any,
    criteria: Any,
    first: int | None = None,
    after: str | None = None,
    **options: Any,
) -> Any:
    """`services.history.history_page` for the bench's page queries, on the hand-written
    rules: forward, newest first, optionally narrowed to one establishment."""
    from models.catalog import CourseSession
    from models.enrollments import Enrollment
    from services import history

    _check_supported(criteria, after, options)
    size = history.DEFAULT_PAGE_SIZE if first is None else first
    found = await page(rights_of_viewer(viewer), criteria.establishment_id, size)
    postgres = _is_postgres(_connection())
    n_e, n_s = len(ENROLLMENT_COLUMNS), len(SESSION_COLUMNS)
    rows = []
    kinds: dict[int, list[Any]] = {}
    for r in found.rows:
        values = _typed(Enrollment, ENROLLMENT_COLUMNS, r[:n_e], postgres)
        session = _typed(CourseSession, SESSION_COLUMNS, r[n_e : n_e + n_s], postgres)
        rows.append(
            history.EnrollmentRow(
                **values,
                session=history.SessionRow(
                    **session, course=history.CourseRow(r[n_e + n_s], r[n_e + n_s + 1])
                ),
                kinds={},
            )
        )
        _PAGE_KINDS[r[0]] = found.kinds[r[0]]
        kinds[r[0]] = [DocumentKind(k) for k in found.kinds[r[0]]]
    return history.HistoryPage(
        enrollments=rows, total_count=found.total, has_next_page=found.more, visible_kinds=kinds
    )


async def documents_of(
    policy: Any, viewer: Any, enrollment_ids: Sequence[int], read: Any = None
) -> Any:
    """`services.history.documents_of` on the hand-written rules (kinds of the last page)."""
    from models.documents import Document
    from services import history

    found = await documents({i: _PAGE_KINDS.get(i, ()) for i in enrollment_ids})
    postgres = _is_postgres(_connection())
    return {
        i: [history.DocumentRow(**_typed(Document, DOCUMENT_COLUMNS, d, postgres)) for d in docs]
        for i, docs in found.items()
    }


# -- the same rules, through the product's own ORM reads (case 1's target) ----------------------
def where(rights: Rights, establishment_id: int | None) -> Any:
    """`condition` as a Tortoise `Q` (None when certainly empty)."""
    from tortoise.expressions import Q

    if rights.staff:
        return Q() if establishment_id is None else Q(establishment_id=establishment_id)
    if establishment_id is not None:
        if establishment_id in rights.sites:
            return Q(establishment_id=establishment_id)
        if rights.email is None:
            return None
        return Q(establishment_id=establishment_id, registrant_email=rights.email)
    parts = []
    if rights.sites:
        parts.append(Q(establishment_id__in=list(rights.sites)))
    if rights.email is not None:
        parts.append(Q(registrant_email=rights.email))
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else parts[0] | parts[1]


async def orm_history_page(
    policy: Any,
    viewer: Any,
    criteria: Any,
    first: int | None = None,
    after: str | None = None,
    **options: Any,
) -> Any:
    """`history_page` as `history_page` above, but read the way the product reads: the same
    Tortoise queries (`services.history.page_rows`, a lazy count), with the hand-written
    WHERE clause in place of the policy's and the kinds computed in Python. What this side
    saves against the product is what authorization costs; the raw-SQL side above adds
    what the ORM costs."""
    from models.enrollments import Enrollment
    from services import history

    _check_supported(criteria, after, options)
    rights = rights_of_viewer(viewer)
    size = history.DEFAULT_PAGE_SIZE if first is None else first
    q = where(rights, criteria.establishment_id)
    if q is None:
        return history.HistoryPage(enrollments=[], has_next_page=False, visible_kinds={})
    base = Enrollment.filter(q)
    rows = await history.page_rows(base, {}, size + 1)
    more = len(rows) > size
    rows = rows[:size]
    kinds: dict[int, list[Any]] = {}
    for row in rows:
        _PAGE_KINDS[row.id] = rights.kinds_of(row.registrant_email, row.establishment_id)
        kinds[row.id] = [DocumentKind(k) for k in _PAGE_KINDS[row.id]]
    return history.HistoryPage(
        enrollments=rows, has_next_page=more, visible_kinds=kinds, counted=base
    )


async def orm_documents_of(
    policy: Any, viewer: Any, enrollment_ids: Sequence[int], read: Any = None
) -> Any:
    """`documents_of` through the product's ORM read, with the hand-written kinds."""
    from tortoise.expressions import Q

    from models.documents import Document
    from services import history

    grouped: dict[int, list[Any]] = {i: [] for i in enrollment_ids}
    groups: dict[tuple[str, ...], list[int]] = {}
    for enrollment_id in enrollment_ids:
        shown = _PAGE_KINDS.get(enrollment_id, ())
        if shown:
            groups.setdefault(shown, []).append(enrollment_id)
    if not groups:
        return grouped
    parts = [
        Q(enrollment_id__in=ids) if shown == ALL_KINDS else Q(enrollment_id__in=ids, kind__in=shown)
        for shown, ids in groups.items()
    ]
    q = parts[0]
    for part in parts[1:]:
        q |= part
    rows = await (
        Document.filter(q)
        .order_by("-enrollment_id", "-created_at", "-id")
        .values(*history._DOCUMENT_ROW_FIELDS)
    )
    for row in rows:
        grouped[row["enrollment_id"]].append(history.DocumentRow(**row))
    return grouped


class without_policy:
    """While active, the product's history reads go through the hand-written rules: by
    hand-written SQL (`orm=False`), or through the product's own ORM reads (`orm=True`)."""

    def __init__(self, orm: bool = False) -> None:
        self.orm = orm

    def __enter__(self) -> None:
        from services import history

        self.saved = (history.history_page, history.documents_of)
        if self.orm:
            history.history_page = orm_history_page  # type: ignore[assignment]
            history.documents_of = orm_documents_of  # type: ignore[assignment]
        else:
            history.history_page = history_page  # type: ignore[assignment]
            history.documents_of = documents_of  # type: ignore[assignment]

    def __exit__(self, *exc: object) -> None:
        from services import history

        history.history_page, history.documents_of = self.saved  # type: ignore[assignment]
