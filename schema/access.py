"""GraphQL types and operations of establishments, their accesses, the audit log and admin
access requests (rules 6-9).

Who may see and change what is decided by the policy through `services.access`; the types
below only present what it loaded.
"""

from __future__ import annotations

import datetime
from typing import Annotated

import strawberry
from strawberry.dataloader import DataLoader
from strawberry.scalars import JSON

from models.access import Access, AdminAccessRequest
from models.audit import AuditEntry
from models.companies import Establishment
from models.enums import RequestStatus as RequestStatusEnum
from schema.accounts import AccountType
from schema.context import Context, Info
from schema.ids import parse_id
from schema.loaders import batched
from schema.scalars import AccessRole, DocumentKind, RequestStatus
from services import access as service
from services import access_flags


def _accesses_loader(context: Context) -> DataLoader[int, list[Access]]:
    """Establishment id -> the accesses the viewer may read there, one SQL query per page."""
    policy, viewer = context.policy, context.viewer
    return batched(
        context,
        "access.accesses_by_establishment",
        lambda ids: service.accesses_of(policy, viewer, list(ids)),
    )


@strawberry.type(name="Establishment", description="A site of a company, with its SIRET number.")
class EstablishmentType:
    id: strawberry.ID = strawberry.field(description="Identifier of the establishment.")
    siret: str = strawberry.field(description="14-digit SIRET number.")
    name: str = strawberry.field(description="Name of the site.")
    address: str = strawberry.field(description="Postal address.")
    city: str = strawberry.field(description="City of the site.")
    company_name: str = strawberry.field(description="Name of the company the site belongs to.")
    model: strawberry.Private[Establishment]

    @strawberry.field(
        description="Who has an access to this establishment. Only its admins and staff may "
        "read it; others get null with FORBIDDEN."
    )
    async def accesses(self, info: Info) -> list[AccessType] | None:
        service.authorize_read_accesses(info.context.policy, info.context.viewer, self.model)
        rows = await _accesses_loader(info.context).load(self.model.id)
        return [AccessType.from_model(row) for row in rows]

    @strawberry.field(
        description="True when this viewer may grant, change and revoke the accesses of this "
        "establishment (decided by the policy, for the whole list at once)."
    )
    async def viewer_can_manage_accesses(self, info: Info) -> bool:
        policy, viewer = info.context.policy, info.context.viewer
        loader = batched(
            info.context,
            "access.manage_flags",
            lambda ids: access_flags.manage_flags(policy, viewer, list(ids)),
        )
        return await loader.load(self.model.id)

    @classmethod
    def from_model(cls, row: Establishment) -> EstablishmentType:
        return cls(
            id=strawberry.ID(str(row.id)),
            siret=row.siret,
            name=row.name,
            address=row.address,
            city=row.city,
            company_name=row.company.name,
            model=row,
        )


@strawberry.type(
    name="Access",
    description="The access of a person to an establishment: ADMIN, or STANDARD limited to "
    "chosen document kinds (rules 6, 7).",
)
class AccessType:
    id: strawberry.ID = strawberry.field(description="Identifier of the access.")
    role: AccessRole = strawberry.field(description="ADMIN or STANDARD.")
    document_kinds: list[DocumentKind] = strawberry.field(
        description="Document kinds a STANDARD access may see; empty for an ADMIN, who sees "
        "every kind."
    )
    account: AccountType = strawberry.field(description="The person holding the access.")
    establishment: EstablishmentType = strawberry.field(description="The establishment.")
    created_at: datetime.datetime = strawberry.field(description="When the access was granted.")
    updated_at: datetime.datetime = strawberry.field(
        description="When the access last changed (level or document kinds)."
    )

    model: strawberry.Private[Access]

    async def _flags(self, info: Info) -> access_flags.AccessFlags:
        policy, viewer = info.context.policy, info.context.viewer
        loader = batched(
            info.context,
            "access.access_flags",
            lambda ids: access_flags.access_flags(policy, viewer, list(ids)),
        )
        return await loader.load(self.model.id)

    @strawberry.field(
        description="True when `revokeAccess` by this viewer would be accepted now: the policy "
        "allows it (never on one's own access, rule 8) and it is not the establishment's "
        "last admin."
    )
    async def viewer_can_revoke(self, info: Info) -> bool:
        return (await self._flags(info)).can_revoke

    @strawberry.field(
        description="True when lowering this ADMIN access to STANDARD (`updateAccess`) would be "
        "accepted now: false on one's own admin access (rule 8), on a STANDARD access and on "
        "the establishment's last admin."
    )
    async def viewer_can_demote(self, info: Info) -> bool:
        return (await self._flags(info)).can_demote

    @classmethod
    def from_model(cls, row: Access) -> AccessType:
        return cls(
            id=strawberry.ID(str(row.id)),
            role=AccessRole(row.role),
            document_kinds=[DocumentKind(k) for k in row.document_kinds],
            account=AccountType.from_model(row.account),
            establishment=EstablishmentType.from_model(row.establishment),
            created_at=row.created_at,
            updated_at=row.updated_at,
            model=row,
        )


