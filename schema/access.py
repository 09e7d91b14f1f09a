"""GraphQL types and operations of establishments, their accesses, the audit log and admin
access requests (rules 6-9).

Who may see and change what is decided by the policy through `services.access`; the types
below only present what it loaded.
"""

from __future__ import annotations

import datetime
from typing import Annotated, Any

import strawberry
from strawberry.dataloader import DataLoader
from strawberry.scalars import JSON

from models.access import Access, AdminAccessRequest, Invitation
from models.audit import AuditEntry
from models.companies import Establishment
from models.enums import RequestStatus as RequestStatusEnum
from schema.accounts import AccountType
from schema.context import Context, Info
from schema.ids import parse_id
from schema.node import Node
from schema.scalars import AccessRole, DocumentKind, RequestOrigin, RequestStatus
from services import access as service
from services import access_flags, invitations


def _accesses_loader(context: Context) -> DataLoader[int, list[Access]]:
    """Establishment id -> the accesses the viewer may read there, one SQL query per page."""
    return context.loaders.accesses


@strawberry.type(name="Establishment", description="A site of a company, with its SIRET number.")
class EstablishmentType(Node):
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
        description="Invitations mailed to people who have no verified account yet, not "
        "accepted, withdrawn nor expired, oldest first (rule 6). Only the establishment's "
        "admins and staff may read it; others get null with FORBIDDEN."
    )
    async def invitations(self, info: Info) -> list[InvitationType] | None:
        context = info.context
        invitations.authorize_read_invitations(context.policy, context.viewer, self.model)
        rows = await context.loaders.invitations.load(self.model.id)
        return [InvitationType.from_model(row) for row in rows]

    @strawberry.field(
        description="Requests for admin rights on this establishment still waiting for staff "
        "(PENDING), oldest first (rule 9). Only the establishment's admins and staff may read "
        "it; others get null with FORBIDDEN."
    )
    async def pending_admin_requests(self, info: Info) -> list[AdminAccessRequestType] | None:
        policy, viewer = info.context.policy, info.context.viewer
        service.authorize_read_admin_requests(policy, viewer, self.model)
        rows = await info.context.loaders.pending_admin_requests.load(self.model.id)
        return [AdminAccessRequestType.from_model(row) for row in rows]

    @strawberry.field(
        description="True when this viewer may grant, change and revoke the accesses of this "
        "establishment (decided by the policy, for the whole list at once)."
    )
    async def viewer_can_manage_accesses(self, info: Info) -> bool:
        return await info.context.loaders.manage_flags.load(self.model.id)

    @classmethod
    async def fetch_node(cls, info: Info, number: int) -> EstablishmentType:
        """As `establishment(id)`: NOT_FOUND unless the viewer may read it."""
        viewer = info.context.require_viewer()
        return cls.from_model(await service.get_establishment(info.context.policy, viewer, number))

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
class AccessType(Node):
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
        return await info.context.loaders.access_flags.load(self.model.id)

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
    async def fetch_node(cls, info: Info, number: int) -> AccessType:
        """An access the viewer may read (the policy's `read` of accesses, which
        `Establishment.accesses` and `me { accesses }` list); NOT_FOUND otherwise."""
        viewer = info.context.require_viewer()
        return cls.from_model(await service.get_access(info.context.policy, viewer, number))

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
    name="Invitation",
    description="An access offered to an address that has no verified account yet: it "
    "takes effect when the owner of the address follows the link mailed to it (rule 6).",
)
class InvitationType(Node):
    id: strawberry.ID = strawberry.field(description="Identifier of the invitation.")
    email: str = strawberry.field(description="The address invited.")
    role: AccessRole = strawberry.field(description="The access offered: ADMIN or STANDARD.")
    document_kinds: list[DocumentKind] = strawberry.field(
        description="Document kinds the STANDARD access offered may see."
    )
    invited_by_email: str | None = strawberry.field(
        description="Login e-mail of the admin who invited (null if that account is gone)."
    )
    created_at: datetime.datetime = strawberry.field(description="When it was mailed.")
    expires_at: datetime.datetime = strawberry.field(description="When its link expires.")
    accepted_at: datetime.datetime | None = strawberry.field(description="When accepted.")
    withdrawn_at: datetime.datetime | None = strawberry.field(description="When withdrawn.")

    @classmethod
    async def fetch_node(cls, info: Info, number: int) -> InvitationType:
        """An invitation the viewer may read (the policy's `read` of invitations, which
        `Establishment.invitations` lists while pending); NOT_FOUND otherwise."""
        viewer = info.context.require_viewer()
        row = await invitations.get_invitation(info.context.policy, viewer, number)
        return cls.from_model(row)

    @classmethod
    def from_model(cls, row: Invitation) -> InvitationType:
        inviter = row.invited_by if row.invited_by_id else None
        return cls(
            id=strawberry.ID(str(row.id)),
            email=row.email,
            role=AccessRole(row.role),
            document_kinds=[DocumentKind(k) for k in row.document_kinds],
            invited_by_email=inviter.email if inviter is not None else None,
            created_at=row.created_at,
            expires_at=row.expires_at,
            accepted_at=row.accepted_at,
            withdrawn_at=row.withdrawn_at,
        )


