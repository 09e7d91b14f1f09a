"""The enrollment life cycle: booking, validation, invoicing, cancellation and postponement
(rules 2, 9-11, 13, 14).

Status moves only forward along PENDING_VALIDATION → VALIDATED → PARTIALLY_INVOICED →
INVOICED, or to CANCELLED from a state that is not final. Every move is a compare-and-set
UPDATE on the status read before (`_move`), so two concurrent moves cannot both succeed, and
each is written to the audit log in its transaction, with the mail it causes.

Checks run in the order clients rely on: an enrollment the caller may not see is NOT_FOUND,
then an illegal move is CONFLICT (with `currentStatus`), then a move the policy refuses to
this caller is FORBIDDEN. Who may do what is asked of `policies/enrollments.polar`.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from tortoise.expressions import F, Subquery
from tortoise.transactions import in_transaction

from infra.locks import lock_account, lock_establishment
from infra.mail_outbox import queue_mail
from models.accounts import Account
from models.catalog import CourseSession
from models.companies import Establishment
from models.enrollments import Enrollment, Invoice, PostponementRequest, Trainee
from models.enums import AccountKind, Channel, EnrollmentStatus, RequestStatus, SessionStatus
from policies.engine import Policy, Viewer
from services import audit, booking_limits, history, mail_relay, pricing
from services.accounts import ensure_account
from services.actors import Actor
from services.admins import make_first_registrant_admin
from services.business_hours import PARIS, add_business_hours, session_started
from services.emails import normalize_email
from services.enrollment_states import POSTPONABLE, TRANSITIONS
from services.errors import BadUserInput, Conflict, FieldChecks, NotFound, Reason
from services.search import refresh_search_text
from services.text import check_storable, clean_name, column_length

VALIDATION_BUSINESS_HOURS = 24
MAX_TRAINEES = 50
MAX_TEXT = 2000
MAX_INVOICE_AMOUNT = Decimal("10000000")

S = EnrollmentStatus


@dataclass(frozen=True)
class TraineeInput:
    first_name: str
    last_name: str
    email: str = ""


@dataclass(frozen=True)
class EnrollmentRequest:
    """What a registrant fills in. `establishment_id` None books as an individual;
    `registrant_email` None means the login e-mail of the person enrolling."""

    session_id: int
    trainees: Sequence[TraineeInput]
    establishment_id: int | None = None
    registrant_email: str | None = None
    registrant_name: str | None = None


@dataclass(frozen=True)
class OfflineEnrollmentRequest:
    """An order taken by staff over the phone or by e-mail (rule 2)."""

    session_id: int
    trainees: Sequence[TraineeInput]
    registrant_email: str
    registrant_name: str
    channel: Channel
    establishment_id: int | None = None


@dataclass(frozen=True)
class Booking:
    """The outcome of a booking.

    `in_registrant_history`: whether the policy puts the enrollment in the own history of
    the person who enrolled (rule 5: not when they typed another e-mail, nor before they
    verified their login e-mail).
    `became_admin`: always False since rule 9 applies at validation, not at booking (kept
    for the deprecated `becameAdmin` fields of the API).
    `account_created`: an offline order created the registrant's account (rule 2).
    """

    enrollment: Enrollment
    in_registrant_history: bool
    became_admin: bool
    account_created: bool = False


# --- helpers ----------------------------------------------------------------------------


def _now(now: datetime | None) -> datetime:
    return now or datetime.now(UTC)


def _name(value: str | None, field: str, *, required: bool, max_length: int) -> str:
    """A person's name: see `services.text.clean_name` (lengths come from the columns)."""
    return clean_name(value, field, required=required, max_length=max_length)


def _message(value: str | None, field: str) -> str:
    check_storable(value or "", field)
    cleaned = (value or "").strip()
    if len(cleaned) > MAX_TEXT:
        raise BadUserInput(
            "At most {maxLength} characters.",
            field=field,
            maxLength=MAX_TEXT,
            reason=Reason.TOO_LONG,
        )
    return cleaned


