"""The course catalog: what everyone reads, and what staff change (courses, sessions,
closing and cancelling a session).

Who may change the catalog is decided by `policies/catalog.polar`. Every change is written to
the audit log in the transaction that makes it.

Seats: `CourseSession.seats_booked` moves only through conditional UPDATEs (booking in
`services.enrollments`, capacity changes here), so capacity never drops below the seats
booked, even when a booking and a capacity change race.

Cancelling a session (decision, see README "Catalog management"): the session is CANCELLED,
every order on it that is not final yet (awaiting validation, validated, partly invoiced) is
cancelled and its seats released; an invoiced order cannot change status, so it keeps its
seats until staff move or refund it. Each registrant is mailed in their language, with the
coming sessions of the same course to move their trainees to.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from tortoise.expressions import F, Q
from tortoise.functions import Count
from tortoise.transactions import in_transaction

from infra.mail_outbox import queue_mail
from models.accounts import Account
from models.catalog import Course, CourseSession
from models.enrollments import Enrollment, Trainee
from models.enums import EnrollmentStatus, SessionStatus
from policies.engine import Policy, Viewer
from services import audit
from services.actors import Actor
from services.business_hours import PARIS, session_started
from services.errors import BadUserInput, Conflict, NotFound, Reason

if TYPE_CHECKING:
    from services.history import SessionRow

CODE_PATTERN = re.compile(r"^[A-Z0-9][A-Z0-9._-]{0,19}$")
MAX_PRICE = Decimal("1000000")
MAX_DAYS = Decimal("365")
MAX_CAPACITY = 10_000
MAX_SESSION_DAYS = 366
MAX_SUMMARY = 5000
ALTERNATIVES_SHOWN = 5
# Orders a cancelled session cancels with it: every status that may still become CANCELLED.
CANCELLED_WITH_SESSION = (
    EnrollmentStatus.PENDING_VALIDATION.value,
    EnrollmentStatus.VALIDATED.value,
    EnrollmentStatus.PARTIALLY_INVOICED.value,
)


# --- reading ----------------------------------------------------------------------------


async def list_courses(
    search: str | None = None, limit: int = 100, *, include_inactive: bool = False
) -> list[Course]:
    """Courses by code, with their sessions prefetched (one query per relation, not per row).
    Inactive courses only when asked (staff, see `courses_query`)."""
    query = Course.all()
    if not include_inactive:
        query = query.filter(active=True)
    if search:
        query = query.filter(Q(title__icontains=search) | Q(code__icontains=search))
    return await query.order_by("code").limit(limit).prefetch_related("sessions")


def check_may_see_inactive(policy: Policy, viewer: Viewer | None) -> None:
    """Inactive courses are for the people who manage the catalog (policy)."""
    policy.authorize(
        viewer,
        "manage_catalog",
        viewer,
        read_action=None,
        message="Only the people who manage the catalog see inactive courses.",
    )


async def get_course(course_id: int) -> Course:
    course = await Course.filter(id=course_id).prefetch_related("sessions").first()
    if course is None:
        raise NotFound("Course not found.")
    return course


async def get_session(session_id: int) -> CourseSession:
    session = await CourseSession.filter(id=session_id).select_related("course").first()
    if session is None:
        raise NotFound("Session not found.")
    return session


# --- what staff type in, checked --------------------------------------------------------


@dataclass(frozen=True)
class CourseChanges:
    """Fields of a course; None leaves a field as it is (all are required to create)."""

    code: str | None = None
    title: str | None = None
    summary: str | None = None
    list_price: Decimal | str | None = None
    duration_days: Decimal | str | None = None
    active: bool | None = None


@dataclass(frozen=True)
class SessionChanges:
    """Fields of a session; None leaves a field as it is (all but `ends_on` are required to
    create; `ends_on` defaults to the start plus the course's length)."""

    starts_on: date | None = None
    ends_on: date | None = None
    city: str | None = None
    capacity: int | None = None


def clean_code(value: str, field: str = "code") -> str:
    code = value.strip().upper()
    if not CODE_PATTERN.fullmatch(code):
        raise BadUserInput(
            "A course code is 1 to 20 letters, digits, '.', '-' or '_', e.g. MGT-101.",
            field=field,
        )
    return code


def clean_text(value: str, field: str, *, max_length: int = 200, required: bool = True) -> str:
    cleaned = " ".join(value.split()) if max_length <= 200 else value.strip()
    if required and not cleaned:
        raise BadUserInput("This field is required.", field=field)
    if len(cleaned) > max_length:
        raise BadUserInput(
            "At most {maxLength} characters.",
            field=field,
            maxLength=max_length,
            reason=Reason.TOO_LONG,
        )
    return cleaned


def _decimal(value: Decimal | str, field: str) -> Decimal:
    try:
        number = Decimal(str(value).strip().replace(",", "."))
    except InvalidOperation:
        raise BadUserInput("Not a number.", field=field) from None
    if not number.is_finite():
        raise BadUserInput("Not a number.", field=field)
    return number


def clean_price(value: Decimal | str, field: str = "listPrice") -> Decimal:
    price = _decimal(value, field)
    if not Decimal(0) <= price <= MAX_PRICE or price != price.quantize(Decimal("0.01")):
        raise BadUserInput(
            "A price between 0 and {max}, with at most 2 decimals.", field=field, max=str(MAX_PRICE)
        )
    return price.quantize(Decimal("0.01"))


def clean_days(value: Decimal | str, field: str = "durationDays") -> Decimal:
    days = _decimal(value, field)
    if not Decimal(0) < days <= MAX_DAYS or days != days.quantize(Decimal("0.5")):
        raise BadUserInput(
            "A length in days, by half days, up to {max}.", field=field, max=str(MAX_DAYS)
        )
    return days.quantize(Decimal("0.1"))


def clean_capacity(value: int, field: str = "capacity") -> int:
    if not 1 <= value <= MAX_CAPACITY:
        raise BadUserInput("A capacity between 1 and {max}.", field=field, max=MAX_CAPACITY)
    return value


def check_dates(starts_on: date, ends_on: date, field: str = "endsOn") -> None:
    if ends_on < starts_on:
        raise BadUserInput("A session cannot end before it starts.", field=field)
    if (ends_on - starts_on).days > MAX_SESSION_DAYS:
        raise BadUserInput("A session lasts at most {max} days.", field=field, max=MAX_SESSION_DAYS)


def clean_course_changes(changes: CourseChanges) -> dict[str, Any]:
    """The model fields to write, checked (BAD_USER_INPUT names the field)."""
    cleaned: dict[str, Any] = {}
    if changes.code is not None:
        cleaned["code"] = clean_code(changes.code)
    if changes.title is not None:
        cleaned["title"] = clean_text(changes.title, "title")
    if changes.summary is not None:
        cleaned["summary"] = clean_text(
            changes.summary, "summary", max_length=MAX_SUMMARY, required=False
        )
    if changes.list_price is not None:
        cleaned["list_price"] = clean_price(changes.list_price)
    if changes.duration_days is not None:
        cleaned["duration_days"] = clean_days(changes.duration_days)
    if changes.active is not None:
        cleaned["active"] = changes.active
    return cleaned


def session_ends_on(course: Course, starts_on: date) -> date:
    """The last day when none is given: a course of 3 days starting on Monday ends on
    Wednesday (half days count as a day)."""
    whole_days = int(course.duration_days.to_integral_value(rounding="ROUND_CEILING"))
    return starts_on + timedelta(days=max(whole_days, 1) - 1)


def _require_manager(policy: Policy, viewer: Viewer, action: str = "manage_catalog") -> None:
    policy.authorize(
        viewer,
        action,
        viewer,
        read_action=None,
        message="Only the people who manage the catalog may do this.",
    )


def _plain(values: dict[str, Any]) -> dict[str, Any]:
    """Audit-log friendly values (decimals and dates as text)."""
    return {k: str(v) if isinstance(v, Decimal | date | datetime) else v for k, v in values.items()}


# --- courses ----------------------------------------------------------------------------


async def create_course(policy: Policy, actor: Actor, changes: CourseChanges) -> Course:
    """Staff add a course to the catalog. A code already used is CONFLICT."""
    _require_manager(policy, actor.viewer)
    missing = [
        name
        for name in ("code", "title", "list_price", "duration_days")
        if getattr(changes, name) is None
    ]
    if missing:
        raise BadUserInput("This field is required.", field=_camel(missing[0]))
    values = clean_course_changes(changes)
    async with in_transaction():
        if await Course.filter(code=values["code"]).exists():
            raise Conflict(
                "A course with code {code} exists.", code=values["code"], reason=Reason.CODE_TAKEN
            )
        course = await Course.create(**values)
        await audit.record_by(actor, "course.created", "Course", course.id, after=_plain(values))
    return await get_course(course.id)


async def update_course(
    policy: Policy, actor: Actor, course_id: int, changes: CourseChanges
) -> Course:
    """Staff edit a course (only the fields given). Prices of orders already placed do not
    move: an order keeps the price it was booked at."""
    _require_manager(policy, actor.viewer)
    values = clean_course_changes(changes)
    async with in_transaction():
        course = await Course.filter(id=course_id).select_for_update().first()
        if course is None:
            raise NotFound("Course")
        if (
            "code" in values
            and values["code"] != course.code
            and await Course.filter(code=values["code"]).exists()
        ):
            raise Conflict(
                "A course with code {code} exists.", code=values["code"], reason=Reason.CODE_TAKEN
            )
        values = {k: v for k, v in values.items() if getattr(course, k) != v}
        if values:
            before = {k: getattr(course, k) for k in values}
            await _save_changes(actor, Course, course.id, "course.updated", before, values)
    return await get_course(course_id)


async def _save_changes(
    actor: Actor,
    model: type[Course] | type[CourseSession],
    record_id: int,
    action: str,
    before: dict[str, Any],
    values: dict[str, Any],
) -> None:
    """Writes the changed values of a catalog record and audits them (its model's name as
    the entry's target type), in the caller's transaction."""
    await model.filter(id=record_id).update(**values)
    await audit.record_by(
        actor, action, model.__name__, record_id, before=_plain(before), after=_plain(values)
    )


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


# --- sessions ---------------------------------------------------------------------------


async def _session_key_taken(
    course_id: int, starts_on: date, city: str, *, other_than: int | None = None
) -> bool:
    query = CourseSession.filter(course_id=course_id, starts_on=starts_on, city=city)
    if other_than is not None:
        query = query.exclude(id=other_than)
    return await query.exists()


async def create_session(
    policy: Policy, actor: Actor, course_id: int, changes: SessionChanges
) -> CourseSession:
    """Staff add a dated session to a course. The same course, start date and city twice is
    CONFLICT (that is the key `espace catalog import` matches sessions by)."""
    _require_manager(policy, actor.viewer)
    if changes.starts_on is None:
        raise BadUserInput("This field is required.", field="startsOn")
    if changes.city is None:
        raise BadUserInput("This field is required.", field="city")
    if changes.capacity is None:
        raise BadUserInput("This field is required.", field="capacity")
    city = clean_text(changes.city, "city", max_length=100)
    capacity = clean_capacity(changes.capacity)
    course = await Course.get_or_none(id=course_id)
    if course is None:
        raise NotFound("Course")
    ends_on = changes.ends_on or session_ends_on(course, changes.starts_on)
    check_dates(changes.starts_on, ends_on)
    async with in_transaction():
        if await _session_key_taken(course.id, changes.starts_on, city):
            raise Conflict(
                "This course already has a session starting that day in that city.",
                reason=Reason.SESSION_EXISTS,
            )
        session = await CourseSession.create(
            course=course,
            starts_on=changes.starts_on,
            ends_on=ends_on,
            city=city,
            capacity=capacity,
        )
        await audit.record_by(
            actor,
            "session.created",
            "CourseSession",
            session.id,
            after=_plain(
                {
                    "courseId": course.id,
                    "startsOn": changes.starts_on,
                    "endsOn": ends_on,
                    "city": city,
                    "capacity": capacity,
                }
            ),
        )
    return await get_session(session.id)


async def set_capacity(session_id: int, capacity: int) -> bool:
    """Change a session's capacity with one conditional UPDATE: never below the seats booked,
    even while bookings run. False when seats booked exceed it. Call inside a transaction."""
    changed = await CourseSession.filter(id=session_id, seats_booked__lte=capacity).update(
        capacity=capacity
    )
    return bool(changed)


def capacity_conflict(capacity: int, seats_booked: int) -> Conflict:
    return Conflict(
        "{seatsBooked} seat(s) are booked on this session: the capacity cannot be lower.",
        reason=Reason.CAPACITY_BELOW_SEATS_BOOKED,
        seatsBooked=seats_booked,
        capacity=capacity,
    )


async def update_session(
    policy: Policy, actor: Actor, session_id: int, changes: SessionChanges
) -> CourseSession:
    """Staff edit a session: dates, city, capacity (raised or lowered, never below the seats
    booked: CONFLICT). A cancelled session cannot be edited."""
    _require_manager(policy, actor.viewer)
    city = clean_text(changes.city, "city", max_length=100) if changes.city is not None else None
    capacity = clean_capacity(changes.capacity) if changes.capacity is not None else None
    async with in_transaction():
        session = await CourseSession.filter(id=session_id).select_for_update().first()
        if session is None:
            raise NotFound("Session not found.")
        if session.status == SessionStatus.CANCELLED.value:
            raise Conflict(
                "This session is cancelled.", reason=Reason.SESSION_CANCELLED, status=session.status
            )
        values: dict[str, Any] = {}
        starts_on = changes.starts_on or session.starts_on
        ends_on = changes.ends_on or session.ends_on
        if changes.starts_on is not None and changes.ends_on is None:
            ends_on = starts_on + (session.ends_on - session.starts_on)  # keeps its length
        check_dates(starts_on, ends_on)
        for name, value in (
            ("starts_on", starts_on),
            ("ends_on", ends_on),
            ("city", city or session.city),
        ):
            if value != getattr(session, name):
                values[name] = value
        if ("starts_on" in values or "city" in values) and await _session_key_taken(
            session.course_id,
            starts_on,
            city or session.city,
            other_than=session.id,
        ):
            raise Conflict(
                "This course already has a session starting that day in that city.",
                reason=Reason.SESSION_EXISTS,
            )
        before = {k: getattr(session, k) for k in values}
        if capacity is not None and capacity != session.capacity:
            if not await set_capacity(session.id, capacity):
                booked = await CourseSession.get(id=session.id).values_list(
                    "seats_booked", flat=True
                )
                raise capacity_conflict(capacity, int(booked))  # type: ignore[call-overload]
            before["capacity"] = session.capacity
            values["capacity"] = capacity
        if values:
            await _save_changes(actor, CourseSession, session.id, "session.updated", before, values)
    return await get_session(session_id)


async def close_session(
    policy: Policy, actor: Actor, session_id: int, *, now: datetime | None = None
) -> CourseSession:
    """Staff close a session to new bookings; its orders stay as they are. Only an OPEN
    session closes (CONFLICT otherwise, with its `status`)."""
    _require_manager(policy, actor.viewer)
    now = now or datetime.now(UTC)
    async with in_transaction():
        session = await get_session(session_id)
        closed = await CourseSession.filter(id=session.id, status=SessionStatus.OPEN.value).update(
            status=SessionStatus.CLOSED.value, closed_at=now
        )
        if not closed:
            raise await _not_open(session.id)
        await audit.record_by(
            actor,
            "session.closed",
            "CourseSession",
            session.id,
            before={"status": SessionStatus.OPEN.value},
            after={"status": SessionStatus.CLOSED.value, "at": now.isoformat()},
        )
    return await get_session(session_id)


_SESSION_REASONS = {"CLOSED": Reason.SESSION_CLOSED, "CANCELLED": Reason.SESSION_CANCELLED}


async def _not_open(session_id: int) -> Conflict:
    status = await CourseSession.filter(id=session_id).first().values_list("status", flat=True)
    return Conflict(
        "This session is {status}.",
        reason=_SESSION_REASONS.get(str(status), Reason.STATE_CONFLICT),
        status=status,
    )


@dataclass(frozen=True)
class SessionCancellation:
    """What cancelling a session did: the orders cancelled with it, and the invoiced ones
    that kept their seats (staff move or refund them)."""

    session: CourseSession
    cancelled_enrollments: list[Enrollment]
    invoiced_enrollments: list[Enrollment]


async def _alternatives(session: CourseSession, language: str, today: date) -> str:
    """The coming open sessions of the same course, one per line, for the mail."""
    rows = (
        await CourseSession.filter(
            course_id=session.course_id,
            status=SessionStatus.OPEN.value,
            starts_on__gt=today,
        )
        .exclude(id=session.id)
        .order_by("starts_on", "id")
        .limit(ALTERNATIVES_SHOWN)
    )
    if not rows:
        return "-"
    word = "à" if language == "fr" else "in"
    return "\n".join(f"- {row.starts_on.isoformat()}, {word} {row.city}" for row in rows)


async def cancel_session(
    policy: Policy,
    actor: Actor,
    session_id: int,
    reason: str = "",
    *,
    now: datetime | None = None,
) -> SessionCancellation:
    """Staff cancel a session (see the module docstring for what happens to its orders).
    One transaction: the session, its orders, its seats, the audit entries and the mails."""
    _require_manager(policy, actor.viewer, "cancel_session")
    now = now or datetime.now(UTC)
    why = clean_text(reason, "reason", max_length=2000, required=False)
    cancelled: list[Enrollment] = []
    invoiced: list[Enrollment] = []
    async with in_transaction():
        session = await get_session(session_id)
        moved = await CourseSession.filter(
            id=session.id,
            status__in=[SessionStatus.OPEN.value, SessionStatus.CLOSED.value],
        ).update(status=SessionStatus.CANCELLED.value, cancelled_at=now)
        if not moved:
            raise await _not_open(session.id)
        await audit.record_by(
            actor,
            "session.cancelled",
            "CourseSession",
            session.id,
            before={"status": session.status},
            after={"status": SessionStatus.CANCELLED.value, "at": now.isoformat(), "reason": why},
        )
        # No booking can start now (they need an OPEN session); orders moving meanwhile are
        # caught by the compare-and-set on their status.
        live = (
            await Enrollment.filter(session_id=session.id)
            .exclude(status=EnrollmentStatus.CANCELLED.value)
            .order_by("id")
        )
        released = 0
        for enrollment in live:
            if enrollment.status in CANCELLED_WITH_SESSION:
                done = await Enrollment.filter(id=enrollment.id, status=enrollment.status).update(
                    status=EnrollmentStatus.CANCELLED.value,
                    cancelled_at=now,
                    cancel_reason=why or "session cancelled",
                    updated_at=now,
                )
                if not done:
                    continue  # cancelled by its registrant meanwhile, seats already freed
                await audit.record_by(
                    actor,
                    "enrollment.cancelled",
                    "Enrollment",
                    enrollment.id,
                    establishment_id=enrollment.establishment_id,
                    before={"status": enrollment.status},
                    after={
                        "status": EnrollmentStatus.CANCELLED.value,
                        "at": now.isoformat(),
                        "reason": why,
                        "sessionCancelled": session.id,
                    },
                )
                released += enrollment.seats
                enrollment.status = EnrollmentStatus.CANCELLED.value
                cancelled.append(enrollment)
                template = "session_cancelled"
            else:
                invoiced.append(enrollment)
                template = "session_cancelled_invoiced"
            language = await _language_of(enrollment.registrant_email)
            await queue_mail(
                enrollment.registrant_email,
                template,
                language,
                reference=enrollment.reference,
                course=session.course.title,
                starts_on=session.starts_on.isoformat(),
                city=session.city,
                seats=enrollment.seats,
                alternatives=await _alternatives(session, language, now.astimezone(PARIS).date()),
            )
        if released:
            await CourseSession.filter(id=session.id).update(
                seats_booked=F("seats_booked") - released
            )
    return SessionCancellation(
        session=await get_session(session_id),
        cancelled_enrollments=cancelled,
        invoiced_enrollments=invoiced,
    )


async def _language_of(email: str) -> str:
    language = await Account.filter(email=email).first().values_list("language", flat=True)
    return str(language or "fr")


# --- consistency ------------------------------------------------------------------------


@dataclass(frozen=True)
class SeatMismatch:
    """A session whose booked seats differ from its trainees on orders not cancelled."""

    session_id: int
    course_code: str
    starts_on: date
    city: str
    seats_booked: int
    trainees: int


async def seat_mismatches() -> list[SeatMismatch]:
    """Sessions where `seats_booked` is not the number of trainees of their orders that are
    not cancelled (what `espace doctor` reports). Two queries whatever the catalog size."""
    grouped = (
        await Trainee.exclude(enrollment__status=EnrollmentStatus.CANCELLED.value)
        .annotate(count=Count("id"))
        .group_by("enrollment__session_id")
        .values_list("enrollment__session_id", "count")
    )
    counts = {int(session_id): int(count) for session_id, count in grouped}
    found = []
    for session in await CourseSession.all().select_related("course").order_by("id"):
        trainees = counts.get(session.id, 0)
        if trainees != session.seats_booked:
            found.append(
                SeatMismatch(
                    session_id=session.id,
                    course_code=session.course.code,
                    starts_on=session.starts_on,
                    city=session.city,
                    seats_booked=session.seats_booked,
                    trainees=trainees,
                )
            )
    return found


# --- CSV import -------------------------------------------------------------------------

COURSE_COLUMNS = ("course_code", "course_title", "list_price", "duration_days")
OPTIONAL_COLUMNS = ("summary", "starts_on", "ends_on", "city", "capacity")
# The input field each column feeds, to turn a BAD_USER_INPUT into the column at fault.
FIELD_COLUMNS = {
    "code": "course_code",
    "title": "course_title",
    "listPrice": "list_price",
    "durationDays": "duration_days",
    "summary": "summary",
    "city": "city",
    "capacity": "capacity",
    "endsOn": "ends_on",
}


@dataclass(frozen=True)
class RowError:
    """A bad value of the file: where (line of the file, column name) and why."""

    line: int
    column: str
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}, column {self.column}: {self.reason}"