@strawberry.type(
    name="AuditEntry",
    description="One line of the append-only audit log: who did what, when, before and after.",
)
class AuditEntryType:
    id: strawberry.ID = strawberry.field(description="Identifier of the entry.")
    at: datetime.datetime = strawberry.field(description="When it happened.")
    actor_email: str = strawberry.field(
        description="E-mail of whoever did it (`system` for automatic changes)."
    )
    action: str = strawberry.field(description="What was done, e.g. `access.revoked`.")
    target_type: str = strawberry.field(description="Kind of record changed, e.g. `Access`.")
    target_id: strawberry.ID | None = strawberry.field(description="Identifier of that record.")
    before: JSON | None = strawberry.field(description="The record before the change.")
    after: JSON | None = strawberry.field(description="The record after the change.")

    @classmethod
    def from_model(cls, row: AuditEntry) -> AuditEntryType:
        return cls(
            id=strawberry.ID(str(row.id)),
            at=row.at,
            actor_email=row.actor_email,
            action=row.action,
            target_type=row.target_type,
            target_id=strawberry.ID(str(row.target_id)) if row.target_id is not None else None,
            before=row.before,
            after=row.after,
        )


@strawberry.type(
    name="AdminAccessRequest",
    description="A request for admin rights on an establishment, decided by staff (rule 9).",
)
class AdminAccessRequestType:
    id: strawberry.ID = strawberry.field(description="Identifier of the request.")
    account: AccountType = strawberry.field(description="Who asks.")
    establishment: EstablishmentType = strawberry.field(description="For which establishment.")
    message: str = strawberry.field(description="What the requester wrote to staff.")
    status: RequestStatus = strawberry.field(description="PENDING, APPROVED or REJECTED.")
    created_at: datetime.datetime = strawberry.field(description="When it was filed.")
    decided_at: datetime.datetime | None = strawberry.field(description="When staff decided.")
    decision_note: str = strawberry.field(description="Staff's note sent with the decision.")

    @classmethod
    def from_model(cls, row: AdminAccessRequest) -> AdminAccessRequestType:
        return cls(
            id=strawberry.ID(str(row.id)),
            account=AccountType.from_model(row.account),
            establishment=EstablishmentType.from_model(row.establishment),
            message=row.message,
            status=RequestStatus(row.status),
            created_at=row.created_at,
            decided_at=row.decided_at,
            decision_note=row.decision_note,
        )