def _clean_trainees(trainees: Sequence[TraineeInput]) -> list[TraineeInput]:
    if not trainees:
        raise BadUserInput("Name at least one trainee.", field="trainees", reason=Reason.REQUIRED)
    if len(trainees) > MAX_TRAINEES:
        raise BadUserInput(
            "At most {max} trainees per enrollment.",
            field="trainees",
            max=MAX_TRAINEES,
            reason=Reason.OUT_OF_RANGE,
        )
    cleaned = []
    checks = FieldChecks()  # every invalid trainee field at once
    for index, trainee in enumerate(trainees):
        prefix = f"trainees.{index}"
        email = trainee.email.strip()
        first_name = last_name = address = ""
        with checks.field():
            first_name = _name(
                trainee.first_name,
                f"{prefix}.firstName",
                required=True,
                max_length=column_length(Trainee, "first_name"),
            )
        with checks.field():
            last_name = _name(
                trainee.last_name,
                f"{prefix}.lastName",
                required=True,
                max_length=column_length(Trainee, "last_name"),
            )
        with checks.field():
            address = normalize_email(email, field=f"{prefix}.email") if email else ""
        cleaned.append(TraineeInput(first_name=first_name, last_name=last_name, email=address))
    checks.done()
    return cleaned


def _new_reference() -> str:
    return "ESP-" + secrets.token_hex(4).upper()


async def _language_of(email: str) -> str:
    """The language of the account with this e-mail, French when there is none."""
    language = await Account.filter(email=email).first().values_list("language", flat=True)
    return str(language or "fr")


async def _mail_registrant(enrollment: Enrollment, template: str, **context: Any) -> None:
    session = enrollment.session
    await queue_mail(
        enrollment.registrant_email,
        template,
        await _language_of(enrollment.registrant_email),
        reference=enrollment.reference,
        course=session.course.title,
        starts_on=session.starts_on.isoformat(),
        city=session.city,
        seats=enrollment.seats,
        **context,
    )


async def _visible(policy: Policy, viewer: Viewer, enrollment_id: int) -> Enrollment:
    """The enrollment if the viewer may read it, with its session and course; else NOT_FOUND."""
    row = (
        await history.visible_enrollments(policy, viewer)
        .filter(id=enrollment_id)
        .select_related("session__course")
        .first()
    )
    if row is None:
        raise NotFound("Enrollment not found.")
    return row


def _check_move(enrollment: Enrollment, to: EnrollmentStatus) -> None:
    current = EnrollmentStatus(enrollment.status)
    if to not in TRANSITIONS[current]:
        raise Conflict(
            "This enrollment is {currentStatus}: it cannot become {requestedStatus}.",
            currentStatus=current.value,
            requestedStatus=to.value,
            reason=Reason.ILLEGAL_STATUS_CHANGE,
        )


async def _current_status(enrollment_id: int) -> str | None:
    found = await Enrollment.filter(id=enrollment_id).limit(1).values("status")
    return str(found[0]["status"]) if found else None


async def _move(
    enrollment: Enrollment,
    to: EnrollmentStatus,
    actor: Actor,
    action: str,
    *,
    now: datetime,
    details: dict[str, Any] | None = None,
    **changes: Any,
) -> None:
    """Compare-and-set the status (call inside a transaction): UPDATE ... WHERE status is
    still the one read. 0 rows means someone moved it meanwhile: CONFLICT."""
    before = enrollment.status
    moved = await Enrollment.filter(id=enrollment.id, status=before).update(
        status=to.value, updated_at=now, **changes
    )
    if not moved:
        current = await _current_status(enrollment.id)
        raise Conflict(
            "This enrollment was changed meanwhile: it is now {currentStatus}.",
            currentStatus=current,
            reason=Reason.STATUS_CHANGED,
        )
    await audit.record_by(
        actor,
        action,
        "Enrollment",
        enrollment.id,
        establishment_id=enrollment.establishment_id,
        before={"status": before},
        after={"status": to.value, "at": now.isoformat(), **(details or {})},
    )
    enrollment.status = to.value


