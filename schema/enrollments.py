"""GraphQL types and queries of the enrollment history (rules 4-7, 12, 13).

Which enrollments, documents and document kinds a viewer sees is computed in SQL from the
policy by `services.history`; the types below only present what it loaded.
"""

from __future__ import annotations

import datetime
import enum
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry.schema.name_converter import NameConverter
from strawberry.types.base import get_object_definition

from models.enrollments import Invoice, PostponementRequest
from models.enums import DocumentKind as Kind
from schema.catalog import CourseSessionType, CourseType
from schema.context import Info
from schema.documents import DocumentType
from schema.ids import parse_id
from schema.loaders import loaded_documents, prefetch_documents, selects_any
from schema.node import Node
from schema.row_fields import row_values, with_row_fields
from schema.scalars import Channel, DiscountSource, DocumentKind, EnrollmentStatus, RequestStatus
from services import enrollment_stats, history
from services import enrollments as service
from services.errors import NotFound

if TYPE_CHECKING:
    from schema.access import EstablishmentType


@strawberry.type(name="Trainee", description="A person attending the session.")
class TraineeType:
    first_name: str = strawberry.field(description="First name.")
    last_name: str = strawberry.field(description="Last name.")
    email: str = strawberry.field(description="E-mail of the trainee, if given.")


def _latest_in(rows: list[Any], kind: Kind) -> DocumentType | None:
    for document in rows:
        if document.kind == kind.value:
            return DocumentType.from_model(document)
    return None


async def _latest_of_kind(root: EnrollmentType, info: Info, kind: Kind) -> DocumentType | None:
    return _latest_in(await info.context.loaders.documents.load(root.model.id), kind)


# Marks the fields of `Enrollment` whose resolver reads the documents loader: a page that
# selects one prefetches its documents (`DOCUMENT_FIELDS`).
READS_DOCUMENTS = "reads_documents"
# Marks the fields read from the action columns of a page (`ACTION_FIELDS`).
READS_ACTIONS = "reads_actions"


def _kind_field(kind: Kind, label: str) -> DocumentType | None:
    def resolve(root: EnrollmentType, info: Info) -> DocumentType | None:
        # Synchronous when the page prefetched its documents, else an awaitable (GraphQL
        # awaits it): see `EnrollmentType.documents`.
        if kind not in root.visible_document_kinds:
            return None
        rows = loaded_documents(info.context, root.model.id)
        if rows is None:
            # Strawberry builds the field from the annotation, so it names the value, not the
            # awaitable GraphQL also accepts.
            return _latest_of_kind(root, info, kind)  # type: ignore[return-value]
        return _latest_in(rows, kind)

    return strawberry.field(
        resolver=resolve,
        description=f"The latest {label}. Null when none was issued yet, or when this viewer "
        "may not see this kind (see `visibleDocumentKinds` to tell the two apart).",
        metadata={READS_DOCUMENTS: True},
    )


@strawberry.type(
    name="PostponementRequest",
    description="A request to move an enrollment to another session, answered by staff.",
)
class PostponementRequestType(Node):
    id: strawberry.ID = strawberry.field(description="Identifier of the request.")
    requested_session: CourseSessionType | None = strawberry.field(
        description="The session the registrant would like instead."
    )
    message: str = strawberry.field(description="What the registrant wrote.")
    status: RequestStatus = strawberry.field(description="PENDING until staff answer.")
    created_at: datetime.datetime = strawberry.field(description="When it was asked.")
    answered_at: datetime.datetime | None = strawberry.field(description="When staff answered.")
    answer: str = strawberry.field(description="Staff's answer, if any.")

    @classmethod
    async def fetch_node(cls, info: Info, number: int) -> PostponementRequestType:
        """As `Enrollment.pendingPostponement` shows it (pending, on a readable enrollment)."""
        viewer = info.context.require_viewer()
        return cls.from_model(
            await service.get_pending_postponement(info.context.policy, viewer, number)
        )

    @classmethod
    def from_model(cls, row: PostponementRequest) -> PostponementRequestType:
        session = row.requested_session
        return cls(
            id=strawberry.ID(str(row.id)),
            requested_session=CourseSessionType.from_model(session) if session else None,
            message=row.message,
            status=RequestStatus(row.status),
            created_at=row.created_at,
            answered_at=row.answered_at,
            answer=row.answer,
        )