@dataclass(frozen=True)
class CatalogRow:
    """One checked row: a course, and a session of it when `starts_on` is given."""

    line: int
    code: str
    title: str
    summary: str | None
    list_price: Decimal
    duration_days: Decimal
    starts_on: date | None
    ends_on: date | None
    city: str
    capacity: int


@dataclass
class ImportReport:
    """What an import did, or would do (`dry_run`), or why it wrote nothing (`errors`)."""

    dry_run: bool
    changes: list[str]
    errors: list[RowError]
    courses_created: int = 0
    courses_updated: int = 0
    sessions_created: int = 0
    sessions_updated: int = 0
    unchanged: int = 0

    @property
    def summary(self) -> str:
        return (
            f"{self.courses_created} course(s) created, {self.courses_updated} updated; "
            f"{self.sessions_created} session(s) created, {self.sessions_updated} updated; "
            f"{self.unchanged} unchanged."
        )


def _parse_date(value: str) -> date:
    text = value.strip()
    try:
        if "/" in text:
            day, month, year = (int(part) for part in text.split("/"))
            return date(year, month, day)
        return date.fromisoformat(text)
    except ValueError:
        raise BadUserInput("Not a date (YYYY-MM-DD or DD/MM/YYYY).") from None


def _parse_int(value: str) -> int:
    try:
        return int(value.strip())
    except ValueError:
        raise BadUserInput("Not a whole number.") from None


