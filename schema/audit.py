"""GraphQL types of the audit log read as a Relay connection: `auditLogEntries`, its filter,
the `AuditAction` enum and the typed snapshots of access changes.

The entries themselves are `AuditEntry` (schema.access); the paging and the filters are in
`services.audit_log`.
"""

from __future__ import annotations

import datetime
from enum import Enum
from typing import Annotated, Any

import strawberry

from schema.access import AuditEntryType, AuditPageSizeArgument, EstablishmentIdArgument
from schema.context import Info
from schema.enrollments import PageInfo
from schema.ids import parse_id
from services import audit_log


def _action(value: str, description: str) -> Any:
    return strawberry.enum_value(value, description=description)


@strawberry.enum(
    name="AuditAction",
    description="Every kind of change the audit log records; the value is the `action` "
    "string of the entry (e.g. `access.revoked`).",
)
class AuditAction(Enum):
    ACCOUNT_SIGNED_UP = _action("account.signed_up", "An account was created by sign-up.")
    ACCOUNT_VERIFICATION_REQUESTED = _action(
        "account.verification_requested", "A new e-mail verification link was asked for."
    )
    ACCOUNT_EMAIL_VERIFIED = _action("account.email_verified", "An e-mail address was verified.")
    ACCOUNT_EMAIL_CHANGE_REQUESTED = _action(
        "account.email_change_requested", "A change of e-mail address was asked for."
    )
    ACCOUNT_EMAIL_CHANGED = _action("account.email_changed", "The e-mail address changed.")
    ACCOUNT_LOGIN_FAILED = _action("account.login_failed", "A sign-in attempt failed.")
    ACCOUNT_PASSWORD_CHECK_FAILED = _action(
        "account.password_check_failed", "A wrong current password was given for a change."
    )
    ACCOUNT_PASSWORD_CHANGED = _action("account.password_changed", "The password was changed.")
    ACCOUNT_PASSWORD_RESET_REQUESTED = _action(
        "account.password_reset_requested", "A password reset link was asked for."
    )
    ACCOUNT_PASSWORD_RESET = _action("account.password_reset", "The password was reset.")
    ACCESS_GRANTED = _action("access.granted", "An admin granted an access.")
    ACCESS_GRANTED_INVITATION = _action(
        "access.granted_invitation", "An access came with an accepted invitation."
    )
    ACCESS_GRANTED_FIRST_ENROLLMENT = _action(
        "access.granted_first_enrollment",
        "The first enrollment of an establishment made its booker an admin.",
    )
    ACCESS_GRANTED_TRAINING_MANAGER = _action(
        "access.granted_training_manager",
        "A known training manager was made an admin of the establishment.",
    )
    ACCESS_UPDATED = _action("access.updated", "An access changed level or document kinds.")
    ACCESS_UPDATED_FIRST_ENROLLMENT = _action(
        "access.updated_first_enrollment",
        "The first enrollment raised an existing access of its booker to admin.",
    )
    ACCESS_REVOKED = _action("access.revoked", "An access was removed.")
    ADMIN_REQUEST_FILED = _action("admin_request.filed", "Admin rights were asked for.")
    ADMIN_REQUEST_APPROVED = _action(
        "admin_request.approved", "Staff approved a request for admin rights."
    )
    ADMIN_REQUEST_REJECTED = _action(
        "admin_request.rejected", "Staff rejected a request for admin rights."
    )
    INVITATION_SENT = _action("invitation.sent", "An invitation was mailed.")
    INVITATION_ACCEPTED = _action("invitation.accepted", "An invitation was accepted.")
    INVITATION_WITHDRAWN = _action("invitation.withdrawn", "An invitation was withdrawn.")
    ENROLLMENT_BOOKED = _action("enrollment.booked", "An enrollment was booked.")
    ENROLLMENT_VALIDATED = _action("enrollment.validated", "Staff validated an enrollment.")
    ENROLLMENT_INVOICED = _action("enrollment.invoiced", "An enrollment was invoiced.")
    ENROLLMENT_CANCELLED = _action("enrollment.cancelled", "An enrollment was cancelled.")
    ENROLLMENT_POSTPONEMENT_REQUESTED = _action(
        "enrollment.postponement_requested", "A postponement was asked for."
    )
    ENROLLMENT_POSTPONEMENT_ANSWERED = _action(
        "enrollment.postponement_answered", "Staff answered a postponement request."
    )
    DOCUMENT_ATTACHED = _action("document.attached", "Staff attached a document.")
    DOCUMENT_UPLOADED = _action("document.uploaded", "A customer uploaded a document.")
    DOCUMENT_GENERATED = _action("document.generated", "A document was generated.")
    DOCUMENT_DOWNLOADED = _action("document.downloaded", "A document was downloaded.")
    COURSE_CREATED = _action("course.created", "Staff created a course.")
    COURSE_UPDATED = _action("course.updated", "Staff changed a course.")
    SESSION_CREATED = _action("session.created", "Staff created a course session.")
    SESSION_UPDATED = _action("session.updated", "Staff changed a course session.")
    SESSION_CLOSED = _action("session.closed", "Staff closed a session to bookings.")
    SESSION_CANCELLED = _action("session.cancelled", "Staff cancelled a course session.")
    CATALOG_IMPORTED = _action("catalog.imported", "Staff imported the catalogue from CSV.")
    FRAMEWORK_AGREEMENT_CHANGE_QUEUED = _action(
        "framework_agreement.change_queued", "A framework agreement price change was queued."
    )
    FRAMEWORK_AGREEMENT_PRICES_APPLIED = _action(
        "framework_agreement.prices_applied", "Framework agreement prices took effect."
    )