@strawberry.type(
    name="Invoice",
    description="An invoice of an enrollment. A loyalty pass discount shows here, and only "
    "here (rule 11).",
)
class InvoiceType(Node):
    id: strawberry.ID = strawberry.field(description="Identifier of the invoice.")
    number: str = strawberry.field(description="Invoice number, e.g. `F-ESP-1A2B3C4D-1`.")
    amount: Decimal = strawberry.field(description="Amount billed before the loyalty discount.")
    loyalty_discount_percent: Decimal = strawberry.field(
        description="Loyalty pass discount applied, in percent (0 without a pass)."
    )
    loyalty_discount_amount: Decimal = strawberry.field(
        description="Loyalty pass discount line, in euros."
    )
    total: Decimal = strawberry.field(description="Amount due: amount less the loyalty line.")
    final: bool = strawberry.field(description="True for the last invoice of the enrollment.")
    issued_at: datetime.datetime = strawberry.field(description="When it was issued.")

    @classmethod
    async def fetch_node(cls, info: Info, number: int) -> InvoiceType:
        """As `Enrollment.invoices` shows it: NOT_FOUND unless the viewer may read it."""
        viewer = info.context.require_viewer()
        return cls.from_model(await service.get_invoice(info.context.policy, viewer, number))

    @classmethod
    def from_model(cls, row: Invoice) -> InvoiceType:
        return cls(
            id=strawberry.ID(str(row.id)),
            number=row.number,
            amount=row.amount,
            loyalty_discount_percent=row.loyalty_discount_percent,
            loyalty_discount_amount=row.loyalty_discount_amount,
            total=row.total,
            final=row.is_final,
            issued_at=row.issued_at,
        )


# The attributes of `EnrollmentRow` declared `shown(...)` are fields of `Enrollment` as they
# are (`with_row_fields`): a new column is declared on the row, not again here. The fields
# below are those this type converts (enums, ids) or adds.
_shown_values = row_values(history.EnrollmentRow, history.SHOWN)