async def _take_seats(session_id: int, seats: int) -> None:
    """Book seats with one conditional UPDATE: never more than the capacity, even under
    concurrent bookings. CONFLICT when not enough seats are left."""
    taken = await CourseSession.filter(
        id=session_id, seats_booked__lte=F("capacity") - seats, status=SessionStatus.OPEN.value
    ).update(seats_booked=F("seats_booked") + seats)
    if not taken:
        row = await CourseSession.filter(id=session_id).values("capacity", "seats_booked", "status")
        if row and row[0]["status"] != SessionStatus.OPEN.value:
            raise _session_not_open(row[0]["status"])
        left = max(row[0]["capacity"] - row[0]["seats_booked"], 0) if row else 0
        raise Conflict(
            "Only {seatsLeft} seat(s) left on this session.",
            seatsLeft=left,
            reason=Reason.NOT_ENOUGH_SEATS,
        )


# The demo data books its orders through the same seat-taking function as real orders.
take_seats = _take_seats


def _session_not_open(status: str) -> Conflict:
    """A CLOSED or CANCELLED session takes no booking (staff closed it, `services.catalog`)."""
    return Conflict(
        "This session is {status}: it takes no more bookings.",
        reason=Reason.SESSION_CANCELLED if status == "CANCELLED" else Reason.SESSION_CLOSED,
        status=status,
    )


async def _release_seats(session_id: int, seats: int) -> None:
    await CourseSession.filter(id=session_id, seats_booked__gte=seats).update(
        seats_booked=F("seats_booked") - seats
    )


async def _session(session_id: int, now: datetime) -> CourseSession:
    session = await CourseSession.filter(id=session_id).select_related("course").first()
    if session is None:
        raise NotFound("Session not found.")
    if session_started(session.starts_on, now):
        raise BadUserInput(
            "This session has already started.", field="sessionId", reason=Reason.SESSION_STARTED
        )
    if session.status != SessionStatus.OPEN.value:
        raise _session_not_open(session.status)
    return session


@dataclass(frozen=True)
class _Order:
    """What a booking writes: the session, for which site (None for an individual), who
    registers whom, by which channel, under which reference."""

    session: CourseSession
    establishment: Establishment | None
    trainees: list[TraineeInput]
    registrant_email: str
    registrant_name: str
    channel: Channel
    reference: str


async def _book(order: _Order, actor: Actor, now: datetime) -> Enrollment:
    """Book the seats and write the enrollment, placed by the actor. Call inside a
    transaction. Nobody becomes admin here: rule 9 applies when staff validate
    (`validate_enrollment`)."""
    session, establishment, trainees = order.session, order.establishment, order.trainees
    registrant_email, channel = order.registrant_email, order.channel
    if establishment is not None:
        await lock_establishment(establishment.id)
    seats = len(trainees)
    await _take_seats(session.id, seats)
    discount = await pricing.framework_discount(
        establishment.company_id if establishment is not None else None
    )
    list_total = pricing.money(session.course.list_price * seats)
    enrollment = await Enrollment.create(
        reference=order.reference,
        session=session,
        establishment=establishment,
        placed_by=actor.account,
        registrant_email=registrant_email,
        registrant_name=order.registrant_name,
        channel=channel.value,
        status=S.PENDING_VALIDATION.value,
        seats=seats,
        list_price_total=list_total,
        net_price_total=pricing.discounted(list_total, discount.percent),
        discount_source=discount.source.value,
        booked_at=now,
        expected_validation_by=add_business_hours(now, VALIDATION_BUSINESS_HOURS),
    )
    await Trainee.bulk_create(
        [
            Trainee(
                enrollment=enrollment,
                first_name=t.first_name,
                last_name=t.last_name,
                email=t.email,
            )
            for t in trainees
        ]
    )
    await refresh_search_text([enrollment.id])
    await audit.record_by(
        actor,
        "enrollment.booked",
        "Enrollment",
        enrollment.id,
        establishment_id=establishment.id if establishment is not None else None,
        after={
            "status": S.PENDING_VALIDATION.value,
            "channel": channel.value,
            "seats": seats,
            "registrantEmail": registrant_email,
            "sessionId": session.id,
        },
    )
    return enrollment