@strawberry.type(
    name="GrantAccessPayload",
    description="What granting an access did: the access, given at once to an account whose "
    "e-mail is verified, or the invitation mailed to any other address.",
)
class GrantAccessPayload:
    access: AccessType | None = strawberry.field(
        description="The access, when the person's account is verified; null otherwise."
    )
    invitation: InvitationType | None = strawberry.field(
        description="The invitation mailed, when the address has no verified account; the "
        "access takes effect when its owner follows the link."
    )


@strawberry.type(
    name="AcceptInvitationPayload",
    description="The access an invitation gave, and a session when the person was not signed in.",
)
class AcceptInvitationPayload:
    access: AccessType = strawberry.field(description="The access now in effect.")
    account: AccountType = strawberry.field(description="The account holding it.")
    token: str | None = strawberry.field(
        description="Bearer token of the session opened (null when already signed in)."
    )


@strawberry.type(
    name="AccessSnapshot",
    description="An access as the audit log recorded it, before or after a change.",
)
class AccessSnapshot:
    account: str = strawberry.field(description="E-mail of the person holding the access.")
    role: AccessRole = strawberry.field(description="ADMIN or STANDARD.")
    document_kinds: list[DocumentKind] = strawberry.field(
        description="Document kinds a STANDARD access may see; empty for an ADMIN."
    )

    @classmethod
    def from_json(cls, action: str, value: dict[str, Any] | None) -> AccessSnapshot | None:
        """The snapshot of an `access.*` entry; None for other entries or an absent side."""
        if not action.startswith("access.") or not isinstance(value, dict):
            return None
        try:
            return cls(
                account=str(value["account"]),
                role=AccessRole(value["role"]),
                document_kinds=[DocumentKind(kind) for kind in value.get("documentKinds", [])],
            )
        except (KeyError, ValueError, TypeError):
            return None


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
    access_before: AccessSnapshot | None = strawberry.field(
        description="For an `access.*` entry, the access before the change (null when it "
        "was just granted, and for other actions)."
    )
    access_after: AccessSnapshot | None = strawberry.field(
        description="For an `access.*` entry, the access after the change (null when it was "
        "revoked, and for other actions)."
    )

    @classmethod
    def from_model(cls, row: AuditEntry) -> AuditEntryType:
        return cls(
            id=strawberry.ID(str(row.id)),
            at=row.at,
            actor_email=row.actor_email,
            action=row.action,
            target_type=row.target_type,
            target_id=strawberry.ID(str(row.target_id)) if row.target_id is not None else None,
            before=JSON(row.before) if row.before is not None else None,
            after=JSON(row.after) if row.after is not None else None,
            access_before=AccessSnapshot.from_json(row.action, row.before),
            access_after=AccessSnapshot.from_json(row.action, row.after),
        )