@strawberry.type(
    name="Enrollment",
    description="An order for one course session, for one or more trainees.",
)
@with_row_fields(history.EnrollmentRow, history.SHOWN)
class EnrollmentType(Node):
    id: strawberry.ID = strawberry.field(description="Identifier of the enrollment.")
    status: EnrollmentStatus = strawberry.field(description="Where the order stands.")
    channel: Channel = strawberry.field(description="WEB, PHONE or EMAIL.")
    establishment_id: strawberry.ID | None = strawberry.field(
        description="Establishment ordering, or null for an individual."
    )
    discount_source: DiscountSource = strawberry.field(description="Where the discount came from.")
    course_code: str = strawberry.field(description="Catalog code of the course.")
    course_title: str = strawberry.field(description="Title of the course.")
    session: CourseSessionType = strawberry.field(description="The session booked.")
    visible_document_kinds: list[DocumentKind] = strawberry.field(
        description="Document kinds this viewer may see on this enrollment."
    )
    viewer_can_cancel: bool = strawberry.field(
        description="True when `cancelEnrollment` by this viewer would be accepted now (the "
        "policy allows it and the status still allows it). Decided by the policy.",
        metadata={READS_ACTIONS: True},
    )
    viewer_can_request_postponement: bool = strawberry.field(
        description="True when `requestPostponement` by this viewer would be accepted now "
        "(given a session of the same course): the policy allows it, the status allows it "
        "and no request is waiting for an answer.",
        metadata={READS_ACTIONS: True},
    )
    model: strawberry.Private[history.EnrollmentRow]

    @strawberry.field(
        description="Documents of the enrollment this viewer may see, newest first.",
        metadata={READS_DOCUMENTS: True},
    )
    def documents(self, info: Info) -> list[DocumentType]:
        # Plain values when the page prefetched its documents (no coroutine per row, issue
        # 8); otherwise an awaitable that GraphQL awaits, batched by the loader.
        rows = loaded_documents(info.context, self.model.id)
        if rows is None:
            return self._load_documents(info)  # type: ignore[return-value]  # see _kind_field
        return [DocumentType.from_model(d) for d in rows]

    async def _load_documents(self, info: Info) -> list[DocumentType]:
        rows = await info.context.loaders.documents.load(self.model.id)
        return [DocumentType.from_model(d) for d in rows]

    @strawberry.field(description="The course booked, from the public catalog.")
    async def course(self, info: Info) -> CourseType:
        course = await info.context.loaders.courses.load(self.session.course_id)
        return CourseType.from_model(course)

    @strawberry.field(
        description="The establishment ordering. Null for an individual's order, and when "
        "this viewer may not read the establishment (a registrant without an access to it: "
        "`establishmentId` still names it)."
    )
    async def establishment(
        self, info: Info
    ) -> Annotated[EstablishmentType, strawberry.lazy("schema.access")] | None:
        from schema.access import EstablishmentType

        if self.establishment_id is None:
            return None
        row = await info.context.loaders.establishments.load(int(self.establishment_id))
        return EstablishmentType.from_model(row) if row is not None else None

    @strawberry.field(description="People attending under this enrollment.")
    async def trainees(self, info: Info) -> list[TraineeType]:
        rows = await info.context.loaders.trainees.load(self.model.id)
        return [
            TraineeType(first_name=t.first_name, last_name=t.last_name, email=t.email) for t in rows
        ]

    @strawberry.field(
        description="The postponement request waiting for staff's answer, or null (rule 14)."
    )
    async def pending_postponement(self, info: Info) -> PostponementRequestType | None:
        row = await info.context.loaders.pending_postponements.load(self.model.id)
        return PostponementRequestType.from_model(row) if row else None

    @strawberry.field(
        description="Invoices of the enrollment, oldest first: those this viewer may read "
        "(whoever may see its invoice copies), empty otherwise."
    )
    async def invoices(self, info: Info) -> list[InvoiceType]:
        rows = await info.context.loaders.invoices.load(self.model.id)
        return [InvoiceType.from_model(row) for row in rows]

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
    async def fetch_node(cls, info: Info, number: int) -> EnrollmentType:
        """As `enrollment(id)`: NOT_FOUND unless it is in the viewer's history."""
        viewer = info.context.require_viewer()
        page = await history.get_enrollment(info.context.policy, viewer, number)
        row = page.enrollments[0]
        return cls.from_model(row, page.visible_kinds[row.id])

    @classmethod
    def from_model(cls, row: history.EnrollmentRow, visible_kinds: list[Kind]) -> EnrollmentType:
        session = row.session
        return cls(
            **_shown_values(row),
            id=strawberry.ID(str(row.id)),
            status=EnrollmentStatus(row.status),
            channel=Channel(row.channel),
            establishment_id=(
                strawberry.ID(str(row.establishment_id))
                if row.establishment_id is not None
                else None
            ),
            discount_source=DiscountSource(row.discount_source),
            course_code=session.course.code,
            course_title=session.course.title,
            session=CourseSessionType.from_model(session),
            visible_document_kinds=visible_kinds,  # already members of DocumentKind
            viewer_can_cancel=history.row_flag(row, "can_cancel"),
            viewer_can_request_postponement=history.row_flag(row, "can_request_postponement"),
            model=row,
        )


# GraphQL names of the fields of `Enrollment` that read the documents loader.
DOCUMENT_FIELDS = frozenset(
    NameConverter().from_field(field)
    for field in get_object_definition(EnrollmentType, strict=True).fields
    if field.metadata.get(READS_DOCUMENTS)
)


# GraphQL names of the fields of `Enrollment` read from the page's action columns
# (`services.history.action_annotations`): a page that selects none leaves them out.
ACTION_FIELDS = frozenset(
    NameConverter().from_field(field)
    for field in get_object_definition(EnrollmentType, strict=True).fields
    if field.metadata.get(READS_ACTIONS)
)


