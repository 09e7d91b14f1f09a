"""The enrollment history a viewer may see, and its documents (rules 4-7, 12).

Every list here is filtered in the database by a query derived from the policy
(`Policy.filter` / `Policy.field_filter`), and each page costs a fixed number of SQL queries
whatever its length: the page, then its documents and trainees in one query each, and its
count only when the client asks for it.

The policy's conditions are asked `given` what the criteria already pin (the establishment,
statuses, channels of a dashboard): `(e-mail = $1 OR site = $2) AND site = $3` is written
`site = $3`, which PostgreSQL plans right even as a generic prepared plan (issue 20).
"""

from __future__ import annotations

import base64
import binascii
import enum
import functools
import json
import operator
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from tortoise.expressions import Case, Q, Subquery, When
from tortoise.queryset import QuerySet

from models.catalog import Course
from models.documents import Document
from models.enrollments import Enrollment, PostponementRequest, Trainee
from models.enums import Channel, DocumentKind, EnrollmentStatus, RequestStatus
from policies.engine import MATCH_NOTHING, Policy, Viewer
from services.enrollment_states import CANCELLABLE, POSTPONABLE
from services.errors import BadUserInput, NotFound, Reason
from services.search import fold

DEFAULT_PAGE_SIZE = 20
# A screen's worth, for everyone: whole histories go through the streaming export
# (`services.history_export`, `GET /exports/enrollments.csv`), not through GraphQL pages.
MAX_PAGE_SIZE = 100
ALL_KINDS: tuple[DocumentKind, ...] = tuple(DocumentKind)
# Each kind with the name of the CASE column telling whether the viewer may read it.
_KIND_FLAGS: tuple[tuple[DocumentKind, str], ...] = tuple(
    (kind, f"can_read_{kind.value.lower()}") for kind in ALL_KINDS
)


@dataclass(frozen=True)
class HistoryFilter:
    """What a dashboard narrows the history by. `booked_*` bound the booking date,
    `session_*` the session's first day (both ends included for days)."""

    status: Sequence[EnrollmentStatus] = ()
    establishment_id: int | None = None
    booked_from: datetime | None = None
    booked_to: datetime | None = None
    search: str | None = None
    course_id: int | None = None
    course_code: str | None = None
    session_from: date | None = None
    session_to: date | None = None
    channels: Sequence[Channel] = ()
    trainee_name: str | None = None
    mine_only: bool = False
    updated_since: datetime | None = None

    def known(self) -> dict[str, tuple[Any, ...]]:
        """The values these criteria leave to some columns the policy reads (column -> the
        values it can still have): what `Policy.filter(..., given=)` may rely on for rows of
        `filtered(...)`."""
        known: dict[str, tuple[Any, ...]] = {}
        if self.establishment_id is not None:
            known["establishment_id"] = (self.establishment_id,)
        if self.status:
            known["status"] = tuple(s.value for s in self.status)
        if self.channels:
            known["channel"] = tuple(c.value for c in self.channels)
        return known


class SortField(enum.Enum):
    """What a page may be sorted by: each with the column it reads."""

    BOOKED_AT = "booked_at"
    SESSION_START = "session__starts_on"
    STATUS = "status"
    REFERENCE = "reference"
    AMOUNT = "net_price_total"


@dataclass(frozen=True)
class Ordering:
    """A sort of the history; rows with the same key come by id, in the same direction, so
    that the order is total and a cursor names one place in it."""

    field: SortField = SortField.BOOKED_AT
    descending: bool = True

    def key_of(self, row: EnrollmentRow | Enrollment) -> Any:
        if self.field is SortField.SESSION_START:
            return row.session.starts_on
        return getattr(row, self.field.value)

    def columns(self, reverse: bool = False) -> list[str]:
        sign = "-" if self.descending != reverse else ""
        return [f"{sign}{self.field.value}", f"{sign}id"]


NEWEST_FIRST = Ordering()


