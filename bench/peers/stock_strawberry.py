"""Stock Strawberry: the bench's page query served with Strawberry's standard executor,
typed objects and a DataLoader for the documents, over the hand-written SQL of
`bench/fair.py` (same tables, same rules). No Espace code: no operation cache, no executor,
no sliced JSON, no request turns."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from datetime import datetime
from decimal import Decimal
from typing import Any

import strawberry
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.routing import Route
from strawberry.asgi import GraphQL
from strawberry.dataloader import DataLoader
from strawberry.types import Info

from bench import fair
from bench.peers import common
from models.enums import Channel, DiscountSource, DocumentKind, EnrollmentStatus

Kind = strawberry.enum(DocumentKind, name="DocumentKind")
Status = strawberry.enum(EnrollmentStatus, name="EnrollmentStatus")
ChannelType = strawberry.enum(Channel, name="Channel")
Discount = strawberry.enum(DiscountSource, name="DiscountSource")


@strawberry.type
class DocumentNode:
    id: strawberry.ID
    kind: DocumentKind
    filename: str
    content_type: str
    size: int
    checksum: str
    created_at: datetime


@strawberry.type
class EnrollmentNode:
    id: strawberry.ID
    reference: str
    status: EnrollmentStatus
    channel: Channel
    registrant_email: str
    registrant_name: str
    establishment_id: strawberry.ID | None
    seats: int
    list_price_total: Decimal
    net_price_total: Decimal
    discount_source: DiscountSource
    invoiced_total: Decimal
    booked_at: datetime
    expected_validation_by: datetime
    validated_at: datetime | None
    cancelled_at: datetime | None
    cancel_reason: str
    course_code: str
    course_title: str
    visible_document_kinds: list[DocumentKind]

    @strawberry.field
    async def documents(self, info: Info) -> list[DocumentNode]:
        return await info.context["documents"].load(int(self.id))  # type: ignore[no-any-return]


@strawberry.type
class EnrollmentEdge:
    node: EnrollmentNode


@strawberry.type
class EnrollmentConnection:
    total_count: int
    edges: list[EnrollmentEdge]


@strawberry.input
class EnrollmentFilter:
    establishment_id: strawberry.ID | None = None


def _moment(value: Any) -> Any:
    return datetime.fromisoformat(value) if isinstance(value, str) else value


def _amount(value: Any) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value)).quantize(Decimal("0.01"))


def _node(r: Any, kinds: tuple[str, ...]) -> EnrollmentNode:
    base = len(fair.ENROLLMENT_COLUMNS) + len(fair.SESSION_COLUMNS)
    return EnrollmentNode(
        id=strawberry.ID(str(r[0])),
        reference=r[1],
        status=EnrollmentStatus(r[2]),
        channel=Channel(r[3]),
        registrant_email=r[4],
        registrant_name=r[5],
        establishment_id=None if r[6] is None else strawberry.ID(str(r[6])),
        seats=r[7],
        list_price_total=_amount(r[8]),
        net_price_total=_amount(r[9]),
        discount_source=DiscountSource(r[10]),
        invoiced_total=_amount(r[11]),
        booked_at=_moment(r[12]),
        expected_validation_by=_moment(r[13]),
        validated_at=_moment(r[14]),
        cancelled_at=_moment(r[15]),
        cancel_reason=r[16],
        course_code=r[base],
        course_title=r[base + 1],
        visible_document_kinds=[DocumentKind(k) for k in kinds],
    )


def _document(d: Any) -> DocumentNode:
    return DocumentNode(
        id=strawberry.ID(str(d[0])),
        kind=DocumentKind(d[2]),
        filename=d[3],
        content_type=d[4],
        size=d[5],
        checksum=d[6],
        created_at=_moment(d[7]),
    )


@strawberry.type
class Query:
    @strawberry.field
    async def enrollments(
        self, info: Info, first: int | None = 20, filter: EnrollmentFilter | None = None
    ) -> EnrollmentConnection:
        rights = info.context["rights"]
        if rights is None:
            raise PermissionError("You must be signed in.")
        site = filter.establishment_id if filter else None
        found = await fair.page(rights, int(site) if site else None, 20 if first is None else first)
        info.context["kinds"].update(found.kinds)
        return EnrollmentConnection(
            total_count=found.total,
            edges=[EnrollmentEdge(node=_node(r, found.kinds[r[0]])) for r in found.rows],
        )


schema = strawberry.Schema(query=Query)


class PeerGraphQL(GraphQL):  # type: ignore[type-arg]
    async def get_context(self, request: Request, response: Any) -> dict[str, Any]:  # type: ignore[override]
        kinds: dict[int, tuple[str, ...]] = {}

        async def load(ids: list[int]) -> list[list[DocumentNode]]:
            found = await fair.documents({i: kinds.get(i, ()) for i in ids})
            return [[_document(d) for d in found[i]] for i in ids]

        return {
            "request": request,
            "rights": await common.rights_of_request(request),
            "kinds": kinds,
            "documents": DataLoader(load_fn=load),
        }


def build() -> Starlette:
    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with common.database(app):
            yield

    return Starlette(
        routes=[Route("/graphql", PeerGraphQL(schema, graphql_ide=None), methods=["POST"])],
        lifespan=lifespan,
    )