@strawberry.type(name="EnrollmentEdge", description="An enrollment and its cursor.")
class EnrollmentEdge:
    cursor: str = strawberry.field(
        description="This row's place in the list's `orderBy`: pass as `after` to get the "
        "rows after it, or as `before` (with `last`) to get the rows before it."
    )
    node: EnrollmentType = strawberry.field(description="The enrollment.")


@strawberry.type(name="PageInfo", description="Where a page stands in the whole list.")
class PageInfo:
    has_next_page: bool = strawberry.field(
        description="True when more rows follow. Paging backward (`last`), true when a "
        "`before` cursor was given."
    )
    end_cursor: str | None = strawberry.field(description="Cursor of the last row of the page.")
    has_previous_page: bool = strawberry.field(
        description="Paging backward (`last`), true when more rows come before. Paging "
        "forward, true when an `after` cursor was given (rows may come before it)."
    )
    start_cursor: str | None = strawberry.field(
        description="Cursor of the first row of the page: pass it as `before` with `last` to "
        "go back one page."
    )


@strawberry.type(
    name="EnrollmentConnection",
    description="A page of enrollments in the order asked for (newest booking first by "
    "default), as a Relay connection.",
)
class EnrollmentConnection:
    edges: list[EnrollmentEdge] = strawberry.field(description="The rows of the page.")
    page_info: PageInfo = strawberry.field(description="Pagination state.")
    page: strawberry.Private[history.HistoryPage]

    @strawberry.field(
        description="How many enrollments match the filter for this viewer, across all pages. "
        "Counted only when selected (one more query): leave it out of the requests that only "
        "turn pages."
    )
    async def total_count(self) -> int:
        return await self.page.count()

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
        description="Words found in the reference, registrant e-mail or name, course code or "
        "title, or trainee names, ignoring case and accents (`equipe` finds `Équipe`).",
    )
    course_id: strawberry.ID | None = strawberry.field(
        default=None, description="Only sessions of this course (its `id`)."
    )
    course_code: str | None = strawberry.field(
        default=None, description="Only sessions of this course (its catalog code, e.g. MGT-101)."
    )
    session_starts_from: datetime.date | None = strawberry.field(
        default=None, description="Only sessions starting on or after this day."
    )
    session_starts_to: datetime.date | None = strawberry.field(
        default=None, description="Only sessions starting on or before this day."
    )
    channel: list[Channel] | None = strawberry.field(
        default=None, description="Only orders placed through these channels."
    )
    trainee_name: str | None = strawberry.field(
        default=None,
        description="Only orders with a trainee whose first or last name contains this "
        "(ignoring case).",
    )
    mine_only: bool = strawberry.field(
        default=False,
        description="Only the orders of my own history (I am their registrant), not the other "
        "orders of the establishments I have an access to.",
    )
    updated_since: datetime.datetime | None = strawberry.field(
        default=None,
        description="Only orders changed at or after this moment (see `Enrollment.updatedAt`).",
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
            course_id=(
                parse_id(self.course_id, "courseId") if self.course_id is not None else None
            ),
            course_code=self.course_code,
            session_from=self.session_starts_from,
            session_to=self.session_starts_to,
            channels=tuple(self.channel or ()),
            trainee_name=self.trainee_name,
            mine_only=self.mine_only,
            updated_since=self.updated_since,
        )


@strawberry.enum(name="EnrollmentOrderField", description="What enrollments can be sorted by.")
class EnrollmentOrderField(enum.Enum):
    BOOKED_AT = strawberry.enum_value("BOOKED_AT", description="When the order was placed.")
    SESSION_START = strawberry.enum_value(
        "SESSION_START", description="First day of the session booked."
    )
    STATUS = strawberry.enum_value("STATUS", description="Status name, alphabetically.")
    REFERENCE = strawberry.enum_value("REFERENCE", description="Order reference.")
    AMOUNT = strawberry.enum_value("AMOUNT", description="Net price of all seats.")


