"""The enrollment history a viewer may see, and its documents (rules 4-7, 12).

Every list here is filtered in the database by a query derived from the policy
(`Policy.filter` / `Policy.field_filter`), and each page costs a fixed number of SQL queries
whatever its length: the page, its count, then its documents and trainees in one query each.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from tortoise.expressions import Case, Q, When
from tortoise.queryset import QuerySet

from models.documents import Document
from models.enrollments import Enrollment, Trainee
from models.enums import DocumentKind, EnrollmentStatus
from performance.rows import values_in_slices
from policies.engine import MATCH_NOTHING, Policy, Viewer
from services.errors import BadUserInput, NotFound

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
MAX_EXPORT_PAGE_SIZE = 1000
ALL_KINDS: tuple[DocumentKind, ...] = tuple(DocumentKind)
# Each kind with the name of the CASE column telling whether the viewer may read it.
_KIND_FLAGS: tuple[tuple[DocumentKind, str], ...] = tuple(
    (kind, f"can_read_{kind.value.lower()}") for kind in ALL_KINDS
)


@dataclass(frozen=True)
class HistoryFilter:
    """What a dashboard narrows the history by. Dates bound the booking date."""

    status: Sequence[EnrollmentStatus] = ()
    establishment_id: int | None = None
    booked_from: datetime | None = None
    booked_to: datetime | None = None
    search: str | None = None


@dataclass
class HistoryPage:
    enrollments: list[Enrollment] | list[EnrollmentRow]
    total_count: int
    has_next_page: bool
    # For each enrollment id, the document kinds the viewer may see on it.
    visible_kinds: dict[int, list[DocumentKind]]


def _is_everything(q: Q) -> bool:
    return not q.children and not q.filters


def _is_nothing(q: Q) -> bool:
    return q is MATCH_NOTHING


def visible_enrollments(policy: Policy, viewer: Viewer | None) -> QuerySet[Enrollment]:
    """Every enrollment the viewer may read, as a query (nothing runs yet)."""
    return Enrollment.filter(policy.filter(viewer, "read", Enrollment))


_PLAIN_VALUES = (int, str, float, bool, type(None))


def _plain_value(value: Any) -> bool:
    if isinstance(value, list | tuple | set | frozenset):
        return all(isinstance(item, _PLAIN_VALUES) for item in value)
    return isinstance(value, _PLAIN_VALUES)


def _same_condition(a: Q, b: Q) -> bool:
    """True when two filters are written the same way (so select the same rows). Only plain
    values are compared: Tortoise's own `Q.__eq__` ignores negation, and SQL terms build
    expressions when compared instead of answering."""
    return (
        a._is_negated == b._is_negated
        and a.join_type == b.join_type
        and a.filters.keys() == b.filters.keys()
        and all(
            _plain_value(a.filters[k])
            and type(a.filters[k]) is type(b.filters[k])
            and a.filters[k] == b.filters[k]
            for k in a.filters
        )
        and len(a.children) == len(b.children)
        and all(_same_condition(x, y) for x, y in zip(a.children, b.children, strict=True))
    )


def _kind_annotations(policy: Policy, viewer: Viewer | None) -> tuple[dict[str, Any], set[str]]:
    """CASE expressions telling, row by row, which document kinds the viewer may read, for
    rows of `visible_enrollments` (the callers' rows).

    Returns (annotations to add, kinds visible on every row without a CASE). A kind whose
    condition is the read condition itself is visible on every row the viewer may read: an
    establishment admin's kinds need no CASE at all.
    """
    annotations: dict[str, Any] = {}
    always: set[str] = set()
    readable = policy.filter(viewer, "read", Enrollment)
    for kind, flag in _KIND_FLAGS:
        q = policy.field_filter(viewer, "read_document", Enrollment, kind.value)
        if _is_everything(q) or _same_condition(q, readable):
            always.add(kind.value)
        elif not _is_nothing(q):
            annotations[flag] = Case(When(q, then="1"), default="0")
    return annotations, always


def encode_cursor(enrollment: Enrollment) -> str:
    raw = f"{enrollment.booked_at.isoformat()}|{enrollment.id}"
    return base64.urlsafe_b64encode(raw.encode()).decode()


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor.encode()).decode()
        moment, _, number = raw.partition("|")
        return datetime.fromisoformat(moment), int(number)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise BadUserInput("This cursor is not valid.", field="after") from None


def page_size(policy: Policy, viewer: Viewer | None, first: int | None) -> int:
    """The requested page size, within what the policy allows this viewer."""
    if first is None:
        return DEFAULT_PAGE_SIZE
    limit = (
        MAX_EXPORT_PAGE_SIZE
        if policy.is_allowed(viewer, "export_enrollments", viewer)
        else MAX_PAGE_SIZE
    )
    if first < 0 or first > limit:
        raise BadUserInput(f"first must be between 0 and {limit}.", field="first", max=limit)
    return first


def _filtered(query: QuerySet[Enrollment], criteria: HistoryFilter) -> QuerySet[Enrollment]:
    if criteria.status:
        query = query.filter(status__in=[s.value for s in criteria.status])
    if criteria.establishment_id is not None:
        query = query.filter(establishment_id=criteria.establishment_id)
    if criteria.booked_from is not None:
        query = query.filter(booked_at__gte=criteria.booked_from)
    if criteria.booked_to is not None:
        query = query.filter(booked_at__lt=criteria.booked_to)
    if criteria.search:
        term = criteria.search.strip()
        query = query.filter(
            Q(reference__icontains=term)
            | Q(registrant_email__icontains=term)
            | Q(registrant_name__icontains=term)
            | Q(session__course__title__icontains=term)
        )
    return query


@dataclass(slots=True)
class CourseRow:
    code: str
    title: str


@dataclass(slots=True)
class SessionRow:
    id: int
    course_id: int
    starts_on: date
    ends_on: date
    city: str
    capacity: int
    seats_booked: int
    course: CourseRow


@dataclass(slots=True)
class EnrollmentRow:
    """An enrollment of a page, read as plain values with its session and course (one query,
    no model instances: see `DocumentRow`). It has the attributes the schema's
    `EnrollmentType.from_model` and `encode_cursor` read, and the document-kind flags."""

    id: int
    reference: str
    status: str
    channel: str
    registrant_email: str
    registrant_name: str
    establishment_id: int | None
    seats: int
    list_price_total: Decimal
    net_price_total: Decimal
    discount_source: str
    invoiced_total: Decimal
    booked_at: datetime
    expected_validation_by: datetime
    validated_at: datetime | None
    cancelled_at: datetime | None
    cancel_reason: str
    session: SessionRow
    kinds: dict[str, Any]


_ENROLLMENT_COLUMNS = tuple(
    name for name in EnrollmentRow.__dataclass_fields__ if name not in ("session", "kinds")
)
_SESSION_COLUMNS = tuple(name for name in SessionRow.__dataclass_fields__ if name != "course")


async def _page_rows(
    query: QuerySet[Enrollment], annotations: dict[str, Any], limit: int
) -> list[EnrollmentRow]:
    session_columns = {f"session__{name}": name for name in _SESSION_COLUMNS}

    def make(v: dict[str, Any]) -> EnrollmentRow:
        return EnrollmentRow(
            **{name: v[name] for name in _ENROLLMENT_COLUMNS},
            session=SessionRow(
                **{name: v[column] for column, name in session_columns.items()},
                course=CourseRow(v["session__course__code"], v["session__course__title"]),
            ),
            kinds={name: v[name] for name in annotations},
        )

    return await values_in_slices(
        query.annotate(**annotations)
        .order_by("-booked_at", "-id")
        .limit(limit)
        .values(
            *_ENROLLMENT_COLUMNS,
            *session_columns,
            "session__course__code",
            "session__course__title",
            *annotations,
        ),
        make,
    )


async def history_page(
    policy: Policy,
    viewer: Viewer | None,
    criteria: HistoryFilter,
    first: int | None = None,
    after: str | None = None,
) -> HistoryPage:
    """One page of the viewer's history, newest booking first, with its total count."""
    size = page_size(policy, viewer, first)
    base = _filtered(visible_enrollments(policy, viewer), criteria)
    total = await base.count()
    query = base
    if after:
        moment, number = decode_cursor(after)
        query = query.filter(Q(booked_at__lt=moment) | Q(booked_at=moment, id__lt=number))
    annotations, always = _kind_annotations(policy, viewer)
    rows = await _page_rows(query, annotations, size + 1)
    has_next = len(rows) > size
    rows = rows[:size]
    return HistoryPage(
        enrollments=rows,
        total_count=total,
        has_next_page=has_next,
        visible_kinds={row.id: _row_kinds(row, always) for row in rows},
    )


async def get_enrollment(policy: Policy, viewer: Viewer | None, enrollment_id: int) -> HistoryPage:
    """One enrollment the viewer may read (NOT_FOUND otherwise), as a one-row page."""
    annotations, always = _kind_annotations(policy, viewer)
    row = (
        await visible_enrollments(policy, viewer)
        .filter(id=enrollment_id)
        .annotate(**annotations)
        .select_related("session__course")
        .first()
    )
    if row is None:
        raise NotFound("Enrollment")
    return HistoryPage([row], 1, False, {row.id: _row_kinds(row, always)})


def _row_kinds(row: Enrollment | EnrollmentRow, always: set[str]) -> list[DocumentKind]:
    """The kinds visible on a row: the always-visible ones, plus those whose CASE said 1."""
    if isinstance(row, EnrollmentRow):
        flags = row.kinds
    else:  # a model instance carries its annotations as attributes
        flags = {name: getattr(row, name, "0") for _, name in _KIND_FLAGS}
    return [
        kind
        for kind, name in _KIND_FLAGS
        if kind.value in always or str(flags.get(name, "0")) == "1"
    ]


@dataclass(slots=True)
class DocumentRow:
    """What a list of documents shows of each one, read as plain values: a 1,000-row page
    has 8,000 documents, and building that many model instances costs more than the query
    itself (bench/RESULTS.md). It has the attributes `schema.documents.DocumentType.from_model`
    reads.
    """

    id: int
    enrollment_id: int
    kind: str
    filename: str
    content_type: str
    size: int
    checksum: str
    created_at: datetime
    generated: bool


_DOCUMENT_ROW_FIELDS = tuple(DocumentRow.__dataclass_fields__)


async def documents_of(
    policy: Policy, viewer: Viewer | None, enrollment_ids: Sequence[int]
) -> dict[int, list[DocumentRow]]:
    """The documents the viewer may read on these enrollments, newest first, in one query."""
    grouped: dict[int, list[DocumentRow]] = {i: [] for i in enrollment_ids}
    if not enrollment_ids:
        return grouped
    rows = await values_in_slices(
        Document.filter(policy.filter(viewer, "read", Document))
        .filter(enrollment_id__in=list(enrollment_ids))
        # Newest first within each enrollment. By enrollment first: the rows come straight
        # off the (enrollment_id, created_at) index, the first ones at once, where a global
        # order would sort all 8,000 rows of an export before returning any.
        .order_by("-enrollment_id", "-created_at", "-id")
        .values(*_DOCUMENT_ROW_FIELDS),
        lambda row: DocumentRow(**row),
    )
    for row in rows:
        grouped[row.enrollment_id].append(row)
    return grouped


async def trainees_of(enrollment_ids: Sequence[int]) -> dict[int, list[Trainee]]:
    """Trainees of enrollments the caller already may read, in one query."""
    grouped: dict[int, list[Trainee]] = {i: [] for i in enrollment_ids}
    if not enrollment_ids:
        return grouped
    for row in await Trainee.filter(enrollment_id__in=list(enrollment_ids)).order_by("id"):
        grouped[row.enrollment_id].append(row)  # type: ignore[attr-defined]
    return grouped


async def get_document(policy: Policy, viewer: Viewer | None, document_id: int) -> Document:
    """One document the viewer may read, with its enrollment loaded; NOT_FOUND otherwise."""
    document = (
        await Document.filter(policy.filter(viewer, "read", Document))
        .filter(id=document_id)
        .select_related("enrollment")
        .first()
    )
    if document is None:
        raise NotFound("Document")
    return document
