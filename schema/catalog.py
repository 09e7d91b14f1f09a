"""GraphQL types and queries of the public course catalog."""

from __future__ import annotations

import datetime
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Annotated, TypeVar

import strawberry

from models import enums
from models.catalog import Course, CourseSession
from models.companies import FrameworkAgreement
from policies.engine import Policy
from schema.context import Info
from schema.ids import parse_id
from schema.node import Node
from schema.scalars import DiscountSource, SessionStatus
from services import catalog, pricing
from services.actors import Actor
from services.catalog import CourseChanges, SessionChanges
from services.history import SessionRow


@strawberry.type(name="CourseSession", description="A dated run of a course, in one city.")
class CourseSessionType(Node):
    id: strawberry.ID = strawberry.field(description="Identifier of the session.")
    starts_on: datetime.date = strawberry.field(description="First day of the session.")
    ends_on: datetime.date = strawberry.field(description="Last day of the session.")
    city: str = strawberry.field(description="Where the session takes place.")
    capacity: int = strawberry.field(description="Number of seats of the session.")
    seats_left: int = strawberry.field(
        description="Seats still free for new enrollments (0 once the session is not OPEN)."
    )
    status: SessionStatus = strawberry.field(
        description="OPEN takes bookings; CLOSED takes no more (staff closed it); CANCELLED "
        "will not run."
    )
    closed_at: datetime.datetime | None = strawberry.field(
        description="When staff closed the session to new bookings."
    )
    cancelled_at: datetime.datetime | None = strawberry.field(
        description="When staff cancelled the session."
    )
    bookable: bool = strawberry.field(
        description="True when `enroll` may choose this session now: OPEN, seats left, and "
        "not started yet (Paris calendar). A front end offers only these."
    )
    course_id: strawberry.Private[int]

    @classmethod
    async def fetch_node(cls, info: Info, number: int) -> CourseSessionType:
        """As in `course(id) { sessions }`: the catalog is public."""
        return cls.from_model(await catalog.get_session(number))

    @classmethod
    def from_model(cls, session: CourseSession | SessionRow) -> CourseSessionType:
        return cls(
            id=strawberry.ID(str(session.id)),
            starts_on=session.starts_on,
            ends_on=session.ends_on,
            city=session.city,
            capacity=session.capacity,
            seats_left=(
                max(session.capacity - session.seats_booked, 0)
                if session.status == enums.SessionStatus.OPEN.value
                else 0
            ),
            status=SessionStatus(session.status),
            closed_at=session.closed_at,
            cancelled_at=session.cancelled_at,
            bookable=catalog.is_bookable(session),
            course_id=session.course_id,
        )


@strawberry.type(
    name="CoursePrice",
    description="The price per trainee, excluding VAT, as the signed-in viewer would pay it "
    "when enrolling (rules 10, 11).",
)
class CoursePriceType:
    list_price: Decimal = strawberry.field(description="Catalog price, before any discount.")
    net_price: Decimal = strawberry.field(
        description="Price after the discount in force for the viewer's company."
    )
    discount_percent: Decimal = strawberry.field(description="Discount applied, in percent.")
    discount_source: DiscountSource = strawberry.field(
        description="FRAMEWORK_AGREEMENT once the company's agreement applies to the viewer "
        "(after staff validated one of the company's enrollments), NONE otherwise. Loyalty "
        "pass discounts never show here: they are applied on invoices."
    )
    prices_updated_at: datetime.datetime | None = strawberry.field(
        description="When the agreement's prices last changed (agreement changes are applied "
        "once a week, at the weekend); null without an agreement in force."
    )

    @classmethod
    def from_price(cls, price: pricing.Price) -> CoursePriceType:
        return cls(
            list_price=price.list_price,
            net_price=price.net_price,
            discount_percent=price.discount_percent,
            discount_source=DiscountSource(price.source),
            prices_updated_at=price.prices_updated_at,
        )