async def _establishment_for_enroll(
    policy: Policy, viewer: Viewer, establishment_id: int
) -> Establishment:
    """The establishment the viewer may enrol for. One they may not even see is NOT_FOUND."""
    establishment = await Establishment.get_or_none(id=establishment_id)
    if establishment is None:
        raise NotFound("Establishment not found.")
    policy.authorize(
        viewer,
        "enroll",
        establishment,
        what="Establishment",
        message="You may not enrol people for this establishment.",
    )
    return establishment


# --- booking ----------------------------------------------------------------------------


async def enroll(
    policy: Policy, actor: Actor, request: EnrollmentRequest, *, now: datetime | None = None
) -> Booking:
    """Place a booking request online (channel WEB, status PENDING_VALIDATION).

    Seats are taken in the same transaction as the enrollment is written. The price is the
    list price less the company's framework discount when it is in force (rule 10), never a
    loyalty discount (rule 11). Who may book for an establishment is the policy's question;
    nobody becomes admin by booking (rule 9 applies at validation).
    """
    now = _now(now)
    viewer = actor.viewer
    checks = FieldChecks()  # every invalid field of the form at once
    with checks.field():
        trainees = _clean_trainees(request.trainees)
    with checks.field():
        registrant_email = (
            normalize_email(request.registrant_email, field="registrantEmail")
            if request.registrant_email and request.registrant_email.strip()
            else actor.account.email
        )
    with checks.field():
        registrant_name = _name(
            request.registrant_name or actor.account.full_name,
            "registrantName",
            required=False,
            max_length=column_length(Enrollment, "registrant_name"),
        )
    checks.done()
    establishment = None
    if request.establishment_id is not None:
        establishment = await _establishment_for_enroll(policy, viewer, request.establishment_id)
    else:
        policy.authorize(
            viewer,
            "enroll_as_individual",
            viewer,
            read_action=None,
            message="You may not enrol as an individual.",
        )
    session = await _session(request.session_id, now)
    async with in_transaction():
        await lock_account(actor.account.id)
        await booking_limits.check(viewer, actor.account, len(trainees))
        order = _Order(
            session,
            establishment,
            trainees,
            registrant_email,
            registrant_name,
            Channel.WEB,
            _new_reference(),
        )
        enrollment = await _book(order, actor, now)
    return Booking(
        enrollment=enrollment,
        in_registrant_history=policy.is_allowed(actor.viewer, "in_own_history", enrollment),
        became_admin=False,
    )


async def record_offline_enrollment(
    policy: Policy, actor: Actor, request: OfflineEnrollmentRequest, *, now: datetime | None = None
) -> Booking:
    """Staff record an order taken by phone or e-mail (rule 2). The registrant's account is
    created when unknown and receives a one-time link to choose a password; it is granted
    nothing until that link proves the address (rule 9 applies at validation)."""
    now = _now(now)
    policy.authorize(
        actor.viewer,
        "record_offline_enrollment",
        actor.viewer,
        read_action=None,
        message="Only staff record phone and e-mail orders.",
    )
    if request.channel == Channel.WEB:
        raise BadUserInput(
            "An offline order comes by PHONE or EMAIL.",
            field="channel",
            reason=Reason.INVALID_COMBINATION,
        )
    checks = FieldChecks()  # every invalid field of the form at once
    with checks.field():
        trainees = _clean_trainees(request.trainees)
    with checks.field():
        registrant_email = normalize_email(request.registrant_email, field="registrantEmail")
    with checks.field():
        registrant_name = _name(
            request.registrant_name,
            "registrantName",
            required=True,
            max_length=column_length(Enrollment, "registrant_name"),
        )
    checks.done()
    establishment = None
    if request.establishment_id is not None:
        establishment = await Establishment.get_or_none(id=request.establishment_id)
        if establishment is None:
            raise NotFound("Establishment not found.")
    session = await _session(request.session_id, now)
    reference = _new_reference()
    how = "par téléphone" if request.channel == Channel.PHONE else "par e-mail"
    async with in_transaction():
        _account, created = await ensure_account(
            registrant_email,
            full_name=registrant_name,
            kind=AccountKind.COMPANY if establishment is not None else AccountKind.INDIVIDUAL,
            reason=f"inscription {reference} prise {how}",
        )
        order = _Order(
            session,
            establishment,
            trainees,
            registrant_email,
            registrant_name,
            request.channel,
            reference,
        )
        enrollment = await _book(order, actor, now)
    return Booking(
        enrollment=enrollment,
        in_registrant_history=True,
        became_admin=False,
        account_created=created,
    )