@dataclass
class HistoryPage:
    enrollments: list[EnrollmentRow]
    has_next_page: bool
    # For each enrollment id, the document kinds the viewer may see on it.
    visible_kinds: dict[int, list[DocumentKind]]
    has_previous_page: bool = False
    ordering: Ordering = NEWEST_FIRST
    # The whole list's size when known without a query; else `count()` asks the database.
    total_count: int | None = None
    counted: QuerySet[Enrollment] | None = None

    async def count(self) -> int:
        """How many rows the whole list has (all pages): one `COUNT` query the first time,
        run only when someone asks (`totalCount`), never with the page itself."""
        if self.total_count is None:
            self.total_count = await self.counted.count() if self.counted is not None else 0
        return self.total_count


def _is_everything(q: Q) -> bool:
    return not q.children and not q.filters


def _is_nothing(q: Q) -> bool:
    return q is MATCH_NOTHING


Known = Mapping[str, Sequence[Any]]


def visible_enrollments(
    policy: Policy, viewer: Viewer | None, given: Known | None = None
) -> QuerySet[Enrollment]:
    """Every enrollment the viewer may read, as a query (nothing runs yet). With `given`
    (`HistoryFilter.known()`), only right once `filtered` by those criteria."""
    return Enrollment.filter(policy.filter(viewer, "read", Enrollment, given))


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


@dataclass(frozen=True)
class KindColumns:
    """How to read, on a row of `visible_enrollments` read with the CASE columns of
    `kind_annotations`, which document kinds the viewer may read: for each kind, the column
    that tells it. Kinds whose conditions are written the same way share one column (a
    standard access's kinds all hang on the registrant condition: one CASE, not six)."""

    # Kind -> its CASE column; None when visible on every row; absent when never visible.
    column_of: dict[DocumentKind, str | None]

    def of(self, flags: Mapping[str, Any]) -> list[DocumentKind]:
        """The kinds visible on a row, from its CASE columns (`EnrollmentRow.kinds`, or a row
        read as values)."""
        return [
            kind
            for kind, column in self.column_of.items()
            if column is None or str(flags.get(column, "0")) == "1"
        ]


def kind_annotations(
    policy: Policy, viewer: Viewer | None, given: Known | None = None
) -> tuple[dict[str, Any], KindColumns]:
    """CASE expressions telling, row by row, which document kinds the viewer may read, for
    rows of `visible_enrollments` (the callers' rows).

    Returns (annotations to add, how to read the kinds of a row). A kind whose condition is
    the read condition itself is visible on every row the viewer may read: an establishment
    admin's kinds need no CASE at all.
    """
    annotations: dict[str, Any] = {}
    column_of: dict[DocumentKind, str | None] = {}
    conditions: list[tuple[Q, str]] = []
    readable = policy.filter(viewer, "read", Enrollment, given)
    for kind, flag in _KIND_FLAGS:
        q = policy.field_filter(viewer, "read_document", Enrollment, kind.value, given)
        if _is_everything(q) or _same_condition(q, readable):
            column_of[kind] = None
        elif not _is_nothing(q):
            shared = next((name for seen, name in conditions if _same_condition(q, seen)), None)
            if shared is None:
                conditions.append((q, flag))
                annotations[flag] = Case(When(q, then="1"), default="0")
            column_of[kind] = shared or flag
    return annotations, KindColumns(column_of)


MAX_ID = 2**31 - 1  # the largest id an integer column holds


def _key_to_text(value: Any) -> str:
    return value.isoformat() if isinstance(value, date | datetime) else str(value)


def _key_from_text(field: SortField, text: str) -> Any:
    if field is SortField.BOOKED_AT:
        moment = datetime.fromisoformat(text)
        if moment.tzinfo is None:  # we only issue instants with their offset
            raise ValueError(text)
        return moment
    if field is SortField.SESSION_START:
        return date.fromisoformat(text)
    if field is SortField.AMOUNT:
        return Decimal(text)
    return text


# What a viewer may do to an enrollment now, with the CASE column telling it row by row.
ACTION_FLAGS: tuple[tuple[str, str], ...] = (
    ("cancel", "can_cancel"),
    ("request_postponement", "can_request_postponement"),
)


