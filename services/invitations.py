"""Invitations: an access offered to an address that has no verified account yet (rule 6).

Anyone can sign up with an address they do not control, so an access granted straight to
such an account could reach a squatter. `grant_access` therefore only grants to verified
accounts; for any other address it calls `invite`, which mails a link to the address. The
access takes effect when the link is followed (`accept_invitation`): following it proves the
address belongs to whoever holds the mailbox. Admins see pending invitations of their
establishment and may withdraw them. Every decision is asked of `policies/invitations.polar`;
every change is audited in its transaction.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from limits import parse
from tortoise.transactions import in_transaction

from infra.locks import lock_establishment
from infra.mail_outbox import queue_mail
from infra.one_time_tokens import revoke_tokens
from models.access import Access, Invitation
from models.accounts import Account
from models.companies import Establishment
from models.enums import AccessRole, AccountKind, TokenPurpose
from policies.engine import Policy, Viewer
from services import audit, mail_relay, rate_limits
from services.accounts import mark_address_proven
from services.actors import Actor
from services.admins import access_snapshot
from services.errors import N_, BadUserInput, Conflict, NotFound, Reason
from services.login_sessions import (
    end_other_sessions,
    hash_token,
    start_session,
    viewer_for_account,
)
from services.passwords import check_password_rules, hash_password
from services.rate_limits import Limit
from settings import get_settings

LIFETIME = timedelta(days=7)
# acceptInvitation: each use of a link counts, per client address.
INVITATION_LINK_USES_PER_ADDRESS = Limit("invitation-links-address", parse("10 per 15 minutes"))
PASSWORD_TOKENS = (TokenPurpose.RESET_PASSWORD, TokenPurpose.SET_PASSWORD)
INVALID_INVITATION = N_("This invitation is invalid, expired, withdrawn or already used.")


@dataclass(frozen=True)
class AcceptedInvitation:
    """The access an invitation gave, its holder, and the session opened for them (None
    when they were already signed in)."""

    access: Access
    account: Account
    session_token: str | None


def invitation_link(token: str) -> str:
    """The link mailed to the invited address, built from PUBLIC_URL."""
    return f"{get_settings().public_url.rstrip('/')}/accept-invitation?token={token}"


def _pending(now: datetime) -> dict[str, object]:
    return {"accepted_at": None, "withdrawn_at": None, "expires_at__gt": now}


def _snapshot(invitation: Invitation) -> dict[str, object]:
    return {
        "email": invitation.email,
        "role": invitation.role,
        "documentKinds": list(invitation.document_kinds),
    }


async def invite(
    policy: Policy,
    actor: Actor,
    establishment: Establishment,
    address: str,
    role: AccessRole,
    kinds: list[str],
) -> Invitation:
    """Mail `address` a link that gives the access when followed. A pending invitation of the
    same address to the same establishment is replaced (its link stops working). Call
    inside the transaction of `grant_access`, the establishment locked; the caller checked
    that the actor manages its accesses. RATE_LIMITED when the address already received its
    allowance of mails caused by other people (`services.mail_relay`)."""
    await mail_relay.require_mail_slot(policy, actor, address)
    now = datetime.now(UTC)
    await Invitation.filter(
        establishment_id=establishment.id, email=address, **_pending(now)
    ).update(withdrawn_at=now)
    token = secrets.token_urlsafe(32)
    invitation = await Invitation.create(
        establishment=establishment,
        email=address,
        role=role.value,
        document_kinds=kinds,
        token_hash=hash_token(token),
        invited_by=actor.account,
        expires_at=now + LIFETIME,
    )
    language = (
        await Account.filter(email=address).first().values_list("language", flat=True) or "fr"
    )
    await queue_mail(
        address,
        "invitation",
        str(language),
        link=invitation_link(token),
        establishment=establishment.name,
        siret=establishment.siret,
        inviter=actor.account.email,
        role=role.value,
    )
    await audit.record_by(
        actor,
        "invitation.sent",
        "Invitation",
        invitation.id,
        establishment_id=establishment.id,
        after=_snapshot(invitation),
    )
    return invitation


async def pending_invitations_of(
    policy: Policy, viewer: Viewer | None, establishment_ids: Sequence[int]
) -> dict[int, list[Invitation]]:
    """The pending invitations the viewer may read on each establishment, in one query."""
    found: dict[int, list[Invitation]] = {i: [] for i in establishment_ids}
    if not establishment_ids:
        return found
    rows = (
        await Invitation.filter(
            policy.filter(viewer, "read", Invitation),
            establishment_id__in=list(set(establishment_ids)),
            **_pending(datetime.now(UTC)),
        )
        .select_related("invited_by")
        .order_by("establishment_id", "created_at", "id")
    )
    for row in rows:
        found[row.establishment_id].append(row)
    return found


def authorize_read_invitations(
    policy: Policy, viewer: Viewer | None, establishment: Establishment
) -> None:
    """FORBIDDEN unless the viewer may see the pending invitations of this establishment."""
    policy.authorize_field(
        viewer,
        "read",
        establishment,
        "invitations",
        message="Only the admins of this establishment may see its invitations.",
    )


async def get_invitation(policy: Policy, viewer: Viewer | None, invitation_id: int) -> Invitation:
    """One invitation the viewer may read, with who invited; NOT_FOUND otherwise."""
    invitation = (
        await Invitation.filter(policy.filter(viewer, "read", Invitation), id=invitation_id)
        .select_related("invited_by")
        .first()
    )
    if invitation is None:
        raise NotFound("Invitation not found.")
    return invitation


async def withdraw_invitation(policy: Policy, actor: Actor, invitation_id: int) -> Invitation:
    """An admin withdraws a pending invitation: its link stops working. NOT_FOUND for one
    the actor may not read; CONFLICT when already accepted or withdrawn."""
    invitation = await get_invitation(policy, actor.viewer, invitation_id)
    policy.authorize(
        actor.viewer,
        "withdraw",
        invitation,
        what="Invitation",
        message="Only the admins of this establishment may withdraw its invitations.",
    )
    now = datetime.now(UTC)
    async with in_transaction():
        withdrawn = await Invitation.filter(
            id=invitation.id, accepted_at=None, withdrawn_at=None
        ).update(withdrawn_at=now)
        if not withdrawn:
            raise Conflict(
                "This invitation was already accepted or withdrawn.", reason=Reason.NOT_PENDING
            )
        await audit.record_by(
            actor,
            "invitation.withdrawn",
            "Invitation",
            invitation.id,
            establishment_id=invitation.establishment_id,
            before=_snapshot(invitation),
        )
    invitation.withdrawn_at = now
    return invitation


async def accept_invitation(
    policy: Policy,
    token: str,
    *,
    signed_in: Account | None,
    password: str | None = None,
    full_name: str = "",
    client_address: str = "",
) -> AcceptedInvitation:
    """Follow the link of an invitation: the access is given to the account of the invited
    address, whose owner the link proves.

    * Signed in with the invited address: the access is added (and the address verified).
    * Signed in with another address: BAD_USER_INPUT (sign out first).
    * Not signed in: `password` is required. An unknown address gets its account with that
      password; a known one gets its password replaced and every other session ended, as a
      reset link would (whoever signed up with that address before may not be its owner).
      A session is opened and returned.
    """
    await rate_limits.hit((INVITATION_LINK_USES_PER_ADDRESS, client_address))
    password_hash = None
    if signed_in is None:
        if not password:
            raise BadUserInput(
                "Choose a password to sign in with.",
                field="password",
                reason=Reason.PASSWORD_REQUIRED,
            )
        check_password_rules(password)
        password_hash = await asyncio.to_thread(hash_password, password)
    now = datetime.now(UTC)
    async with in_transaction():
        invitation = (
            await Invitation.filter(token_hash=hash_token(token), **_pending(now))
            .select_related("establishment")
            .first()
        )
        if invitation is None:
            raise BadUserInput(INVALID_INVITATION, field="token", reason=Reason.INVALID_TOKEN)
        establishment_id = invitation.establishment_id
        # Locked before any write, in the order `grant_access` takes (establishment, then
        # its invitations), so the two cannot deadlock.
        await lock_establishment(establishment_id)
        address = invitation.email
        if signed_in is not None and signed_in.email != address:
            raise BadUserInput(
                "This invitation was sent to another address: sign out, then follow the link "
                "again.",
                field="token",
                reason=Reason.INVITATION_FOR_ANOTHER_ADDRESS,
            )
        account = signed_in or await Account.get_or_none(email=address)
        if account is None:
            account = await Account.create(
                email=address,
                password_hash=password_hash,
                full_name=" ".join(full_name.split())[:200],
                kind=AccountKind.COMPANY.value,
            )
        elif signed_in is None:
            account.password_hash = password_hash
            await account.save(update_fields=["password_hash", "updated_at"])
            await end_other_sessions(account.id)
            await revoke_tokens(
                account.id, (TokenPurpose.RESET_PASSWORD, TokenPurpose.SET_PASSWORD)
            )
        # The link was mailed to the invited address: following it proves it.
        await mark_address_proven(account, "invitation_link", client_address)
        if not policy.is_allowed(await viewer_for_account(account), "accept", invitation):
            raise BadUserInput(INVALID_INVITATION, field="token", reason=Reason.INVALID_TOKEN)
        claimed = await Invitation.filter(
            id=invitation.id, accepted_at=None, withdrawn_at=None
        ).update(accepted_at=now, accepted_by_id=account.id)
        if not claimed:
            raise BadUserInput(INVALID_INVITATION, field="token", reason=Reason.INVALID_TOKEN)
        access = await Access.get_or_none(account_id=account.id, establishment_id=establishment_id)
        if access is None:
            access = await Access.create(
                account=account,
                establishment_id=establishment_id,
                role=invitation.role,
                document_kinds=list(invitation.document_kinds),
                granted_by_id=invitation.invited_by_id,
            )
            await audit.record(
                "access.granted_invitation",
                actor=account,
                target_type="Access",
                target_id=access.id,
                establishment_id=establishment_id,
                after=access_snapshot(access, account.email),
                client_address=client_address,
            )
        await audit.record(
            "invitation.accepted",
            actor=account,
            target_type="Invitation",
            target_id=invitation.id,
            establishment_id=establishment_id,
            before=_snapshot(invitation),
            after={"accessId": access.id},
            client_address=client_address,
        )
    session_token = await start_session(account, client_address) if signed_in is None else None
    access = (
        await Access.filter(id=access.id).select_related("account", "establishment__company").get()
    )
    return AcceptedInvitation(access=access, account=account, session_token=session_token)