@strawberry.enum(name="OrderDirection", description="Sort direction.")
class OrderDirection(enum.Enum):
    ASC = strawberry.enum_value("ASC", description="Smallest (oldest, first letter) first.")
    DESC = strawberry.enum_value("DESC", description="Largest (newest, last letter) first.")


@strawberry.input(
    name="EnrollmentOrder",
    description="How to sort enrollments. Rows with the same value come by identifier, in "
    "the same direction, so that the order is stable and cursors stay valid.",
)
class EnrollmentOrder:
    field: EnrollmentOrderField = strawberry.field(description="What to sort by.")
    direction: OrderDirection = strawberry.field(
        default=OrderDirection.DESC, description="DESC by default."
    )

    def to_ordering(self) -> history.Ordering:
        return history.Ordering(
            history.SortField[str(self.field.value)], self.direction is OrderDirection.DESC
        )


@strawberry.type
class ListQuery:
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
                description="Page size: 20 by default, at most 100. Whole histories are "
                "exported as a file: `GET /exports/enrollments.csv` (or `.jsonl`)."
            ),
        ] = None,
        after: Annotated[
            str | None, strawberry.argument(description="Cursor of the row to start after.")
        ] = None,
        last: Annotated[
            int | None,
            strawberry.argument(
                description="Page backward: the last rows (before `before` if given), same "
                "limits as `first`. Not with `first`."
            ),
        ] = None,
        before: Annotated[
            str | None,
            strawberry.argument(description="Cursor of the row to end before (with `last`)."),
        ] = None,
        order_by: Annotated[
            EnrollmentOrder | None,
            strawberry.argument(
                description="Sort order; newest booking first when left out. A cursor is only "
                "valid with the `orderBy` it was made with."
            ),
        ] = None,
    ) -> EnrollmentConnection:
        viewer = info.context.require_viewer()
        criteria = filter.to_criteria() if filter else history.HistoryFilter()
        ordering = order_by.to_ordering() if order_by else history.NEWEST_FIRST
        page = await history.history_page(
            info.context.policy,
            viewer,
            criteria,
            first,
            after,
            last=last,
            before=before,
            ordering=ordering,
            with_actions=selects_any(info.selected_fields, ACTION_FIELDS),
        )
        if selects_any(info.selected_fields, DOCUMENT_FIELDS):
            await prefetch_documents(
                info.context,
                [row.id for row in page.enrollments],
                {row.id: row for row in page.enrollments},
            )
        edges = [
            EnrollmentEdge(
                cursor=history.encode_cursor(row, ordering),
                node=EnrollmentType.from_model(row, page.visible_kinds[row.id]),
            )
            for row in page.enrollments
        ]
        return EnrollmentConnection(
            edges=edges,
            page_info=PageInfo(
                has_next_page=page.has_next_page,
                end_cursor=edges[-1].cursor if edges else None,
                has_previous_page=page.has_previous_page,
                start_cursor=edges[0].cursor if edges else None,
            ),
            page=page,
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
        return await EnrollmentType.fetch_node(info, parse_id(id))

    @strawberry.field(
        description="Staff: booking requests still waiting for validation past their "
        "`expectedValidationBy` (24 business hours), the most late first."
    )
    async def overdue_validations(self, info: Info) -> list[EnrollmentType]:
        viewer = info.context.require_viewer()
        page = await service.overdue_validations(info.context.policy, viewer)
        return [EnrollmentType.from_model(r, page.visible_kinds[r.id]) for r in page.enrollments]


# --- mutations --------------------------------------------------------------------------


async def _present(info: Info, enrollment_id: int) -> EnrollmentType:
    """The enrollment as this viewer sees it now (NOT_FOUND if they may not see it)."""
    page = await history.get_enrollment(info.context.policy, info.context.viewer, enrollment_id)
    row = page.enrollments[0]
    return EnrollmentType.from_model(row, page.visible_kinds[row.id])


async def _present_if_visible(info: Info, enrollment_id: int) -> EnrollmentType | None:
    try:
        return await _present(info, enrollment_id)
    except NotFound:
        return None


@strawberry.input(name="TraineeInput", description="A person to book on the session.")
class TraineeInput:
    first_name: str = strawberry.field(description="First name.")
    last_name: str = strawberry.field(description="Last name.")
    email: str = strawberry.field(default="", description="E-mail of the trainee (optional).")

    def to_service(self) -> service.TraineeInput:
        return service.TraineeInput(self.first_name, self.last_name, self.email)


@strawberry.input(name="EnrollInput", description="A booking request placed online.")
class EnrollInput:
    session_id: strawberry.ID = strawberry.field(description="The course session to book.")
    trainees: list[TraineeInput] = strawberry.field(
        description="Who attends: one seat per trainee."
    )
    establishment_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="The establishment ordering: one of a company you are a member of (an "
        "access to one of its establishments, e-mail verified), or the one you registered "
        "when signing up. Leave out to enrol as an individual.",
    )
    registrant_email: str | None = strawberry.field(
        default=None,
        description="Registrant e-mail; your login e-mail when left out. Another address puts "
        "the enrollment in that address's history, not yours (rule 5).",
    )
    registrant_name: str | None = strawberry.field(
        default=None, description="Registrant name; your account's name when left out."
    )