@strawberry.type
class Query:
    @strawberry.field(
        description="The establishments this viewer has an access to (every one for staff), "
        "by name."
    )
    async def establishments(self, info: Info) -> list[EstablishmentType]:
        viewer = info.context.require_viewer()
        rows = await service.visible_establishments(info.context.policy, viewer)
        return [EstablishmentType.from_model(row) for row in rows]

    @strawberry.field(
        description="One establishment, or null with NOT_FOUND when it does not exist or the "
        "viewer has no access to it."
    )
    async def establishment(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="Establishment identifier.")],
    ) -> EstablishmentType | None:
        viewer = info.context.require_viewer()
        row = await service.get_establishment(info.context.policy, viewer, parse_id(id))
        return EstablishmentType.from_model(row)

    @strawberry.field(
        description="The audit log of an establishment, newest first: admins and staff only "
        "(FORBIDDEN for a standard access, NOT_FOUND without any access)."
    )
    async def audit_log(
        self,
        info: Info,
        establishment_id: Annotated[
            strawberry.ID, strawberry.argument(description="Establishment identifier.")
        ],
        first: Annotated[
            int | None,
            strawberry.argument(description="How many entries: 50 by default, at most 500."),
        ] = None,
    ) -> list[AuditEntryType] | None:
        viewer = info.context.require_viewer()
        rows = await service.audit_log(
            info.context.policy, viewer, parse_id(establishment_id, "establishmentId"), first
        )
        return [AuditEntryType.from_model(row) for row in rows]

    @strawberry.field(
        description="Staff only: requests for admin rights, oldest first (FORBIDDEN for "
        "everyone else)."
    )
    async def admin_access_requests(
        self,
        info: Info,
        status: Annotated[
            RequestStatus | None,
            strawberry.argument(description="Only requests in this state (all when omitted)."),
        ] = None,
    ) -> list[AdminAccessRequestType] | None:
        viewer = info.context.require_viewer()
        wanted = RequestStatusEnum(status.value) if status is not None else None
        rows = await service.admin_access_requests(info.context.policy, viewer, wanted)
        return [AdminAccessRequestType.from_model(row) for row in rows]


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="Admins: give a person an access to the establishment. An unknown e-mail "
        "gets an account and a one-time link to choose a password. CONFLICT when the person "
        "already has an access (use updateAccess)."
    )
    async def grant_access(
        self,
        info: Info,
        establishment_id: Annotated[
            strawberry.ID, strawberry.argument(description="Establishment identifier.")
        ],
        email: Annotated[str, strawberry.argument(description="E-mail of the person.")],
        role: Annotated[AccessRole, strawberry.argument(description="ADMIN or STANDARD.")],
        document_kinds: Annotated[
            list[DocumentKind] | None,
            strawberry.argument(
                description="Kinds a STANDARD access may see, each at most once (ignored for "
                "an ADMIN, who sees every kind)."
            ),
        ] = None,
    ) -> AccessType | None:
        row = await service.grant_access(
            info.context.policy,
            info.context.actor(),
            parse_id(establishment_id, "establishmentId"),
            email,
            role,
            document_kinds or [],
        )
        return AccessType.from_model(row)

    @strawberry.mutation(
        description="Admins: change the level and document kinds of an access. Nobody may "
        "lower their own admin access (FORBIDDEN); the last admin stays admin (CONFLICT)."
    )
    async def update_access(
        self,
        info: Info,
        access_id: Annotated[strawberry.ID, strawberry.argument(description="Access identifier.")],
        role: Annotated[AccessRole, strawberry.argument(description="ADMIN or STANDARD.")],
        document_kinds: Annotated[
            list[DocumentKind] | None,
            strawberry.argument(
                description="Kinds a STANDARD access may see, each at most once (ignored for "
                "an ADMIN)."
            ),
        ] = None,
    ) -> AccessType | None:
        row = await service.update_access(
            info.context.policy,
            info.context.actor(),
            parse_id(access_id, "accessId"),
            role,
            document_kinds or [],
        )
        return AccessType.from_model(row)

    @strawberry.mutation(
        description="Admins: remove an access; returns it as it was. Nobody may remove their "
        "own admin access (FORBIDDEN); the last admin cannot be removed (CONFLICT)."
    )
    async def revoke_access(
        self,
        info: Info,
        access_id: Annotated[strawberry.ID, strawberry.argument(description="Access identifier.")],
    ) -> AccessType | None:
        row = await service.revoke_access(
            info.context.policy, info.context.actor(), parse_id(access_id, "accessId")
        )
        return AccessType.from_model(row)

    @strawberry.mutation(
        description="Ask staff for admin rights on an establishment, named by its identifier "
        "or its SIRET number (rule 9). Staff answer by e-mail."
    )
    async def request_admin_access(
        self,
        info: Info,
        establishment_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(description="Establishment identifier (or give `siret`)."),
        ] = None,
        siret: Annotated[
            str | None,
            strawberry.argument(description="14-digit SIRET (or give `establishmentId`)."),
        ] = None,
        message: Annotated[
            str, strawberry.argument(description="Why you need admin rights, for staff.")
        ] = "",
    ) -> AdminAccessRequestType | None:
        row = await service.request_admin_access(
            info.context.policy,
            info.context.actor(),
            establishment_id=(
                parse_id(establishment_id, "establishmentId")
                if establishment_id is not None
                else None
            ),
            siret=siret,
            message=message,
        )
        return AdminAccessRequestType.from_model(row)

    @strawberry.mutation(
        description="Staff: approve (the requester becomes ADMIN) or reject a request for "
        "admin rights. The requester is told by e-mail either way."
    )
    async def decide_admin_access_request(
        self,
        info: Info,
        request_id: Annotated[
            strawberry.ID, strawberry.argument(description="Request identifier.")
        ],
        approve: Annotated[bool, strawberry.argument(description="True approves, false rejects.")],
        note: Annotated[
            str, strawberry.argument(description="A note for the requester, sent by e-mail.")
        ] = "",
    ) -> AdminAccessRequestType | None:
        row = await service.decide_admin_access_request(
            info.context.policy,
            info.context.actor(),
            parse_id(request_id, "requestId"),
            approve,
            note,
        )
        return AdminAccessRequestType.from_model(row)