def _combinable(q: Q) -> Q:
    """The condition, with "every row" spelled out: Tortoise drops an empty `Q` from an OR
    (`a | Q()` selects `a` only) where the policy meant every row."""
    return Q(id__isnull=False) if _is_everything(q) else q


def any_of(*conditions: Q) -> Q:
    """Rows matching one of these policy conditions (an OR that keeps "every row")."""
    return functools.reduce(operator.or_, map(_combinable, conditions))


def _flag(q: Q) -> Any:
    return Case(When(_combinable(q), then="1"), default="0")


def action_annotations(
    policy: Policy, viewer: Viewer | None, given: Known | None = None
) -> dict[str, Any]:
    """CASE expressions telling, row by row, whether the viewer's `cancelEnrollment` and
    `requestPostponement` would be accepted now: what the policy allows (`cancel` or
    `staff_cancel`; `request_postponement`) and what the status machine still allows. The
    same conditions the mutations check, as SQL, so a page costs no query more."""
    cancel = any_of(
        policy.filter(viewer, "cancel", Enrollment, given),
        policy.filter(viewer, "staff_cancel", Enrollment, given),
    )
    postpone = _combinable(policy.filter(viewer, "request_postponement", Enrollment, given))
    waiting = PostponementRequest.filter(status=RequestStatus.PENDING.value)
    return {
        "can_cancel": _flag(cancel & Q(status__in=[s.value for s in CANCELLABLE])),
        "can_request_postponement": _flag(
            postpone
            & Q(status__in=[s.value for s in POSTPONABLE])
            & ~Q(id__in=Subquery(waiting.values("enrollment_id")))
        ),
    }


def row_flag(row: EnrollmentRow | Enrollment, flag: str) -> bool:
    """The value of an action flag on a row read with `action_annotations`."""
    value = row.kinds.get(flag) if isinstance(row, EnrollmentRow) else getattr(row, flag, "0")
    return str(value) == "1"


def encode_cursor(row: EnrollmentRow, ordering: Ordering = NEWEST_FIRST) -> str:
    """The row's place in this ordering: the sort's name and direction, its key and id."""
    raw = json.dumps(
        [ordering.field.name, ordering.descending, _key_to_text(ordering.key_of(row)), row.id]
    )
    return base64.urlsafe_b64encode(raw.encode()).decode()


def decode_cursor(cursor: str, ordering: Ordering = NEWEST_FIRST, field: str = "after") -> Any:
    """(sort key, id) of a cursor made for this ordering; BAD_USER_INPUT otherwise. Cursors
    of the first release (`<booked at>|<id>`, newest first) are still accepted."""
    try:
        raw = base64.urlsafe_b64decode(cursor.encode()).decode()
        if not raw.startswith("["):
            moment, _, old_id = raw.partition("|")
            name, descending, key, row_id = "BOOKED_AT", True, moment, old_id
        else:
            name, descending, key, row_id = json.loads(raw)
        if (name, descending) != (ordering.field.name, ordering.descending):
            raise BadUserInput(
                "This cursor was made for another orderBy: start again without it.",
                field=field,
                reason=Reason.INVALID_CURSOR,
            )
        number = int(str(row_id))
        if not 0 < number <= MAX_ID:  # a forged id no column can hold must not reach SQL
            raise ValueError(number)
        return _key_from_text(ordering.field, str(key)), number
    except (ValueError, TypeError, KeyError, binascii.Error, UnicodeDecodeError, ArithmeticError):
        raise BadUserInput(
            "This cursor is not valid.", field=field, reason=Reason.INVALID_CURSOR
        ) from None


def beyond(ordering: Ordering, key: Any, row_id: int, *, backwards: bool = False) -> Q:
    """Rows after (key, id) in this ordering, or before it when `backwards`."""
    column = ordering.field.value
    later = "lt" if ordering.descending != backwards else "gt"
    return Q(**{f"{column}__{later}": key}) | Q(**{column: key, f"id__{later}": row_id})