# --- status moves -----------------------------------------------------------------------


async def validate_enrollment(
    policy: Policy, actor: Actor, enrollment_id: int, *, now: datetime | None = None
) -> Enrollment:
    """Staff validate a booking request; the registrant gets the confirmation mail (rule 13).

    Rule 9: when this is the first validated enrollment of its establishment, its registrant
    becomes admin of it if their e-mail is verified (else when they verify it, see
    `services.admins`). The establishment is locked so two first validations cannot race.
    """
    now = _now(now)
    enrollment = await _visible(policy, actor.viewer, enrollment_id)
    _check_move(enrollment, S.VALIDATED)
    policy.authorize(
        actor.viewer,
        "validate",
        enrollment,
        what="Enrollment",
        message="Only staff validate enrollments.",
    )
    establishment_id = enrollment.establishment_id
    async with in_transaction():
        first_of_establishment = False
        if establishment_id is not None:
            await lock_establishment(establishment_id)
            first_of_establishment = not await Enrollment.filter(
                establishment_id=establishment_id, validated_at__isnull=False
            ).exists()
        await _move(
            enrollment, S.VALIDATED, actor, "enrollment.validated", now=now, validated_at=now
        )
        if first_of_establishment and establishment_id is not None:
            await make_first_registrant_admin(
                establishment_id,
                enrollment.registrant_email,
                by=actor.account,
                client_address=actor.client_address,
            )
        await _mail_registrant(enrollment, "enrollment_validated")
    return enrollment


async def cancel_enrollment(
    policy: Policy,
    actor: Actor,
    enrollment_id: int,
    reason: str = "",
    *,
    now: datetime | None = None,
) -> Enrollment:
    """Cancel an enrollment and free its seats; a mail confirms it (rule 14).

    The reason is mailed verbatim only to its author's own verified address (or when staff
    wrote it); the registrant otherwise reads it in the customer space. Mails to another
    person's address are limited per recipient (`services.mail_relay`): over the limit the
    cancellation still happens, without a mail.

    Customers cancel what was made online and not invoiced yet; staff cancel any enrollment
    that is not final. Both are decided by the policy. Cancelling twice is CONFLICT.
    """
    now = _now(now)
    enrollment = await _visible(policy, actor.viewer, enrollment_id)
    _check_move(enrollment, S.CANCELLED)
    if not policy.is_allowed(actor.viewer, "cancel", enrollment):  # customers' rule, else staff's
        policy.authorize(
            actor.viewer,
            "staff_cancel",
            enrollment,
            what="Enrollment",
            message="Only an enrollment made online and not invoiced yet can be cancelled here; "
            "ask us for the others.",
        )
    why = _message(reason, "reason")
    async with in_transaction():
        await _move(
            enrollment,
            S.CANCELLED,
            actor,
            "enrollment.cancelled",
            now=now,
            details={"reason": why},
            cancelled_at=now,
            cancel_reason=why,
        )
        await _release_seats(enrollment.session_id, enrollment.seats)
        recipient = enrollment.registrant_email
        if await mail_relay.may_mail(policy, actor, recipient):
            language = await _language_of(recipient)
            shown = mail_relay.relayed_text(policy, actor, recipient, why, language)
            await _mail_registrant(enrollment, "enrollment_cancelled", reason=shown)
    return enrollment