@strawberry.type(name="Course", description="A training course of the public catalog.")
class CourseType(Node):
    id: strawberry.ID = strawberry.field(description="Identifier of the course.")
    code: str = strawberry.field(description="Catalog code, e.g. `MGT-101`.")
    title: str = strawberry.field(description="Title of the course.")
    summary: str = strawberry.field(description="What the course teaches.")
    duration_days: Decimal = strawberry.field(description="Length of the course in days.")
    list_price: Decimal = strawberry.field(
        description="Catalog price per trainee, excluding VAT, before any discount."
    )
    active: bool = strawberry.field(
        description="False once staff took the course out of the catalog: it stays on past "
        "orders but leaves the `courses` list."
    )
    sessions: list[CourseSessionType] = strawberry.field(
        description="Sessions of the course, earliest first."
    )

    @strawberry.field(
        description="The price for the signed-in viewer: list price, net price and where the "
        "discount comes from. A company's negotiated prices show only to its members (people "
        "with an access to one of its establishments, e-mail verified); everyone else, "
        "anonymous visitors included, sees the list price."
    )
    async def price(self, info: Info) -> CoursePriceType:
        loaders = info.context.loaders
        discount = await loaders.discounts.load(loaders.priced_company)
        return CoursePriceType.from_price(pricing.price_of(self.list_price, discount))

    @classmethod
    async def fetch_node(cls, info: Info, number: int) -> CourseType:
        """As `course(id)`: the catalog is public."""
        return cls.from_model(await catalog.get_course(number))

    @classmethod
    def from_model(cls, course: Course) -> CourseType:
        sessions = sorted(course.sessions, key=lambda s: (s.starts_on, s.id))
        return cls(
            id=strawberry.ID(str(course.id)),
            code=course.code,
            title=course.title,
            summary=course.summary,
            duration_days=course.duration_days,
            list_price=course.list_price,
            active=course.active,
            sessions=[CourseSessionType.from_model(s) for s in sessions],
        )


@strawberry.type(
    name="FrameworkAgreement",
    description="Negotiated discount of a company (rule 10). Changes wait in "
    "`pendingDiscountPercent` until the weekend price update applies them.",
)
class FrameworkAgreementType:
    reference: str = strawberry.field(description="Reference of the agreement.")
    discount_percent: Decimal = strawberry.field(description="Discount customers see now.")
    pending_discount_percent: Decimal | None = strawberry.field(
        description="Discount waiting for the next weekend price update, if any."
    )
    pending_since: datetime.datetime | None = strawberry.field(
        description="When the pending change was recorded."
    )
    prices_updated_at: datetime.datetime | None = strawberry.field(
        description="When prices last changed."
    )

    @classmethod
    def from_model(cls, row: FrameworkAgreement) -> FrameworkAgreementType:
        return cls(
            reference=row.reference,
            discount_percent=row.discount_percent,
            pending_discount_percent=row.pending_discount_percent,
            pending_since=row.pending_since,
            prices_updated_at=row.prices_updated_at,
        )


@strawberry.input(
    name="CourseInput",
    description="Fields of a course. To create one, give code, title, listPrice and "
    "durationDays; to edit one, give only the fields that change.",
)
class CourseInput:
    code: str | None = strawberry.field(
        default=None, description="Catalog code, unique: letters, digits, '.', '-', '_'."
    )
    title: str | None = strawberry.field(default=None, description="Title of the course.")
    summary: str | None = strawberry.field(default=None, description="What the course teaches.")
    list_price: Decimal | None = strawberry.field(
        default=None, description="Price per trainee, excluding VAT, before any discount."
    )
    duration_days: Decimal | None = strawberry.field(
        default=None, description="Length in days (by half days)."
    )
    active: bool | None = strawberry.field(
        default=None, description="False takes the course out of the public catalog."
    )

    def to_service(self) -> CourseChanges:
        return CourseChanges(
            code=self.code,
            title=self.title,
            summary=self.summary,
            list_price=self.list_price,
            duration_days=self.duration_days,
            active=self.active,
        )


@strawberry.input(
    name="SessionInput",
    description="Fields of a session. To create one, give startsOn, city and capacity "
    "(endsOn defaults to the course's length); to edit one, only the fields that change.",
)
class SessionInput:
    starts_on: datetime.date | None = strawberry.field(default=None, description="First day.")
    ends_on: datetime.date | None = strawberry.field(default=None, description="Last day.")
    city: str | None = strawberry.field(default=None, description="Where it takes place.")
    capacity: int | None = strawberry.field(
        default=None,
        description="Number of seats; never below the seats already booked (CONFLICT).",
    )

    def to_service(self) -> SessionChanges:
        return SessionChanges(
            starts_on=self.starts_on, ends_on=self.ends_on, city=self.city, capacity=self.capacity
        )


@strawberry.type(
    name="SessionCancellation",
    description="A cancelled session and what happened to its orders.",
)
class SessionCancellationType:
    session: CourseSessionType = strawberry.field(description="The session, now CANCELLED.")
    cancelled_enrollment_count: int = strawberry.field(
        description="Orders cancelled with the session (their seats released, registrants "
        "mailed the coming sessions of the course)."
    )
    invoiced_enrollment_count: int = strawberry.field(
        description="Invoiced orders, which keep their status and seats: their registrants "
        "were mailed an offer to move or be refunded."
    )


CourseId = Annotated[strawberry.ID, strawberry.argument(description="The course.")]
SessionId = Annotated[strawberry.ID, strawberry.argument(description="The session.")]
CHANGES = strawberry.argument(description="The fields to change.")
Changes = TypeVar("Changes")
Changed = TypeVar("Changed")