def page_size(size: int | None, field: str = "first") -> int:
    """The requested page size, at most `MAX_PAGE_SIZE` (BAD_USER_INPUT beyond)."""
    if size is None:
        return DEFAULT_PAGE_SIZE
    if size < 0 or size > MAX_PAGE_SIZE:
        raise BadUserInput(
            "{field} must be between 0 and {max}.",
            field=field,
            max=MAX_PAGE_SIZE,
            reason=Reason.OUT_OF_RANGE,
        )
    return size


COURSE_CODE_LENGTH: int = Course._meta.fields_map["code"].max_length  # type: ignore[attr-defined]


def filtered(
    policy: Policy, viewer: Viewer | None, query: QuerySet[Enrollment], criteria: HistoryFilter
) -> QuerySet[Enrollment]:
    """The query narrowed by the criteria, all in SQL (what `criteria.known()` promises)."""
    if criteria.status:
        query = query.filter(status__in=[s.value for s in criteria.status])
    if criteria.establishment_id is not None:
        query = query.filter(establishment_id=criteria.establishment_id)
    if criteria.booked_from is not None:
        query = query.filter(booked_at__gte=criteria.booked_from)
    if criteria.booked_to is not None:
        query = query.filter(booked_at__lt=criteria.booked_to)
    if criteria.course_id is not None:
        query = query.filter(session__course_id=criteria.course_id)
    if criteria.course_code:
        code = criteria.course_code.strip().upper()
        # A code longer than the column holds names no course, like any unknown code (and
        # Tortoise would refuse to compare it).
        too_long = len(code) > COURSE_CODE_LENGTH
        query = (
            query.filter(MATCH_NOTHING) if too_long else query.filter(session__course__code=code)
        )
    if criteria.session_from is not None:
        query = query.filter(session__starts_on__gte=criteria.session_from)
    if criteria.session_to is not None:
        query = query.filter(session__starts_on__lte=criteria.session_to)
    if criteria.channels:
        query = query.filter(channel__in=[c.value for c in criteria.channels])
    if criteria.updated_since is not None:
        query = query.filter(updated_at__gte=criteria.updated_since)
    if criteria.mine_only:
        query = query.filter(policy.filter(viewer, "in_own_history", Enrollment, criteria.known()))
    if criteria.trainee_name and criteria.trainee_name.strip():
        name = criteria.trainee_name.strip()
        named = Trainee.filter(Q(first_name__icontains=name) | Q(last_name__icontains=name))
        query = query.filter(id__in=Subquery(named.values("enrollment_id")))
    if criteria.search and fold(criteria.search):
        query = query.filter(search_text__contains=fold(criteria.search))
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
    status: str
    closed_at: datetime | None
    cancelled_at: datetime | None
    course: CourseRow


# The metadata key of a row attribute the API shows as it is (see `shown`).
SHOWN = "description"


def shown(description: str) -> dict[str, str]:
    """The metadata of a row attribute that the GraphQL type shows as it is
    (`field(metadata=shown(...))`): `schema.enrollments` gives `Enrollment` a field of the
    same name, type and this description."""
    return {SHOWN: description}