@strawberry.type(
    name="AdminAccessRequest",
    description="A request for admin rights on an establishment, decided by staff (rule 9).",
)
class AdminAccessRequestType:
    id: strawberry.ID = strawberry.field(description="Identifier of the request.")
    account: AccountType = strawberry.field(description="Who asks.")
    siret: str = strawberry.field(description="SIRET of the establishment asked for.")
    origin: RequestOrigin = strawberry.field(
        description="CONTACT_FORM (requestAdminAccess) or SIGN_UP (a company sign-up named "
        "this SIRET: the account is not a member until staff decide)."
    )
    message: str = strawberry.field(description="What the requester wrote to staff.")
    status: RequestStatus = strawberry.field(description="PENDING, APPROVED or REJECTED.")
    created_at: datetime.datetime = strawberry.field(description="When it was filed.")
    decided_at: datetime.datetime | None = strawberry.field(description="When staff decided.")
    decision_note: str = strawberry.field(description="Staff's note sent with the decision.")
    model: strawberry.Private[AdminAccessRequest]

    @strawberry.field(
        description="For which establishment. Null with FORBIDDEN for a requester who may not "
        "read it (they named it by SIRET): a request reveals nothing of an establishment "
        "beyond what `establishment(id)` shows the caller."
    )
    def establishment(self, info: Info) -> EstablishmentType | None:
        context = info.context
        service.authorize_request_establishment(context.policy, context.viewer, self.model)
        return EstablishmentType.from_model(self.model.establishment)

    @classmethod
    def from_model(cls, row: AdminAccessRequest) -> AdminAccessRequestType:
        return cls(
            id=strawberry.ID(str(row.id)),
            account=AccountType.from_model(row.account),
            siret=row.establishment.siret,
            origin=RequestOrigin(row.origin),
            model=row,
            message=row.message,
            status=RequestStatus(row.status),
            created_at=row.created_at,
            decided_at=row.decided_at,
            decision_note=row.decision_note,
        )


