"""Establishments, their accesses, the audit log and admin access requests (rules 6-9).

Every decision is asked of the policy (`policies/accesses.polar`, `establishments.polar`,
`accounts.polar`); this module only reads and writes rows, keeps the invariants the policy
cannot see (every establishment keeps an admin, even under concurrency) and writes each change
to the audit log in the transaction of the change.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from infra.locks import lock_establishment
from infra.mail_outbox import queue_mail
from models.access import Access, AdminAccessRequest, Invitation, TrainingManager
from models.accounts import Account
from models.audit import AuditEntry
from models.companies import Establishment
from models.enums import AccessRole, DocumentKind, RequestStatus
from policies.engine import Policy, Viewer
from services import audit, invitations
from services import audit_log as audit_log_service
from services.actors import Actor
from services.admins import access_snapshot, make_admin
from services.emails import normalize_email
from services.errors import BadUserInput, Conflict, NotFound, Reason
from services.training_managers import grant_known_training_manager_accesses

DEFAULT_AUDIT_PAGE = 50
MAX_AUDIT_PAGE = 500
MAX_MESSAGE_LENGTH = 2000
VALID_KINDS = frozenset(kind.value for kind in DocumentKind)

# Words of the decision mail, in the requester's language (French as fallback).
_DECISION_WORDS = {
    "fr": {
        True: ("acceptée", "Vous êtes désormais administrateur de cet établissement."),
        False: ("refusée", "Vos accès actuels ne changent pas."),
    },
    "en": {
        True: ("approved", "You are now an admin of this establishment."),
        False: ("declined", "Your current accesses do not change."),
    },
}


# -- reading -----------------------------------------------------------------------------


async def visible_establishments(policy: Policy, viewer: Viewer) -> list[Establishment]:
    """The establishments the viewer may read, filtered in SQL, by name."""
    return (
        await Establishment.filter(policy.filter(viewer, "read", Establishment))
        .select_related("company")
        .order_by("name", "id")
    )


async def get_establishment(policy: Policy, viewer: Viewer, establishment_id: int) -> Establishment:
    """One establishment the viewer may read, else NotFound (existence is not revealed)."""
    row = (
        await Establishment.filter(
            policy.filter(viewer, "read", Establishment), id=establishment_id
        )
        .select_related("company")
        .first()
    )
    if row is None:
        raise NotFound("Establishment not found.")
    return row


def authorize_read_accesses(
    policy: Policy, viewer: Viewer | None, establishment: Establishment
) -> None:
    """Forbidden unless the viewer may see who has an access to this establishment (rule 6)."""
    policy.authorize_field(
        viewer,
        "read",
        establishment,
        "accesses",
        message="Only the admins of this establishment may see its accesses.",
    )


async def accesses_of(
    policy: Policy, viewer: Viewer | None, establishment_ids: Sequence[int]
) -> dict[int, list[Access]]:
    """The accesses the viewer may read on each establishment, in one SQL query."""
    found: dict[int, list[Access]] = {i: [] for i in establishment_ids}
    if not establishment_ids:
        return found
    rows = (
        await Access.filter(
            policy.filter(viewer, "read", Access), establishment_id__in=list(set(establishment_ids))
        )
        .select_related("account", "establishment__company")
        .order_by("establishment_id", "id")
    )
    for row in rows:
        found[row.establishment_id].append(row)
    return found


async def audit_log(
    policy: Policy, viewer: Viewer, establishment_id: int, first: int | None = None
) -> list[AuditEntry]:
    """The latest audit entries of an establishment, newest first (admins and staff)."""
    size = DEFAULT_AUDIT_PAGE if first is None else first
    await audit_log_service.authorize_audit_log(
        policy, viewer, establishment_id, size, MAX_AUDIT_PAGE
    )
    return (
        await AuditEntry.filter(establishment_id=establishment_id)
        .order_by("-at", "-id")
        .limit(size)
    )


def authorize_request_establishment(
    policy: Policy, viewer: Viewer | None, request: AdminAccessRequest
) -> None:
    """The answer about an admin access request shows its establishment only to whoever may
    read that establishment (staff, its members): FORBIDDEN otherwise."""
    policy.authorize(
        viewer,
        "read",
        request.establishment,
        read_action=None,
        message="You may not see this establishment.",
    )


def may_use_back_office(policy: Policy, viewer: Viewer | None) -> bool:
    """Whether the viewer may open the staff back office (the `staff_back_office` action the
    back office's queries and mutations ask), for a front end to show it or not."""
    return policy.is_allowed(viewer, "staff_back_office", AdminAccessRequest)


def _authorize_back_office(policy: Policy, viewer: Viewer) -> None:
    policy.authorize(
        viewer,
        "staff_back_office",
        AdminAccessRequest,
        read_action=None,
        message="Only the back office handles admin access requests.",
    )


async def admin_access_requests(
    policy: Policy, viewer: Viewer, status: RequestStatus | None = None
) -> list[AdminAccessRequest]:
    """Admin access requests for the back office, oldest first."""
    _authorize_back_office(policy, viewer)
    query = AdminAccessRequest.all()
    if status is not None:
        query = query.filter(status=status.value)
    return await query.select_related("account", "establishment__company").order_by(
        "created_at", "id"
    )


async def pending_admin_requests_of(
    policy: Policy, viewer: Viewer | None, establishment_ids: Sequence[int]
) -> dict[int, list[AdminAccessRequest]]:
    """The PENDING admin access requests the viewer may read on each establishment, oldest
    first, in one query."""
    found: dict[int, list[AdminAccessRequest]] = {i: [] for i in establishment_ids}
    if not establishment_ids:
        return found
    rows = (
        await AdminAccessRequest.filter(
            policy.filter(viewer, "read", AdminAccessRequest),
            establishment_id__in=list(set(establishment_ids)),
            status=RequestStatus.PENDING.value,
        )
        .select_related("account", "establishment__company")
        .order_by("establishment_id", "created_at", "id")
    )
    for row in rows:
        found[row.establishment_id].append(row)
    return found


def authorize_read_admin_requests(
    policy: Policy, viewer: Viewer | None, establishment: Establishment
) -> None:
    """FORBIDDEN unless the viewer may see the admin access requests of this establishment."""
    policy.authorize_field(
        viewer,
        "read",
        establishment,
        "admin_requests",
        message="Only the admins of this establishment may see its admin access requests.",
    )


async def get_access(policy: Policy, viewer: Viewer, access_id: int) -> Access:
    """One access the viewer may read, with its account and establishment, else NotFound."""
    row = (
        await Access.filter(policy.filter(viewer, "read", Access), id=access_id)
        .select_related("account", "establishment__company")
        .first()
    )
    if row is None:
        raise NotFound("Access not found.")
    return row


# -- the admin invariant -------------------------------------------------------------------


async def _admin_count(establishment_id: int) -> int:
    return await Access.filter(
        establishment_id=establishment_id, role=AccessRole.ADMIN.value
    ).count()


# -- changing accesses ---------------------------------------------------------------------


def clean_document_kinds(role: AccessRole, kinds: Iterable[str]) -> list[str]:
    """Validated document kinds to store: known kinds, no duplicates; none for an ADMIN
    (an admin sees every kind, rule 6)."""
    values = [str(getattr(kind, "value", kind)) for kind in kinds]
    unknown = sorted(set(values) - VALID_KINDS)
    if unknown:
        raise BadUserInput(
            "Unknown document kind(s): {kinds}.", field="documentKinds", kinds=", ".join(unknown)
        )
    if len(set(values)) != len(values):
        raise BadUserInput(
            "A document kind is listed twice.",
            field="documentKinds",
            reason=Reason.DUPLICATE_VALUE,
        )
    if role == AccessRole.ADMIN:
        return []
    return sorted(values)


async def _reload(access_id: int) -> Access:
    return (
        await Access.filter(id=access_id).select_related("account", "establishment__company").get()
    )


@dataclass(frozen=True)
class GrantOutcome:
    """What `grant_access` did: an access given at once, or an invitation mailed."""

    access: Access | None = None
    invitation: Invitation | None = None


async def grant_access(
    policy: Policy,
    actor: Actor,
    establishment_id: int,
    email: str,
    role: AccessRole,
    document_kinds: Iterable[str],
) -> GrantOutcome:
    """Give a person an access to an establishment (rule 6).

    Only an account whose owner proved its address gets the access at once. Any other
    address (unknown, or an account nobody verified: anyone can sign up with an address
    they do not control) gets an invitation mailed to it; the access takes effect when its
    owner follows the link (`services.invitations`).
    """
    establishment = await get_establishment(policy, actor.viewer, establishment_id)
    policy.authorize(
        actor.viewer,
        "manage_accesses",
        establishment,
        what="Establishment",
        message="Only the admins of this establishment may grant accesses.",
    )
    kinds = clean_document_kinds(role, document_kinds)
    address = normalize_email(email)
    async with in_transaction():
        await lock_establishment(establishment.id)
        account = await Account.get_or_none(email=address)
        if account is None or account.email_verified_at is None:
            if account is not None and await Access.exists(
                account_id=account.id, establishment_id=establishment.id
            ):
                raise Conflict(
                    "This person already has an access to this establishment: change it "
                    "instead (it works once they verify their e-mail)."
                )
            invitation = await invitations.invite(
                policy, actor, establishment, address, role, kinds
            )
            return GrantOutcome(invitation=invitation)
        existing = await Access.get_or_none(
            account_id=account.id, establishment_id=establishment.id
        )
        if existing is not None:
            raise Conflict(
                "This person already has an access to this establishment: change it instead.",
                accessId=str(existing.id),
                reason=Reason.ALREADY_EXISTS,
            )
        try:
            access = await Access.create(
                account=account,
                establishment=establishment,
                role=role.value,
                document_kinds=kinds,
                granted_by=actor.account,
            )
        except IntegrityError:
            raise Conflict(
                "This person already has an access to this establishment.",
                reason=Reason.ALREADY_EXISTS,
            ) from None
        await audit.record_by(
            actor,
            "access.granted",
            "Access",
            access.id,
            establishment_id=establishment.id,
            after=access_snapshot(access, account.email),
        )
    return GrantOutcome(access=await _reload(access.id))


async def _locked(access: Access, *, keeps_admin_role: bool) -> Access:
    """The access reloaded under its establishment's lock, before changing it. NOT_FOUND if
    it went meanwhile; CONFLICT if the change would take its establishment's last admin."""
    await lock_establishment(access.establishment_id)
    current = await Access.get_or_none(id=access.id)
    if current is None:
        raise NotFound("Access not found.")
    if (
        current.role == AccessRole.ADMIN.value
        and not keeps_admin_role
        and await _admin_count(current.establishment_id) <= 1
    ):
        raise Conflict("An establishment keeps at least one admin.", reason=Reason.LAST_ADMIN)
    return current


async def update_access(
    policy: Policy,
    actor: Actor,
    access_id: int,
    role: AccessRole,
    document_kinds: Iterable[str],
) -> Access:
    """Change the level and document kinds of an access (rules 6-8)."""
    access = await get_access(policy, actor.viewer, access_id)
    policy.authorize(
        actor.viewer,
        "update",
        access,
        what="Access",
        message="Only the admins of this establishment may change its accesses.",
    )
    if access.role == AccessRole.ADMIN.value and role != AccessRole.ADMIN:
        policy.authorize(
            actor.viewer,
            "demote",
            access,
            what="Access",
            message="You cannot lower your own admin access: ask another admin.",
            reason=Reason.OWN_ADMIN_RIGHTS,
        )
    kinds = clean_document_kinds(role, document_kinds)
    async with in_transaction():
        current = await _locked(access, keeps_admin_role=role == AccessRole.ADMIN)
        before = access_snapshot(current, access.account.email)
        current.role = role.value
        current.document_kinds = kinds
        await current.save(update_fields=["role", "document_kinds", "updated_at"])
        await audit.record_by(
            actor,
            "access.updated",
            "Access",
            current.id,
            establishment_id=current.establishment_id,
            before=before,
            after=access_snapshot(current, access.account.email),
        )
    return await _reload(access.id)


async def revoke_access(policy: Policy, actor: Actor, access_id: int) -> Access:
    """Remove an access (rule 8). Returns the removed access as it was."""
    access = await get_access(policy, actor.viewer, access_id)
    policy.authorize(
        actor.viewer, "revoke", access, what="Access", message="You may not remove this access."
    )
    async with in_transaction():
        current = await _locked(access, keeps_admin_role=False)
        before = access_snapshot(current, access.account.email)
        await Access.filter(id=current.id).delete()
        await audit.record_by(
            actor,
            "access.revoked",
            "Access",
            current.id,
            establishment_id=current.establishment_id,
            before=before,
        )
    access.role = current.role
    access.document_kinds = current.document_kinds
    return access


# -- becoming admin through a request (rule 9) ---------------------------------------------


async def request_admin_access(
    policy: Policy,
    actor: Actor,
    *,
    establishment_id: int | None = None,
    siret: str | None = None,
    message: str = "",
) -> AdminAccessRequest:
    """File a request for admin rights that staff decide on (rule 9).

    Named by id, the establishment must be one the caller may read (else NOT_FOUND, as
    `establishment(id)` answers): ids cannot be walked to learn names. Named by SIRET (public
    data), any known establishment may be asked for; the answer then shows nothing of it
    the caller may not read (see `request_shows_establishment`)."""
    if (establishment_id is None) == (siret is None):
        raise BadUserInput(
            "Give either an establishment id or a SIRET number.",
            field="siret",
            reason=Reason.INVALID_COMBINATION,
        )
    if len(message) > MAX_MESSAGE_LENGTH:
        raise BadUserInput(
            "The message is limited to {maxLength} characters.",
            field="message",
            maxLength=MAX_MESSAGE_LENGTH,
            reason=Reason.TOO_LONG,
        )
    if siret is not None:
        number = "".join(siret.split())
        if len(number) != 14 or not (number.isascii() and number.isdigit()):
            raise BadUserInput(
                "A SIRET number has 14 digits.", field="siret", reason=Reason.INVALID_SIRET
            )
        establishment = await Establishment.get_or_none(siret=number)
    else:
        establishment = await Establishment.filter(
            policy.filter(actor.viewer, "read", Establishment), id=establishment_id
        ).first()
    if establishment is None:
        raise NotFound("Establishment not found.")
    # The requester usually cannot read the establishment yet (they ask for rights on it).
    policy.authorize(
        actor.viewer,
        "request_admin_access",
        establishment,
        read_action=None,
        message="You may not ask for admin rights on this establishment.",
    )
    viewer_id = actor.viewer.id
    if await Access.exists(
        account_id=viewer_id, establishment_id=establishment.id, role=AccessRole.ADMIN.value
    ):
        raise Conflict(
            "You are already an admin of this establishment.", reason=Reason.ALREADY_EXISTS
        )
    async with in_transaction():
        await lock_establishment(establishment.id)
        if await AdminAccessRequest.exists(
            account_id=viewer_id,
            establishment_id=establishment.id,
            status=RequestStatus.PENDING.value,
        ):
            raise Conflict(
                "Your request for this establishment is already waiting for staff.",
                reason=Reason.ALREADY_EXISTS,
            )
        request = await AdminAccessRequest.create(
            account=actor.account, establishment=establishment, message=message.strip()
        )
        await audit.record_by(
            actor,
            "admin_request.filed",
            "AdminAccessRequest",
            request.id,
            establishment_id=establishment.id,
            after={"account": actor.account.email, "message": request.message},
        )
    return await _reload_request(request.id)


async def _reload_request(request_id: int) -> AdminAccessRequest:
    return (
        await AdminAccessRequest.filter(id=request_id)
        .select_related("account", "establishment__company")
        .get()
    )


async def decide_admin_access_request(
    policy: Policy, actor: Actor, request_id: int, approve: bool, note: str = ""
) -> AdminAccessRequest:
    """Staff approve (the requester becomes ADMIN) or reject a request; the requester is
    told by mail either way."""
    _authorize_back_office(policy, actor.viewer)
    if len(note) > MAX_MESSAGE_LENGTH:
        raise BadUserInput(
            "The note is limited to {maxLength} characters.",
            field="note",
            maxLength=MAX_MESSAGE_LENGTH,
            reason=Reason.TOO_LONG,
        )
    request = (
        await AdminAccessRequest.filter(id=request_id)
        .select_related("account", "establishment")
        .first()
    )
    if request is None:
        raise NotFound("Admin access request not found.")
    status = RequestStatus.APPROVED if approve else RequestStatus.REJECTED
    requester: Account = request.account
    establishment: Establishment = request.establishment
    async with in_transaction():
        await lock_establishment(establishment.id)
        decided = await AdminAccessRequest.filter(
            id=request.id, status=RequestStatus.PENDING.value
        ).update(
            status=status.value,
            decided_by_id=actor.account.id,
            decided_at=datetime.now(UTC),
            decision_note=note.strip(),
        )
        if not decided:
            raise Conflict("This request was already decided.", reason=Reason.ALREADY_ANSWERED)
        await audit.record_by(
            actor,
            f"admin_request.{status.value.lower()}",
            "AdminAccessRequest",
            request.id,
            establishment_id=establishment.id,
            before={"status": RequestStatus.PENDING.value},
            after={"status": status.value, "account": requester.email, "note": note.strip()},
        )
        if approve:
            await make_admin(
                requester,
                establishment.id,
                action="access.granted",
                updated_action="access.updated",
                by=actor.account,
                client_address=actor.client_address,
            )
        verdict, consequence = _DECISION_WORDS.get(requester.language, _DECISION_WORDS["fr"])[
            approve
        ]
        await queue_mail(
            requester.email,
            "admin_request_decided",
            requester.language,
            establishment=establishment.name,
            siret=establishment.siret,
            decision=verdict,
            consequence=consequence,
            note=note.strip() or "-",
        )
    return await _reload_request(request.id)


# -- training managers known in our records (rule 9) ---------------------------------------


@dataclass
class ImportReport:
    """What an import of training managers did."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    accesses_granted: int = 0
    errors: list[str] = field(default_factory=list)


async def import_training_managers(text: str) -> ImportReport:
    """Upsert training managers from CSV text (columns `email,siret,full_name`) and make the
    existing accounts with those e-mails, once verified, admins of their establishments
    (rule 9).

    All or nothing: when a line is wrong, nothing is written and the report lists every
    wrong line.
    """
    report = ImportReport()
    reader = csv.DictReader(io.StringIO(text))
    missing = {"email", "siret"} - set(reader.fieldnames or [])
    if missing:
        report.errors.append(f"missing column(s): {', '.join(sorted(missing))}")
        return report
    rows: dict[tuple[str, int], str] = {}
    sirets: dict[str, int] = {}
    for line, row in enumerate(reader, start=2):
        try:
            email = normalize_email(row.get("email") or "")
        except BadUserInput:
            report.errors.append(f"line {line}: {row.get('email')!r} is not an e-mail address")
            continue
        siret = "".join((row.get("siret") or "").split())
        if siret not in sirets:
            establishment = await Establishment.get_or_none(siret=siret)
            if establishment is None:
                report.errors.append(f"line {line}: no establishment with SIRET {siret!r}")
                continue
            sirets[siret] = establishment.id
        rows[(email, sirets[siret])] = (row.get("full_name") or "").strip()
    if report.errors:
        return report
    async with in_transaction():
        for (email, establishment_id), full_name in rows.items():
            manager = await TrainingManager.get_or_none(
                email=email, establishment_id=establishment_id
            )
            if manager is None:
                await TrainingManager.create(
                    email=email, establishment_id=establishment_id, full_name=full_name
                )
                report.created += 1
            elif full_name and manager.full_name != full_name:
                manager.full_name = full_name
                await manager.save(update_fields=["full_name"])
                report.updated += 1
            else:
                report.unchanged += 1
        # Only an owner who proved the address gets the rights now; the others get them when
        # they follow the link we mailed (services.accounts).
        emails = sorted({email for email, _ in rows})
        verified = Account.filter(email__in=emails, email_verified_at__isnull=False)
        for account in await verified.order_by("id"):
            report.accesses_granted += await grant_known_training_manager_accesses(account)
    return report
