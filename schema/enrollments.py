"""GraphQL types and queries of the enrollment history (rules 4-7, 12, 13).

Which enrollments, documents and document kinds a viewer sees is computed in SQL from the
policy by `services.history`; the types below only present what it loaded.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Annotated

import strawberry

from models.enrollments import Enrollment
from models.enums import DocumentKind as Kind
from schema.catalog import CourseSessionType
from schema.context import Info
from schema.documents import DocumentType
from schema.ids import parse_id
from schema.loaders import documents_loader, trainees_loader
from schema.scalars import Channel, DiscountSource, DocumentKind, EnrollmentStatus
from services import history


@strawberry.type(name="Trainee", description="A person attending the session.")
class TraineeType:
    first_name: str = strawberry.field(description="First name.")
    last_name: str = strawberry.field(description="Last name.")
    email: str = strawberry.field(description="E-mail of the trainee, if given.")


async def _latest_of_kind(root: EnrollmentType, info: Info, kind: Kind) -> DocumentType | None:
    if kind not in root.visible_document_kinds:
        return None
    for document in await documents_loader(info.context).load(root.model.id):
        if document.kind == kind.value:
            return DocumentType.from_model(document)
    return None


def _kind_field(kind: Kind, label: str) -> DocumentType | None:
    async def resolve(root: EnrollmentType, info: Info) -> DocumentType | None:
        return await _latest_of_kind(root, info, kind)

    return strawberry.field(
        resolver=resolve,
        description=f"The latest {label}. Null when none was issued yet, or when this viewer "
        "may not see this kind (see `visibleDocumentKinds` to tell the two apart).",
    )


@strawberry.type(
    name="Enrollment",
    description="An order for one course session, for one or more trainees.",
)
class EnrollmentType:
    id: strawberry.ID = strawberry.field(description="Identifier of the enrollment.")
    reference: str = strawberry.field(description="Order reference, e.g. `DEMO-0042`.")
    status: EnrollmentStatus = strawberry.field(description="Where the order stands.")
    channel: Channel = strawberry.field(description="WEB, PHONE or EMAIL.")
    registrant_email: str = strawberry.field(
        description="E-mail typed when enrolling: the history of the account with this login "
        "e-mail includes this enrollment (rules 4, 5)."
    )
    registrant_name: str = strawberry.field(description="Name of the registrant.")
    establishment_id: strawberry.ID | None = strawberry.field(
        description="Establishment ordering, or null for an individual."
    )
    seats: int = strawberry.field(description="Number of trainees booked.")
    list_price_total: Decimal = strawberry.field(description="Catalog price of all seats.")
    net_price_total: Decimal = strawberry.field(
        description="Price after the framework agreement discount, if any (loyalty pass "
        "discounts show only on invoices, rule 11)."
    )
    discount_source: DiscountSource = strawberry.field(description="Where the discount came from.")
    invoiced_total: Decimal = strawberry.field(description="Amount invoiced so far.")
    booked_at: datetime.datetime = strawberry.field(description="When the order was placed.")
    expected_validation_by: datetime.datetime = strawberry.field(
        description="Staff validate within 24 business hours of booking (rule 13)."
    )
    validated_at: datetime.datetime | None = strawberry.field(description="When validated.")
    cancelled_at: datetime.datetime | None = strawberry.field(description="When cancelled.")
    cancel_reason: str = strawberry.field(description="Why it was cancelled, if it was.")
    course_code: str = strawberry.field(description="Catalog code of the course.")
    course_title: str = strawberry.field(description="Title of the course.")
    session: CourseSessionType = strawberry.field(description="The session booked.")
    visible_document_kinds: list[DocumentKind] = strawberry.field(
        description="Document kinds this viewer may see on this enrollment."
    )
    model: strawberry.Private[Enrollment]

    @strawberry.field(description="Documents of the enrollment this viewer may see, newest first.")
    async def documents(self, info: Info) -> list[DocumentType]:
        rows = await documents_loader(info.context).load(self.model.id)
        return [DocumentType.from_model(d) for d in rows]

    @strawberry.field(description="People attending under this enrollment.")
    async def trainees(self, info: Info) -> list[TraineeType]:
        rows = await trainees_loader(info.context).load(self.model.id)
        return [
            TraineeType(first_name=t.first_name, last_name=t.last_name, email=t.email) for t in rows
        ]

    invoice_copy: DocumentType | None = _kind_field(Kind.INVOICE_COPY, "invoice copy")
    training_agreement: DocumentType | None = _kind_field(
        Kind.TRAINING_AGREEMENT, "training agreement"
    )
    attendance_sheet: DocumentType | None = _kind_field(Kind.ATTENDANCE_SHEET, "attendance sheet")
    evaluation: DocumentType | None = _kind_field(Kind.EVALUATION, "evaluation")
    certificate_of_attendance: DocumentType | None = _kind_field(
        Kind.CERTIFICATE_OF_ATTENDANCE, "certificate of attendance"
    )
    funding_approval: DocumentType | None = _kind_field(Kind.FUNDING_APPROVAL, "funding approval")
    purchase_order: DocumentType | None = _kind_field(Kind.PURCHASE_ORDER, "purchase order")
    signed_quote: DocumentType | None = _kind_field(Kind.SIGNED_QUOTE, "signed quote")

    @classmethod
    def from_model(cls, row: Enrollment, visible_kinds: list[Kind]) -> EnrollmentType:
        session = row.session
        return cls(
            id=strawberry.ID(str(row.id)),
            reference=row.reference,
            status=EnrollmentStatus(row.status),
            channel=Channel(row.channel),
            registrant_email=row.registrant_email,
            registrant_name=row.registrant_name,
            establishment_id=(
                strawberry.ID(str(row.establishment_id))  # type: ignore[attr-defined]
                if row.establishment_id is not None  # type: ignore[attr-defined]
                else None
            ),
            seats=row.seats,
            list_price_total=row.list_price_total,
            net_price_total=row.net_price_total,
            discount_source=DiscountSource(row.discount_source),
            invoiced_total=row.invoiced_total,
            booked_at=row.booked_at,
            expected_validation_by=row.expected_validation_by,
            validated_at=row.validated_at,
            cancelled_at=row.cancelled_at,
            cancel_reason=row.cancel_reason,
            course_code=session.course.code,
            course_title=session.course.title,
            session=CourseSessionType.from_model(session),
            visible_document_kinds=[DocumentKind(k) for k in visible_kinds],
            model=row,
        )


@strawberry.type(name="EnrollmentEdge", description="An enrollment and its cursor.")
class EnrollmentEdge:
    cursor: str = strawberry.field(description="Pass as `after` to get the next rows.")
    node: EnrollmentType = strawberry.field(description="The enrollment.")


@strawberry.type(name="PageInfo", description="Where a page stands in the whole list.")
class PageInfo:
    has_next_page: bool = strawberry.field(description="True when more rows follow.")
    end_cursor: str | None = strawberry.field(description="Cursor of the last row of the page.")


@strawberry.type(
    name="EnrollmentConnection",
    description="A page of enrollments, newest booking first (Relay connection).",
)
class EnrollmentConnection:
    edges: list[EnrollmentEdge] = strawberry.field(description="The rows of the page.")
    page_info: PageInfo = strawberry.field(description="Pagination state.")
    total_count: int = strawberry.field(
        description="How many enrollments match the filter for this viewer, across all pages."
    )

    @strawberry.field(description="The enrollments of the page, without cursors.")
    def nodes(self) -> list[EnrollmentType]:
        return [edge.node for edge in self.edges]


@strawberry.input(description="Narrows the enrollment history. All criteria combine (AND).")
class EnrollmentFilter:
    status: list[EnrollmentStatus] | None = strawberry.field(
        default=None, description="Only these statuses."
    )
    establishment_id: strawberry.ID | None = strawberry.field(
        default=None, description="Only this establishment."
    )
    from_: datetime.datetime | None = strawberry.field(
        default=None, name="from", description="Booked at or after this moment."
    )
    to: datetime.datetime | None = strawberry.field(
        default=None, description="Booked strictly before this moment."
    )
    search: str | None = strawberry.field(
        default=None,
        description="Part of the reference, registrant e-mail or name, or course title.",
    )

    def to_criteria(self) -> history.HistoryFilter:
        return history.HistoryFilter(
            status=tuple(self.status or ()),
            establishment_id=(
                parse_id(self.establishment_id, "establishmentId")
                if self.establishment_id is not None
                else None
            ),
            booked_from=self.from_,
            booked_to=self.to,
            search=self.search,
        )


@strawberry.type
class Query:
    @strawberry.field(
        description="The enrollment history this viewer may see: their own orders (by login "
        "e-mail) and those of the establishments they have an access to."
    )
    async def enrollments(
        self,
        info: Info,
        filter: Annotated[
            EnrollmentFilter | None, strawberry.argument(description="Criteria to narrow by.")
        ] = None,
        first: Annotated[
            int | None,
            strawberry.argument(
                description="Page size: 20 by default, at most 100 (1,000 for "
                "establishment dashboards and staff)."
            ),
        ] = None,
        after: Annotated[
            str | None, strawberry.argument(description="Cursor of the row to start after.")
        ] = None,
    ) -> EnrollmentConnection:
        viewer = info.context.require_viewer()
        criteria = filter.to_criteria() if filter else history.HistoryFilter()
        page = await history.history_page(info.context.policy, viewer, criteria, first, after)
        edges = [
            EnrollmentEdge(
                cursor=history.encode_cursor(row),
                node=EnrollmentType.from_model(row, page.visible_kinds[row.id]),
            )
            for row in page.enrollments
        ]
        return EnrollmentConnection(
            edges=edges,
            page_info=PageInfo(
                has_next_page=page.has_next_page,
                end_cursor=edges[-1].cursor if edges else None,
            ),
            total_count=page.total_count,
        )

    @strawberry.field(
        description="One enrollment, or null with NOT_FOUND when it does not exist or is not "
        "in this viewer's history."
    )
    async def enrollment(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="Enrollment identifier.")],
    ) -> EnrollmentType | None:
        viewer = info.context.require_viewer()
        page = await history.get_enrollment(info.context.policy, viewer, parse_id(id))
        row = page.enrollments[0]
        return EnrollmentType.from_model(row, page.visible_kinds[row.id])