async def _change(
    info: Info,
    use_case: Callable[[Policy, Actor, int, Changes], Awaitable[Changed]],
    id: strawberry.ID,
    field: str,
    changes: Changes,
) -> Changed:
    """A catalog use case run on the record `id` names (argument `field`) with these changes."""
    return await use_case(info.context.policy, info.context.actor(), parse_id(id, field), changes)


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="Staff: change the discount of a company's framework agreement. Customers "
        "see it after the next weekend price update (`espace apply-price-updates`)."
    )
    async def queue_framework_agreement_change(
        self,
        info: Info,
        company_id: Annotated[strawberry.ID, strawberry.argument(description="The company.")],
        discount_percent: Annotated[
            Decimal, strawberry.argument(description="New discount, in percent (0 to 100).")
        ],
    ) -> FrameworkAgreementType:
        context = info.context
        agreement = await pricing.change_agreement(
            context.policy,
            context.require_viewer(),
            context.require_account(),
            parse_id(company_id, "companyId"),
            discount_percent,
            now=datetime.datetime.now(datetime.UTC),
        )
        return FrameworkAgreementType.from_model(agreement)

    @strawberry.mutation(
        description="Staff: add a course to the catalog (CONFLICT when the code is taken)."
    )
    async def create_course(
        self,
        info: Info,
        input: Annotated[CourseInput, strawberry.argument(description="The new course.")],
    ) -> CourseType:
        context = info.context
        course = await catalog.create_course(context.policy, context.actor(), input.to_service())
        return CourseType.from_model(course)

    @strawberry.mutation(
        description="Staff: edit a course; orders already placed keep their price."
    )
    async def update_course(
        self,
        info: Info,
        id: CourseId,
        input: Annotated[CourseInput, CHANGES],
    ) -> CourseType:
        course = await _change(info, catalog.update_course, id, "id", input.to_service())
        return CourseType.from_model(course)

    @strawberry.mutation(
        description="Staff: add a session to a course (CONFLICT when the course already has "
        "one starting that day in that city)."
    )
    async def create_session(
        self,
        info: Info,
        course_id: CourseId,
        input: Annotated[SessionInput, strawberry.argument(description="The new session.")],
    ) -> CourseSessionType:
        session = await _change(
            info, catalog.create_session, course_id, "courseId", input.to_service()
        )
        return CourseSessionType.from_model(session)

    @strawberry.mutation(
        description="Staff: edit a session's dates, city or capacity. A capacity below the "
        "seats booked is CONFLICT (reason CAPACITY_BELOW_SEATS_BOOKED, with seatsBooked)."
    )
    async def update_session(
        self,
        info: Info,
        id: SessionId,
        input: Annotated[SessionInput, CHANGES],
    ) -> CourseSessionType:
        session = await _change(info, catalog.update_session, id, "id", input.to_service())
        return CourseSessionType.from_model(session)

    @strawberry.mutation(
        description="Staff: close an OPEN session to new bookings; its orders stay as they are."
    )
    async def close_session(
        self,
        info: Info,
        id: SessionId,
    ) -> CourseSessionType:
        context = info.context
        session = await catalog.close_session(context.policy, context.actor(), parse_id(id))
        return CourseSessionType.from_model(session)

    @strawberry.mutation(
        description="Staff: cancel a session. Its orders not invoiced yet are cancelled and "
        "their seats released; every registrant is mailed, in their language, the coming "
        "sessions of the course to move to (invoiced orders: an offer to move or be refunded)."
    )
    async def cancel_session(
        self,
        info: Info,
        id: SessionId,
        reason: Annotated[
            str, strawberry.argument(description="Why, kept in the audit log and on the orders.")
        ] = "",
    ) -> SessionCancellationType:
        context = info.context
        result = await catalog.cancel_session(context.policy, context.actor(), parse_id(id), reason)
        return SessionCancellationType(
            session=CourseSessionType.from_model(result.session),
            cancelled_enrollment_count=len(result.cancelled_enrollments),
            invoiced_enrollment_count=len(result.invoiced_enrollments),
        )


@strawberry.type
class Query:
    @strawberry.field(description="The public course catalog, by code. Open to everyone.")
    async def courses(
        self,
        info: Info,
        search: Annotated[
            str | None, strawberry.argument(description="Part of a title or code to look for.")
        ] = None,
        include_inactive: Annotated[
            bool,
            strawberry.argument(
                description="Also the courses taken out of the catalog (people who manage "
                "the catalog only, FORBIDDEN otherwise)."
            ),
        ] = False,
    ) -> list[CourseType]:
        if include_inactive:
            catalog.check_may_see_inactive(info.context.policy, info.context.viewer)
        courses = await catalog.list_courses(search, include_inactive=include_inactive)
        return [CourseType.from_model(c) for c in courses]

    @strawberry.field(description="One course of the catalog, or null with NOT_FOUND.")
    async def course(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="Course identifier.")],
    ) -> CourseType | None:
        return await CourseType.fetch_node(info, parse_id(id))