async def record_invoice(
    policy: Policy,
    actor: Actor,
    enrollment_id: int,
    amount: Decimal,
    final: bool,
    *,
    now: datetime | None = None,
) -> Invoice:
    """Staff record an invoice: PARTIALLY_INVOICED, or INVOICED when `final`.

    A loyalty pass of the company valid today is applied here, and only here (rule 11): the
    invoice shows the discount line.
    """
    now = _now(now)
    enrollment = await _visible(policy, actor.viewer, enrollment_id)
    target = S.INVOICED if final else S.PARTIALLY_INVOICED
    _check_move(enrollment, target)
    policy.authorize(
        actor.viewer,
        "record_invoice",
        enrollment,
        what="Enrollment",
        message="Only staff record invoices.",
    )
    try:
        amount = Decimal(amount)
    except InvalidOperation:
        raise BadUserInput("The amount is not a number.", field="amount") from None
    # Compared before rounding: rounding 1e400 to the cent overflows the decimal context.
    if (
        not amount.is_finite()
        or not Decimal(0) < amount <= MAX_INVOICE_AMOUNT
        or pricing.money(amount) <= 0
    ):
        raise BadUserInput(
            "The amount must be between 0.01 and {max}.",
            field="amount",
            max=str(MAX_INVOICE_AMOUNT),
            reason=Reason.OUT_OF_RANGE,
        )
    amount = pricing.money(amount)
    company_id: int | None = None
    if enrollment.establishment_id is not None:
        establishment = await Establishment.get(id=enrollment.establishment_id)
        company_id = establishment.company_id
    percent = await pricing.loyalty_discount_percent(company_id, now.astimezone(PARIS).date())
    loyalty_amount = pricing.money(amount * percent / pricing.HUNDRED)
    total = amount - loyalty_amount
    async with in_transaction():
        await _move(
            enrollment,
            target,
            actor,
            "enrollment.invoiced",
            now=now,
            details={"amount": str(amount), "total": str(total), "final": final},
            invoiced_total=F("invoiced_total") + total,
        )
        # Numbered after the status UPDATE: it holds the row lock, so concurrent partial
        # invoices of one enrollment count each other.
        count = await Invoice.filter(enrollment_id=enrollment.id).count()
        invoice = await Invoice.create(
            enrollment=enrollment,
            number=f"F-{enrollment.reference}-{count + 1}",
            amount=amount,
            loyalty_discount_percent=percent,
            loyalty_discount_amount=loyalty_amount,
            total=total,
            is_final=final,
        )
        await _mail_registrant(
            enrollment, "invoice_issued", number=invoice.number, total=str(invoice.total)
        )
    return invoice


# --- postponements (rule 14) ------------------------------------------------------------


async def request_postponement(
    policy: Policy,
    actor: Actor,
    enrollment_id: int,
    session_id: int,
    message: str = "",
    *,
    now: datetime | None = None,
) -> PostponementRequest:
    """Ask staff to move an enrollment to another session of the same course."""
    now = _now(now)
    enrollment = await _visible(policy, actor.viewer, enrollment_id)
    if EnrollmentStatus(enrollment.status) not in POSTPONABLE:
        raise Conflict(
            "This enrollment is {currentStatus}: it cannot be postponed.",
            currentStatus=enrollment.status,
            reason=Reason.ILLEGAL_STATUS_CHANGE,
        )
    if await PostponementRequest.filter(
        enrollment_id=enrollment.id, status=RequestStatus.PENDING.value
    ).exists():
        raise Conflict(
            "A postponement request of this enrollment is already waiting for an answer.",
            currentStatus=enrollment.status,
            reason=Reason.POSTPONEMENT_PENDING,
        )
    policy.authorize(
        actor.viewer,
        "request_postponement",
        enrollment,
        what="Enrollment",
        message="Only the registrant or an admin of the establishment may ask for a postponement.",
    )
    target = await _session(session_id, now)
    if target.course_id != enrollment.session.course_id:
        raise BadUserInput("Choose a session of the same course.", field="sessionId")
    if target.id == enrollment.session.id:
        raise BadUserInput(
            "This is already the session booked.", field="sessionId", reason=Reason.UNCHANGED
        )
    text = _message(message, "message")
    async with in_transaction():
        request = await PostponementRequest.create(
            enrollment=enrollment,
            requested_session=target,
            message=text,
            requested_by=actor.account,
        )
        await audit.record_by(
            actor,
            "enrollment.postponement_requested",
            "Enrollment",
            enrollment.id,
            establishment_id=enrollment.establishment_id,
            after={"requestId": request.id, "sessionId": target.id, "message": text},
        )
        if await mail_relay.may_mail(policy, actor, enrollment.registrant_email):
            await _mail_registrant(
                enrollment,
                "postponement_requested",
                new_starts_on=target.starts_on.isoformat(),
                new_city=target.city,
            )
    return request