def _check_row(line: int, raw: dict[str, str]) -> CatalogRow:
    """A row checked with the same rules as the GraphQL mutations; BadUserInput carries the
    column in `extensions["column"]`."""

    def cell(column: str) -> str:
        return (raw.get(column) or "").strip()

    column = "course_code"
    try:
        code = clean_code(cell("course_code"))
        column = "course_title"
        title = clean_text(cell("course_title"), "title")
        column = "list_price"
        price = clean_price(cell("list_price") or "missing")
        column = "duration_days"
        days = clean_days(cell("duration_days") or "missing")
        column = "summary"
        summary = (
            clean_text(cell("summary"), "summary", max_length=MAX_SUMMARY, required=False)
            if "summary" in raw
            else None
        )
        starts_on = ends_on = None
        city, capacity = "", 0
        if cell("starts_on"):
            column = "starts_on"
            starts_on = _parse_date(cell("starts_on"))
            column = "ends_on"
            if cell("ends_on"):
                ends_on = _parse_date(cell("ends_on"))
            else:
                whole = int(days.to_integral_value(rounding="ROUND_CEILING"))
                ends_on = starts_on + timedelta(days=max(whole, 1) - 1)
            check_dates(starts_on, ends_on)
            column = "city"
            city = clean_text(cell("city"), "city", max_length=100)
            column = "capacity"
            if not cell("capacity"):
                raise BadUserInput("This field is required.")
            capacity = clean_capacity(_parse_int(cell("capacity")))
        else:
            for other in ("ends_on", "city", "capacity"):
                if cell(other):
                    column = other
                    raise BadUserInput("A session needs its starts_on date.")
    except BadUserInput as error:
        error.extensions["column"] = column
        raise
    return CatalogRow(line, code, title, summary, price, days, starts_on, ends_on, city, capacity)


