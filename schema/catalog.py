"""GraphQL types and queries of the public course catalog."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Annotated

import strawberry
from strawberry.dataloader import DataLoader

from models.catalog import Course, CourseSession
from models.companies import FrameworkAgreement
from schema.context import Context, Info
from schema.ids import parse_id
from schema.scalars import DiscountSource
from services import catalog, pricing


@strawberry.type(name="CourseSession", description="A dated run of a course, in one city.")
class CourseSessionType:
    id: strawberry.ID = strawberry.field(description="Identifier of the session.")
    starts_on: datetime.date = strawberry.field(description="First day of the session.")
    ends_on: datetime.date = strawberry.field(description="Last day of the session.")
    city: str = strawberry.field(description="Where the session takes place.")
    capacity: int = strawberry.field(description="Number of seats of the session.")
    seats_left: int = strawberry.field(description="Seats still free for new enrollments.")
    course_id: strawberry.Private[int]

    @classmethod
    def from_model(cls, session: CourseSession) -> CourseSessionType:
        return cls(
            id=strawberry.ID(str(session.id)),
            starts_on=session.starts_on,
            ends_on=session.ends_on,
            city=session.city,
            capacity=session.capacity,
            seats_left=max(session.capacity - session.seats_booked, 0),
            course_id=session.course_id,  # type: ignore[attr-defined]
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


def _discounts(context: Context) -> DataLoader[int | None, pricing.Discount]:
    """Company id -> its discount in force: the whole catalog costs one lookup per request."""
    loader = context.cache.get("company_discounts")
    if loader is None:

        async def load(company_ids: list[int | None]) -> list[pricing.Discount]:
            return [await pricing.framework_discount(c) for c in company_ids]

        loader = DataLoader(load_fn=load)
        context.cache["company_discounts"] = loader
    return loader


@strawberry.type(name="Course", description="A training course of the public catalog.")
class CourseType:
    id: strawberry.ID = strawberry.field(description="Identifier of the course.")
    code: str = strawberry.field(description="Catalog code, e.g. `MGT-101`.")
    title: str = strawberry.field(description="Title of the course.")
    summary: str = strawberry.field(description="What the course teaches.")
    duration_days: Decimal = strawberry.field(description="Length of the course in days.")
    list_price: Decimal = strawberry.field(
        description="Catalog price per trainee, excluding VAT, before any discount."
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
        context = info.context
        if "priced_company" not in context.cache:
            context.cache["priced_company"] = pricing.priced_company(context.policy, context.viewer)
        company_id = context.cache["priced_company"]
        discount = await _discounts(info.context).load(company_id)
        return CoursePriceType.from_price(pricing.price_of(self.list_price, discount))

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


@strawberry.type
class Query:
    @strawberry.field(description="The public course catalog, by code. Open to everyone.")
    async def courses(
        self,
        search: Annotated[
            str | None, strawberry.argument(description="Part of a title or code to look for.")
        ] = None,
    ) -> list[CourseType]:
        return [CourseType.from_model(c) for c in await catalog.list_courses(search)]

    @strawberry.field(description="One course of the catalog, or null with NOT_FOUND.")
    async def course(
        self, id: Annotated[strawberry.ID, strawberry.argument(description="Course identifier.")]
    ) -> CourseType | None:
        return CourseType.from_model(await catalog.get_course(parse_id(id)))