@strawberry.input(
    name="OfflineEnrollmentInput", description="An order taken by staff by phone or e-mail."
)
class OfflineEnrollmentInput:
    session_id: strawberry.ID = strawberry.field(description="The course session to book.")
    trainees: list[TraineeInput] = strawberry.field(description="Who attends.")
    registrant_email: str = strawberry.field(
        description="Registrant e-mail: their account is created when unknown (rule 2)."
    )
    registrant_name: str = strawberry.field(description="Registrant name.")
    channel: Channel = strawberry.field(description="PHONE or EMAIL.")
    establishment_id: strawberry.ID | None = strawberry.field(
        default=None, description="The establishment ordering; null for an individual."
    )


@strawberry.type(name="EnrollPayload", description="The outcome of a booking request.")
class EnrollPayload:
    reference: str = strawberry.field(description="Order reference, to quote to us.")
    enrollment: EnrollmentType | None = strawberry.field(
        description="The enrollment, or null when you may not see it (another registrant "
        "e-mail, and no access to the establishment)."
    )
    in_your_history: bool = strawberry.field(
        description="False when the registrant e-mail is not your login e-mail: the enrollment "
        "then shows in the history of that address, not yours (rule 5)."
    )
    became_admin: bool = strawberry.field(
        description="Always false: booking makes nobody admin. Rule 9 applies when staff "
        "validate the establishment's first enrollment (its registrant, e-mail verified, "
        "becomes admin then).",
        deprecation_reason="Booking makes nobody admin any more (rule 9 applies at "
        "validation): always false.",
    )


@strawberry.type(
    name="OfflineEnrollmentPayload", description="The outcome of an order taken offline."
)
class OfflineEnrollmentPayload:
    enrollment: EnrollmentType = strawberry.field(description="The enrollment recorded.")
    account_created: bool = strawberry.field(
        description="True when the registrant had no account: one was created and mailed a "
        "link to choose a password."
    )
    registrant_became_admin: bool = strawberry.field(
        description="Always false: recording an order makes nobody admin. Rule 9 applies "
        "when staff validate the establishment's first enrollment.",
        deprecation_reason="Rule 9 applies at validation, not when the order is recorded: "
        "always false.",
    )


@strawberry.type(name="InvoicePayload", description="An invoice just recorded.")
class InvoicePayload:
    invoice: InvoiceType = strawberry.field(description="The invoice.")
    enrollment: EnrollmentType = strawberry.field(description="The enrollment, updated.")