def parse_catalog_csv(text: str) -> tuple[list[CatalogRow], list[RowError]]:
    """Rows of a catalog file (header line first; ',' or ';' separated), and every bad
    value found, with its line and column. Rows are checked against each other too: a course
    described differently on two rows, or the same session twice, is an error."""
    import csv
    import io

    text = text.removeprefix("\ufeff")
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = [name.strip() for name in next(reader, [])]
    errors: list[RowError] = []
    for name in COURSE_COLUMNS:
        if name not in header:
            errors.append(RowError(1, name, "This column is missing from the header line."))
    for name in header:
        if name not in COURSE_COLUMNS + OPTIONAL_COLUMNS:
            errors.append(
                RowError(
                    1,
                    name or "(empty)",
                    "Unknown column; expected "
                    + ", ".join(COURSE_COLUMNS + OPTIONAL_COLUMNS)
                    + ".",
                )
            )
    if errors:
        return [], errors
    rows: list[CatalogRow] = []
    courses: dict[str, CatalogRow] = {}
    sessions: dict[tuple[str, date, str], int] = {}
    line = 1
    for record in reader:
        start_line, line = line + 1, reader.line_num
        if not any(value.strip() for value in record):
            continue  # blank line
        if len(record) > len(header):
            errors.append(RowError(start_line, "-", "More cells than columns in the header."))
            continue
        raw = dict(zip(header, record, strict=False))
        try:
            row = _check_row(start_line, raw)
        except BadUserInput as error:
            errors.append(RowError(start_line, error.extensions["column"], error.message))
            continue
        known = courses.setdefault(row.code, row)
        for name, column in (
            ("title", "course_title"),
            ("list_price", "list_price"),
            ("duration_days", "duration_days"),
        ):
            if getattr(known, name) != getattr(row, name):
                errors.append(
                    RowError(
                        row.line,
                        column,
                        f"Course {row.code} is described differently on line {known.line}.",
                    )
                )
        if row.starts_on is not None:
            key = (row.code, row.starts_on, row.city.casefold())
            if key in sessions:
                errors.append(
                    RowError(row.line, "starts_on", f"Same session as line {sessions[key]}.")
                )
            sessions.setdefault(key, row.line)
        rows.append(row)
    return rows, errors