@strawberry.input(
    name="AuditLogFilter",
    description="Narrows the audit log. Every criterion given must hold (AND).",
)
class AuditLogFilter:
    actions: list[AuditAction] | None = strawberry.field(
        default=None, description="Only entries of these actions."
    )
    actor_email: str | None = strawberry.field(
        default=None, description="Only entries made by this e-mail (case-insensitive)."
    )
    from_: datetime.datetime | None = strawberry.field(
        default=None, name="from", description="Only entries at or after this moment."
    )
    to: datetime.datetime | None = strawberry.field(
        default=None, description="Only entries before this moment."
    )


@strawberry.type(name="AuditEntryEdge", description="An audit entry and its cursor.")
class AuditEntryEdge:
    cursor: str = strawberry.field(
        description="This entry's place in the log: pass it as `after` to get older entries."
    )
    node: AuditEntryType = strawberry.field(description="The entry.")


@strawberry.type(
    name="AuditEntryConnection",
    description="A page of the audit log, newest first, as a Relay connection.",
)
class AuditEntryConnection:
    edges: list[AuditEntryEdge] = strawberry.field(description="The entries of the page.")
    page_info: PageInfo = strawberry.field(description="Pagination state.")

    @strawberry.field(description="The entries of the page, without cursors.")
    def nodes(self) -> list[AuditEntryType]:
        return [edge.node for edge in self.edges]


@strawberry.type
class Query:
    @strawberry.field(
        description="The audit log of an establishment, newest first, page by page: admins "
        "and staff only (FORBIDDEN for a standard access, NOT_FOUND without any access). "
        "Supersedes the list `auditLog`."
    )
    async def audit_log_entries(
        self,
        info: Info,
        establishment_id: EstablishmentIdArgument,
        first: AuditPageSizeArgument = None,
        after: Annotated[
            str | None,
            strawberry.argument(description="Cursor of the entry to continue after."),
        ] = None,
        filter: Annotated[
            AuditLogFilter | None,
            strawberry.argument(description="Narrows the entries (all when omitted)."),
        ] = None,
    ) -> AuditEntryConnection | None:
        viewer = info.context.require_viewer()
        wanted = filter or AuditLogFilter()
        criteria = audit_log.AuditFilter(
            actions=[action.value for action in wanted.actions]
            if wanted.actions is not None
            else None,
            actor_email=wanted.actor_email,
            since=wanted.from_,
            until=wanted.to,
        )
        page = await audit_log.audit_log_page(
            info.context.policy,
            viewer,
            parse_id(establishment_id, "establishmentId"),
            criteria,
            first,
            after,
        )
        edges = [
            AuditEntryEdge(cursor=audit_log.encode_cursor(row), node=AuditEntryType.from_model(row))
            for row in page.entries
        ]
        return AuditEntryConnection(
            edges=edges,
            page_info=PageInfo(
                has_next_page=page.has_next_page,
                end_cursor=edges[-1].cursor if edges else None,
                has_previous_page=bool(after),
                start_cursor=edges[0].cursor if edges else None,
            ),
        )