ID_ARG = strawberry.argument(description="Enrollment identifier.")


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="Book trainees on a session (a booking request: PENDING_VALIDATION, "
        "validated by staff within 24 business hours). CONFLICT when not enough seats are "
        "left (reason NOT_ENOUGH_SEATS), or when your requests waiting for validation would "
        "pass the per-account limits on requests or seats, lower while your e-mail is not "
        "verified (reason BOOKING_LIMIT)."
    )
    async def enroll(
        self,
        info: Info,
        input: Annotated[EnrollInput, strawberry.argument(description="The booking request.")],
    ) -> EnrollPayload:
        actor = info.context.actor()
        booking = await service.enroll(
            info.context.policy,
            actor,
            service.EnrollmentRequest(
                session_id=parse_id(input.session_id, "sessionId"),
                trainees=[t.to_service() for t in input.trainees],
                establishment_id=(
                    parse_id(input.establishment_id, "establishmentId")
                    if input.establishment_id is not None
                    else None
                ),
                registrant_email=input.registrant_email,
                registrant_name=input.registrant_name,
            ),
        )
        return EnrollPayload(
            reference=booking.enrollment.reference,
            enrollment=await _present_if_visible(info, booking.enrollment.id),
            in_your_history=booking.in_registrant_history,
            became_admin=booking.became_admin,
        )

    @strawberry.mutation(
        description="Cancel an enrollment. Customers: only one made online (WEB) and not "
        "invoiced yet, by its registrant or an establishment admin. A mail confirms it. "
        "CONFLICT (with `currentStatus`) when it is already cancelled or invoiced."
    )
    async def cancel_enrollment(
        self,
        info: Info,
        id: Annotated[strawberry.ID, ID_ARG],
        reason: Annotated[
            str, strawberry.argument(description="Why, in a few words (optional).")
        ] = "",
    ) -> EnrollmentType:
        enrollment = await service.cancel_enrollment(
            info.context.policy, info.context.actor(), parse_id(id), reason
        )
        return await _present(info, enrollment.id)

    @strawberry.mutation(
        description="Ask staff to move an enrollment to another session of the same course. "
        "The enrollment shows the request in `pendingPostponement` until staff answer."
    )
    async def request_postponement(
        self,
        info: Info,
        id: Annotated[strawberry.ID, ID_ARG],
        session_id: Annotated[
            strawberry.ID, strawberry.argument(description="The session wanted instead.")
        ],
        message: Annotated[
            str, strawberry.argument(description="A note for staff (optional).")
        ] = "",
    ) -> EnrollmentType:
        await service.request_postponement(
            info.context.policy,
            info.context.actor(),
            parse_id(id),
            parse_id(session_id, "sessionId"),
            message,
        )
        return await _present(info, parse_id(id))

    @strawberry.mutation(
        description="Staff: record an order taken by phone or e-mail. Creates the registrant's "
        "account when unknown and mails them a link to choose a password (rule 2)."
    )
    async def record_offline_enrollment(
        self,
        info: Info,
        input: Annotated[
            OfflineEnrollmentInput, strawberry.argument(description="The order taken.")
        ],
    ) -> OfflineEnrollmentPayload:
        booking = await service.record_offline_enrollment(
            info.context.policy,
            info.context.actor(),
            service.OfflineEnrollmentRequest(
                session_id=parse_id(input.session_id, "sessionId"),
                trainees=[t.to_service() for t in input.trainees],
                registrant_email=input.registrant_email,
                registrant_name=input.registrant_name,
                channel=input.channel,
                establishment_id=(
                    parse_id(input.establishment_id, "establishmentId")
                    if input.establishment_id is not None
                    else None
                ),
            ),
        )
        return OfflineEnrollmentPayload(
            enrollment=await _present(info, booking.enrollment.id),
            account_created=booking.account_created,
            registrant_became_admin=booking.became_admin,
        )

    @strawberry.mutation(
        description="Staff: validate a booking request; the registrant gets the confirmation "
        "mail. The first validated enrollment of an establishment makes its registrant admin "
        "of it once their e-mail is verified (rule 9). CONFLICT unless it is "
        "PENDING_VALIDATION."
    )
    async def validate_enrollment(
        self, info: Info, id: Annotated[strawberry.ID, ID_ARG]
    ) -> EnrollmentType:
        enrollment = await service.validate_enrollment(
            info.context.policy, info.context.actor(), parse_id(id)
        )
        return await _present(info, enrollment.id)

    @strawberry.mutation(
        description="Staff: record an invoice. The enrollment becomes PARTIALLY_INVOICED, or "
        "INVOICED when `final`. A loyalty pass discount of the company is applied here."
    )
    async def record_invoice(
        self,
        info: Info,
        id: Annotated[strawberry.ID, ID_ARG],
        amount: Annotated[
            Decimal, strawberry.argument(description="Amount billed, in euros excl. VAT.")
        ],
        final: Annotated[
            bool, strawberry.argument(description="True for the last invoice of the order.")
        ],
    ) -> InvoicePayload:
        invoice = await service.record_invoice(
            info.context.policy, info.context.actor(), parse_id(id), amount, final
        )
        return InvoicePayload(
            invoice=InvoiceType.from_model(invoice),
            enrollment=await _present(info, parse_id(id)),
        )

    @strawberry.mutation(
        description="Staff: answer a postponement request. Approving moves the enrollment to "
        "the requested session (CONFLICT when it has not enough seats). The registrant is told."
    )
    async def answer_postponement(
        self,
        info: Info,
        request_id: Annotated[
            strawberry.ID, strawberry.argument(description="Postponement request identifier.")
        ],
        approve: Annotated[bool, strawberry.argument(description="True to approve.")],
        answer: Annotated[
            str, strawberry.argument(description="A note for the registrant (optional).")
        ] = "",
    ) -> EnrollmentType:
        enrollment = await service.answer_postponement(
            info.context.policy,
            info.context.actor(),
            parse_id(request_id, "requestId"),
            approve,
            answer,
        )
        return await _present(info, enrollment.id)