EstablishmentIdArgument = Annotated[
    strawberry.ID, strawberry.argument(description="Establishment identifier.")
]
RoleArgument = Annotated[AccessRole, strawberry.argument(description="ADMIN or STANDARD.")]
# The page size of the audit log, in `auditLog` and in `auditLogEntries` (schema.audit).
AuditPageSizeArgument = Annotated[
    int | None, strawberry.argument(description="How many entries: 50 by default, at most 500.")
]


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
        return await EstablishmentType.fetch_node(info, parse_id(id))

    @strawberry.field(
        description="The audit log of an establishment, newest first: admins and staff only "
        "(FORBIDDEN for a standard access, NOT_FOUND without any access).",
        deprecation_reason="Use auditLogEntries: cursor paging and filters.",
    )
    async def audit_log(
        self,
        info: Info,
        establishment_id: EstablishmentIdArgument,
        first: AuditPageSizeArgument = None,
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


GRANTED_KINDS = strawberry.argument(
    description="Kinds a STANDARD access may see, each at most once (ignored for an ADMIN, "
    "who sees every kind)."
)


async def _grant(
    info: Info,
    establishment_id: strawberry.ID,
    email: str,
    role: AccessRole,
    document_kinds: list[DocumentKind] | None,
) -> service.GrantOutcome:
    """What `grantAccessOrInvite` and the deprecated `grantAccess` both do."""
    return await service.grant_access(
        info.context.policy,
        info.context.actor(),
        parse_id(establishment_id, "establishmentId"),
        email,
        role,
        document_kinds or [],
    )


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="Admins: give a person an access to the establishment (rule 6). An "
        "account whose e-mail is verified gets it at once; any other address gets an "
        "invitation mailed to it (the access takes effect when its owner follows the link). "
        "CONFLICT when the person already has an access (use updateAccess); RATE_LIMITED "
        "when the address received too many mails caused by others."
    )
    async def grant_access_or_invite(
        self,
        info: Info,
        establishment_id: EstablishmentIdArgument,
        email: Annotated[str, strawberry.argument(description="E-mail of the person.")],
        role: RoleArgument,
        document_kinds: Annotated[list[DocumentKind] | None, GRANTED_KINDS] = None,
    ) -> GrantAccessPayload | None:
        outcome = await _grant(info, establishment_id, email, role, document_kinds)
        return GrantAccessPayload(
            access=AccessType.from_model(outcome.access) if outcome.access else None,
            invitation=(
                InvitationType.from_model(outcome.invitation) if outcome.invitation else None
            ),
        )

    @strawberry.mutation(
        description="Admins: give a person an access to the establishment. Same as "
        "grantAccessOrInvite, but answers only the access: null when an invitation was "
        "mailed instead (the address has no verified account). CONFLICT when the person "
        "already has an access (use updateAccess).",
        deprecation_reason="Use grantAccessOrInvite, which also returns the invitation "
        "mailed to an address without a verified account.",
    )
    async def grant_access(
        self,
        info: Info,
        establishment_id: EstablishmentIdArgument,
        email: Annotated[str, strawberry.argument(description="E-mail of the person.")],
        role: RoleArgument,
        document_kinds: Annotated[list[DocumentKind] | None, GRANTED_KINDS] = None,
    ) -> AccessType | None:
        outcome = await _grant(info, establishment_id, email, role, document_kinds)
        return AccessType.from_model(outcome.access) if outcome.access else None

    @strawberry.mutation(
        description="Admins: withdraw a pending invitation of their establishment; its link "
        "stops working. NOT_FOUND when you may not see it; CONFLICT when it was already "
        "accepted or withdrawn."
    )
    async def withdraw_invitation(
        self,
        info: Info,
        invitation_id: Annotated[
            strawberry.ID, strawberry.argument(description="Invitation identifier.")
        ],
    ) -> InvitationType | None:
        row = await invitations.withdraw_invitation(
            info.context.policy, info.context.actor(), parse_id(invitation_id, "invitationId")
        )
        return InvitationType.from_model(row)

    @strawberry.mutation(
        description="Follow the link of an invitation (its `token`): the access takes effect "
        "for the account of the invited address, which the link proves. Signed in with that "
        "address: nothing else is needed. Not signed in: give `password`; an unknown address "
        "gets its account, a known one gets this password (as a reset link would) and its "
        "other sessions end; a session is opened. BAD_USER_INPUT when the link is invalid, "
        "expired, withdrawn or used, or was sent to another address than the signed-in one."
    )
    async def accept_invitation(
        self,
        info: Info,
        token: Annotated[str, strawberry.argument(description="The `token` of the link.")],
        password: Annotated[
            str | None,
            strawberry.argument(description="Password to sign in with, when not signed in."),
        ] = None,
        full_name: Annotated[
            str, strawberry.argument(description="Your name, for a new account.")
        ] = "",
    ) -> AcceptInvitationPayload | None:
        context = info.context
        accepted = await invitations.accept_invitation(
            context.policy,
            token,
            signed_in=context.account,
            password=password,
            full_name=full_name,
            client_address=context.client_address,
        )
        return AcceptInvitationPayload(
            access=AccessType.from_model(accepted.access),
            account=AccountType.from_model(accepted.account),
            token=accepted.session_token,
        )

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
        "(one you may see: NOT_FOUND otherwise, as `establishment(id)`) or by its SIRET "
        "number (rule 9); the answer shows nothing of an establishment you may not see. "
        "Staff answer by e-mail."
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