async def _apply_rows(rows: list[CatalogRow], report: ImportReport, *, write: bool) -> None:
    """Compare the rows with the database and (when `write`) change it. Errors the database
    reveals (capacity below seats booked, a cancelled session) go to `report.errors`."""
    done_courses: set[str] = set()
    courses = {c.code: c for c in await Course.filter(code__in=[r.code for r in rows])}
    for row in rows:
        course = courses.get(row.code)
        if row.code not in done_courses:
            done_courses.add(row.code)
            values: dict[str, Any] = {
                "title": row.title,
                "list_price": row.list_price,
                "duration_days": row.duration_days,
            }
            if row.summary is not None:
                values["summary"] = row.summary
            if course is None:
                report.courses_created += 1
                report.changes.append(f"line {row.line}: create course {row.code} ({row.title})")
                if write:
                    course = await Course.create(code=row.code, **values)
                    courses[row.code] = course
            else:
                diff = {k: v for k, v in values.items() if getattr(course, k) != v}
                if diff:
                    report.courses_updated += 1
                    report.changes.append(
                        f"line {row.line}: update course {row.code}: "
                        + ", ".join(f"{k} {getattr(course, k)} -> {v}" for k, v in diff.items())
                    )
                    if write:
                        await Course.filter(id=course.id).update(**diff)
                else:
                    report.unchanged += 1
        if row.starts_on is None:
            continue
        label = f"session {row.code} {row.starts_on.isoformat()} {row.city}"
        session = None
        if course is not None:
            session = (
                await CourseSession.filter(course_id=course.id, starts_on=row.starts_on)
                .filter(city__iexact=row.city)
                .first()
            )
        if session is None:
            report.sessions_created += 1
            report.changes.append(
                f"line {row.line}: create {label} ({row.ends_on}, {row.capacity} seats)"
            )
            if write:
                await CourseSession.create(
                    course=course,
                    starts_on=row.starts_on,
                    ends_on=row.ends_on,
                    city=row.city,
                    capacity=row.capacity,
                )
            continue
        diff = {}
        if session.ends_on != row.ends_on:
            diff["ends_on"] = row.ends_on
        if session.capacity != row.capacity:
            diff["capacity"] = row.capacity
        if not diff:
            report.unchanged += 1
            continue
        if session.status == SessionStatus.CANCELLED.value:
            report.errors.append(
                RowError(row.line, "starts_on", "This session is cancelled: it cannot change.")
            )
            continue
        if row.capacity < session.seats_booked:
            report.errors.append(
                RowError(
                    row.line,
                    "capacity",
                    f"{session.seats_booked} seat(s) are booked on this session: the "
                    "capacity cannot be lower.",
                )
            )
            continue
        report.sessions_updated += 1
        report.changes.append(
            f"line {row.line}: update {label}: "
            + ", ".join(f"{k} {getattr(session, k)} -> {v}" for k, v in diff.items())
        )
        if write:
            if "capacity" in diff and not await set_capacity(session.id, row.capacity):
                report.errors.append(
                    RowError(row.line, "capacity", "Seats were booked meanwhile: try again.")
                )
                continue
            await CourseSession.filter(id=session.id).update(**diff)