@strawberry.type(name="EnrollmentCount", description="How many enrollments, for how much.")
class EnrollmentCountType:
    count: int = strawberry.field(description="Number of enrollments.")
    amount: Decimal = strawberry.field(description="Sum of their net prices, in euros excl. VAT.")


@strawberry.type(name="StatusCount", description="Enrollments in one status.")
class StatusCountType(EnrollmentCountType):
    status: EnrollmentStatus = strawberry.field(description="The status.")


@strawberry.type(name="EstablishmentCount", description="Enrollments of one establishment.")
class EstablishmentCountType(EnrollmentCountType):
    establishment_id: strawberry.ID | None = strawberry.field(
        description="The establishment, or null for orders of individuals."
    )


@strawberry.type(
    name="EnrollmentStats",
    description="Counts and amounts of the enrollments `enrollments(filter:)` lists for this "
    "viewer: never more than the viewer may read.",
)
class EnrollmentStatsType:
    count: int = strawberry.field(description="How many enrollments match (the list's total).")
    amount: Decimal = strawberry.field(description="Sum of their net prices.")
    by_status: list[StatusCountType] = strawberry.field(
        description="By status, statuses without any enrollment left out."
    )
    by_establishment: list[EstablishmentCountType] = strawberry.field(
        description="By establishment (a dashboard of several sites), null first."
    )


@strawberry.type
class StatsQuery:
    @strawberry.field(
        description="Counts and amounts by status and by establishment, for the same filter "
        "and the same viewer as `enrollments`."
    )
    async def enrollment_stats(
        self,
        info: Info,
        filter: Annotated[
            EnrollmentFilter | None, strawberry.argument(description="Criteria to narrow by.")
        ] = None,
    ) -> EnrollmentStatsType:
        viewer = info.context.require_viewer()
        criteria = filter.to_criteria() if filter else history.HistoryFilter()
        stats = await enrollment_stats.enrollment_stats(info.context.policy, viewer, criteria)
        return EnrollmentStatsType(
            count=stats.count,
            amount=stats.amount,
            by_status=[
                StatusCountType(status=EnrollmentStatus(str(g.key)), count=g.count, amount=g.amount)
                for g in stats.by_status
            ],
            by_establishment=[
                EstablishmentCountType(
                    establishment_id=strawberry.ID(str(g.key)) if g.key is not None else None,
                    count=g.count,
                    amount=g.amount,
                )
                for g in stats.by_establishment
            ],
        )


@strawberry.type
class Query(ListQuery, StatsQuery):
    """The history's list and its stats."""