async def answer_postponement(
    policy: Policy,
    actor: Actor,
    request_id: int,
    approve: bool,
    answer: str = "",
    *,
    now: datetime | None = None,
) -> Enrollment:
    """Staff approve (the enrollment moves to the requested session, seats follow) or decline
    a postponement request. The registrant is told by mail."""
    now = _now(now)
    request = await PostponementRequest.filter(id=request_id).first()
    if request is None:
        raise NotFound("Postponement request not found.")
    try:
        enrollment = await _visible(policy, actor.viewer, request.enrollment_id)
    except NotFound:
        raise NotFound("Postponement request not found.") from None
    if request.status != RequestStatus.PENDING.value:
        raise Conflict(
            "This request was already answered ({currentStatus}).",
            currentStatus=request.status,
            reason=Reason.ALREADY_ANSWERED,
        )
    if approve and EnrollmentStatus(enrollment.status) not in POSTPONABLE:
        raise Conflict(
            "This enrollment is {currentStatus}: it cannot be postponed.",
            currentStatus=enrollment.status,
            reason=Reason.ILLEGAL_STATUS_CHANGE,
        )
    policy.authorize(
        actor.viewer,
        "answer_postponement",
        enrollment,
        what="Postponement request",
        message="Only staff answer these requests.",
    )
    if approve and request.requested_session_id is None:
        raise BadUserInput("This request names no session to move to.", field="approve")
    text = _message(answer, "answer")
    verdict = RequestStatus.APPROVED if approve else RequestStatus.REJECTED
    async with in_transaction():
        answered = await PostponementRequest.filter(
            id=request.id, status=RequestStatus.PENDING.value
        ).update(status=verdict.value, answered_at=now, answer=text)
        if not answered:
            raise Conflict("This request was answered meanwhile.", reason=Reason.ALREADY_ANSWERED)
        old_session_id = enrollment.session.id
        if approve:
            new_session_id = request.requested_session_id
            assert new_session_id is not None  # refused above
            await _take_seats(new_session_id, enrollment.seats)
            moved = await Enrollment.filter(
                id=enrollment.id, session_id=old_session_id, status=enrollment.status
            ).update(session_id=new_session_id, updated_at=now)
            if not moved:
                current = await _current_status(enrollment.id)
                raise Conflict(
                    "This enrollment was changed meanwhile.",
                    currentStatus=current,
                    reason=Reason.STATUS_CHANGED,
                )
            await _release_seats(old_session_id, enrollment.seats)
        await audit.record_by(
            actor,
            "enrollment.postponement_answered",
            "Enrollment",
            enrollment.id,
            establishment_id=enrollment.establishment_id,
            before={"sessionId": old_session_id},
            after={
                "requestId": request.id,
                "decision": verdict.value,
                "sessionId": request.requested_session_id if approve else old_session_id,
            },
        )
        enrollment = (
            await Enrollment.filter(id=enrollment.id).select_related("session__course").get()
        )
        await _mail_registrant(
            enrollment,
            "postponement_answered",
            decision_fr="acceptée" if approve else "refusée",
            decision_en="approved" if approve else "declined",
            answer=text or "-",
        )
    return enrollment