@dataclass(slots=True)
class EnrollmentRow:
    """An enrollment of a page, read as plain values with its session and course (one query,
    no model instances: see `DocumentRow`). It has the attributes the schema's
    `EnrollmentType.from_model` and `encode_cursor` read, and the document-kind flags.

    A new column of `Enrollment` is one attribute here: the `SELECT` reads every attribute
    but `session` and `kinds`, and one declared `field(metadata=shown(...))` is a field of the
    GraphQL `Enrollment` as it is (the others are converted by `EnrollmentType` itself)."""

    id: int
    reference: str = field(metadata=shown("Order reference, e.g. `DEMO-0042`."))
    status: str
    channel: str
    registrant_email: str = field(
        metadata=shown(
            "E-mail typed when enrolling: the history of the account with this login e-mail "
            "includes this enrollment (rules 4, 5)."
        )
    )
    registrant_name: str = field(metadata=shown("Name of the registrant."))
    establishment_id: int | None
    seats: int = field(metadata=shown("Number of trainees booked."))
    list_price_total: Decimal = field(metadata=shown("Catalog price of all seats."))
    net_price_total: Decimal = field(
        metadata=shown(
            "Price after the framework agreement discount, if any (loyalty pass discounts show "
            "only on invoices, rule 11)."
        )
    )
    discount_source: str
    invoiced_total: Decimal = field(metadata=shown("Amount invoiced so far."))
    booked_at: datetime = field(metadata=shown("When the order was placed."))
    expected_validation_by: datetime = field(
        metadata=shown("Staff validate within 24 business hours of booking (rule 13).")
    )
    validated_at: datetime | None = field(metadata=shown("When validated."))
    cancelled_at: datetime | None = field(metadata=shown("When cancelled."))
    cancel_reason: str = field(metadata=shown("Why it was cancelled, if it was."))
    updated_at: datetime = field(
        metadata=shown(
            "When the order last changed (status, session, invoicing). Poll with "
            "`filter: {updatedSince: ...}`."
        )
    )
    session: SessionRow
    kinds: dict[str, Any]


_ENROLLMENT_COLUMNS = tuple(
    name for name in EnrollmentRow.__dataclass_fields__ if name not in ("session", "kinds")
)
_SESSION_COLUMNS = tuple(name for name in SessionRow.__dataclass_fields__ if name != "course")


async def page_rows(
    query: QuerySet[Enrollment],
    annotations: dict[str, Any],
    limit: int,
    order: Sequence[str] = ("-booked_at", "-id"),
) -> list[EnrollmentRow]:
    """The enrollments of `query` as `EnrollmentRow`s, with the CASE columns of `annotations`
    (from `kind_annotations`), in one query: the one shape `EnrollmentType` is built from.

    The page's ids are chosen first (a subquery: the filter, the order, the limit, on the
    enrollment table alone), then only those rows are joined to their session and course and
    get their CASE columns. Without it, a page of a whole history that no index reads in
    order (several establishments, or the registrant's own orders besides) joined and
    computed every matching row before keeping 50: 55 ms for 21,000 rows on PostgreSQL,
    5 ms with it."""
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

    rows = await page_query(query, annotations, limit, order).values(
        *_ENROLLMENT_COLUMNS,
        *session_columns,
        "session__course__code",
        "session__course__title",
        *annotations,
    )
    return [make(row) for row in rows]


def page_query(
    query: QuerySet[Enrollment],
    annotations: dict[str, Any],
    limit: int,
    order: Sequence[str] = ("-booked_at", "-id"),
) -> QuerySet[Enrollment]:
    """The first `limit` rows of `query` in this order, chosen by a subquery on the
    enrollment table alone and then read with their CASE columns (see `page_rows`): the
    caller says which columns with `.values(...)`."""
    page = Subquery(query.order_by(*order).limit(limit).values("id"))
    return Enrollment.filter(id__in=page).annotate(**annotations).order_by(*order)