class _Rollback(Exception):
    """Raised inside the import's transaction to undo it when the database revealed errors."""


async def import_catalog(
    text: str, *, dry_run: bool = False, source: str = "", now: datetime | None = None
) -> ImportReport:
    """Import a catalog file: courses matched by code, sessions by course code, start date
    and city (case-insensitive), so importing the same file twice changes nothing.

    All or nothing: any bad row (line, column, reason) and nothing is written; the changes
    run in one transaction, audited as one entry. `dry_run` reports what would change."""
    now = now or datetime.now(UTC)
    rows, errors = parse_catalog_csv(text)
    report = ImportReport(dry_run=dry_run, changes=[], errors=errors)
    if errors:
        return report
    if dry_run:
        await _apply_rows(rows, report, write=False)
        return report
    try:
        async with in_transaction():
            await _apply_rows(rows, report, write=True)
            if report.errors:
                raise _Rollback
            if report.changes:
                await audit.record(
                    "catalog.imported",
                    actor_email="espace catalog import",
                    target_type="Catalog",
                    after={
                        "source": source,
                        "at": now.isoformat(),
                        "summary": report.summary,
                        "changes": report.changes[:200],
                    },
                )
    except _Rollback:
        pass
    if report.errors:  # nothing was written: say so in the numbers too
        report = ImportReport(dry_run=dry_run, changes=[], errors=report.errors)
    return report


async def courses_by_id(course_ids: Sequence[int]) -> dict[int, Course]:
    """These courses of the public catalog with their sessions, in two queries."""
    rows = await Course.filter(id__in=list(set(course_ids))).prefetch_related("sessions")
    return {row.id: row for row in rows}


def is_bookable(session: CourseSession | SessionRow, now: datetime | None = None) -> bool:
    """Whether `enroll` may choose this session now: OPEN, seats left, not started yet (Paris
    calendar). The same checks `services.enrollments` makes when booking."""
    return (
        session.status == SessionStatus.OPEN.value
        and session.capacity > session.seats_booked
        and not session_started(session.starts_on, now)
    )