# --- lists for the schema ---------------------------------------------------------------


async def overdue_validations(
    policy: Policy, viewer: Viewer, *, now: datetime | None = None, limit: int = 200
) -> history.HistoryPage:
    """Booking requests still waiting past their validation deadline, the most late first
    (rule 13). Staff only (policy). One query, plus the document kinds computed in SQL."""
    now = _now(now)
    policy.authorize(
        viewer,
        "overdue_validations",
        viewer,
        read_action=None,
        message="Only staff see overdue validations.",
    )
    annotations, kinds = history.kind_annotations(policy, viewer)
    annotations.update(history.action_annotations(policy, viewer))
    rows = await history.page_rows(
        history.visible_enrollments(policy, viewer).filter(
            status=S.PENDING_VALIDATION.value, expected_validation_by__lt=now
        ),
        annotations,
        limit,
        order=("expected_validation_by", "id"),
    )
    return history.HistoryPage(
        enrollments=rows,
        has_next_page=False,
        visible_kinds={row.id: kinds.of(row.kinds) for row in rows},
        total_count=len(rows),
    )


async def overdue_rows(*, now: datetime, limit: int = 1000) -> list[Enrollment]:
    """Every overdue booking request, for the operators' command line (no viewer: the
    command runs with the server's own rights)."""
    return (
        await Enrollment.filter(status=S.PENDING_VALIDATION.value, expected_validation_by__lt=now)
        .order_by("expected_validation_by", "id")
        .limit(limit)
    )


async def pending_postponements_of(
    enrollment_ids: Sequence[int],
) -> dict[int, PostponementRequest | None]:
    """The request waiting for an answer, per enrollment the caller may already read, in one
    query."""
    found: dict[int, PostponementRequest | None] = {i: None for i in enrollment_ids}
    if not enrollment_ids:
        return found
    rows = await (
        PostponementRequest.filter(
            enrollment_id__in=list(enrollment_ids), status=RequestStatus.PENDING.value
        )
        .select_related("requested_session")
        .order_by("id")
    )
    for row in rows:
        found[row.enrollment_id] = row
    return found


async def get_invoice(policy: Policy, viewer: Viewer | None, invoice_id: int) -> Invoice:
    """One invoice as `Enrollment.invoices` shows it: one the viewer may read, on an
    enrollment they may read; NOT_FOUND otherwise."""
    visible = history.visible_enrollments(policy, viewer)
    row = await Invoice.filter(
        policy.filter(viewer, "read", Invoice),
        id=invoice_id,
        enrollment_id__in=Subquery(visible.values("id")),
    ).first()
    if row is None:
        raise NotFound("Invoice not found.")
    return row


async def get_pending_postponement(
    policy: Policy, viewer: Viewer | None, request_id: int
) -> PostponementRequest:
    """One postponement request as `Enrollment.pendingPostponement` shows it: waiting for an
    answer, on an enrollment the viewer may read; NOT_FOUND otherwise."""
    visible = history.visible_enrollments(policy, viewer)
    row = (
        await PostponementRequest.filter(
            id=request_id,
            status=RequestStatus.PENDING.value,
            enrollment_id__in=Subquery(visible.values("id")),
        )
        .select_related("requested_session")
        .first()
    )
    if row is None:
        raise NotFound("Postponement request not found.")
    return row


async def invoices_of(
    policy: Policy, viewer: Viewer | None, enrollment_ids: Sequence[int]
) -> dict[int, list[Invoice]]:
    """The invoices the viewer may read on these enrollments (documents.polar, filtered in
    SQL), oldest first, in one query."""
    grouped: dict[int, list[Invoice]] = {i: [] for i in enrollment_ids}
    if not enrollment_ids:
        return grouped
    readable = Invoice.filter(policy.filter(viewer, "read", Invoice))
    for row in await readable.filter(enrollment_id__in=list(enrollment_ids)).order_by("id"):
        grouped[row.enrollment_id].append(row)
    return grouped