async def history_page(
    policy: Policy,
    viewer: Viewer | None,
    criteria: HistoryFilter,
    first: int | None = None,
    after: str | None = None,
    *,
    last: int | None = None,
    before: str | None = None,
    ordering: Ordering = NEWEST_FIRST,
    with_actions: bool = True,
) -> HistoryPage:
    """One page of the viewer's history in this ordering; its total count is counted when
    asked (`HistoryPage.count`). `with_actions=False` leaves out the columns telling what
    the viewer may do to each row (`row_flag`: every flag then reads False), for a page
    that does not show them.

    Forward (`first`, `after`) or backward (`last`, `before`, the rows just before the
    cursor), Relay style. `has_previous_page` going forward (and `has_next_page` going
    backward) only says whether a cursor was given: telling more would cost a query.
    """
    if last is not None and first is not None:
        raise BadUserInput("Give first or last, not both.", field="last")
    if last is not None and after is not None:
        raise BadUserInput("Page backward with last and before.", field="after")
    if first is not None and before is not None:
        raise BadUserInput("Page forward with first and after.", field="before")
    backwards = last is not None or before is not None
    size = page_size(last if backwards else first, "last" if backwards else "first")
    given = criteria.known()
    base = filtered(policy, viewer, visible_enrollments(policy, viewer, given), criteria)
    query = base
    cursor = before if backwards else after
    if cursor:
        key, number = decode_cursor(cursor, ordering, "before" if backwards else "after")
        query = query.filter(beyond(ordering, key, number, backwards=backwards))
    annotations, kinds = kind_annotations(policy, viewer, given)
    if with_actions:
        annotations.update(action_annotations(policy, viewer, given))
    rows = await page_rows(query, annotations, size + 1, ordering.columns(reverse=backwards))
    more = len(rows) > size
    rows = rows[:size]
    if backwards:
        rows.reverse()
    return HistoryPage(
        enrollments=rows,
        has_next_page=bool(cursor) if backwards else more,
        has_previous_page=more if backwards else bool(cursor),
        visible_kinds={row.id: kinds.of(row.kinds) for row in rows},
        ordering=ordering,
        counted=base,
    )


async def get_enrollment(policy: Policy, viewer: Viewer | None, enrollment_id: int) -> HistoryPage:
    """One enrollment the viewer may read (NOT_FOUND otherwise), as a one-row page."""
    annotations, kinds = kind_annotations(policy, viewer)
    annotations.update(action_annotations(policy, viewer))
    rows = await page_rows(
        visible_enrollments(policy, viewer).filter(id=enrollment_id), annotations, 1
    )
    if not rows:
        raise NotFound("Enrollment not found.")
    return HistoryPage(rows, False, {rows[0].id: kinds.of(rows[0].kinds)}, total_count=1)


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
    policy: Policy,
    viewer: Viewer | None,
    enrollment_ids: Sequence[int],
    read: Mapping[int, EnrollmentRow] | None = None,
) -> dict[int, list[DocumentRow]]:
    """The documents the viewer may read on these enrollments, newest first, in one query.

    `read`: these enrollments as the caller already read them (a page's rows). The policy's
    condition is then read on each row's own values (`Policy.filter_by_parents`): the query
    selects by enrollment and kind without joining the enrollment table."""
    grouped: dict[int, list[DocumentRow]] = {i: [] for i in enrollment_ids}
    if not enrollment_ids:
        return grouped
    rows = await documents_query(policy, viewer, enrollment_ids, read).values(*_DOCUMENT_ROW_FIELDS)
    for row in rows:
        grouped[row["enrollment_id"]].append(DocumentRow(**row))
    return grouped


def documents_query(
    policy: Policy,
    viewer: Viewer | None,
    enrollment_ids: Sequence[int],
    read: Mapping[int, Any] | None = None,
) -> QuerySet[Document]:
    """The query of `documents_of`, for a caller that reads other columns (`read` as there:
    rows as objects or as values)."""
    if read is not None and read.keys() >= set(enrollment_ids):
        allowed = policy.filter_by_parents(
            viewer, "read", Document, "enrollment", {i: read[i] for i in enrollment_ids}
        )
        query = Document.filter(allowed)
    else:
        query = Document.filter(policy.filter(viewer, "read", Document)).filter(
            enrollment_id__in=list(enrollment_ids)
        )
    # Newest first within each enrollment. By enrollment first: the rows come straight off
    # the (enrollment_id, created_at) index, the first ones at once, where a global order
    # would sort all the documents of an export's chunk before returning any.
    return query.order_by("-enrollment_id", "-created_at", "-id")


async def trainees_of(enrollment_ids: Sequence[int]) -> dict[int, list[Trainee]]:
    """Trainees of enrollments the caller already may read, in one query."""
    grouped: dict[int, list[Trainee]] = {i: [] for i in enrollment_ids}
    if not enrollment_ids:
        return grouped
    for row in await Trainee.filter(enrollment_id__in=list(enrollment_ids)).order_by("id"):
        grouped[row.enrollment_id].append(row)
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
        raise NotFound("Document not found.")
    return document
