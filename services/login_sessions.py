"""Login sessions: opaque bearer tokens stored only as a SHA-256 hash.

Rights are never put in the token: `signed_in` reads the account and its accesses
fresh on every request.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from tortoise.expressions import F
from tortoise.models import Model

from models.access import Access
from models.accounts import Account, LoginSession
from policies.engine import Grant, Viewer
from settings import get_settings


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def now() -> datetime:
    return datetime.now(UTC)


async def start_session(account: Account, client_address: str = "") -> str:
    """Open a session for `account` and return its bearer token (shown once, never stored)."""
    settings = get_settings()
    token = secrets.token_urlsafe(32)  # 256 bits
    moment = now()
    await LoginSession.create(
        account=account,
        token_hash=hash_token(token),
        last_seen_at=moment,
        expires_at=moment + timedelta(hours=settings.session_lifetime_hours),
        client_address=client_address[:64],
    )
    return token


@dataclass
class SignedIn:
    """Who a bearer token belongs to, for one request: the account and the policy's view."""

    account: Account
    viewer: Viewer


# The columns of the session and of each access that `signed_in` reads beside the account.
_SESSION_AND_ACCESSES = {
    "session_id": F("sessions__id"),
    "session_last_seen_at": F("sessions__last_seen_at"),
    "session_expires_at": F("sessions__expires_at"),
    "grant_id": F("accesses__id"),
    "grant_establishment_id": F("accesses__establishment_id"),
    "grant_role": F("accesses__role"),
    "grant_document_kinds": F("accesses__document_kinds"),
    "grant_company_id": F("accesses__establishment__company_id"),
}


def _annotated(row: Model, name: str) -> Any:
    """The value of an annotation (`QuerySet.annotate`) on a row."""
    return vars(row)[name]


def _read(model: type[Model], name: str, raw: Any) -> Any:
    """A value read through an annotation, converted as the column `name` of `model` is
    (annotations come as the database driver returns them)."""
    return model._meta.fields_map[name].to_python_value(raw)


async def signed_in(token: str) -> SignedIn | None:
    """The account and `Viewer` of a live session's bearer token, in one statement (the
    account with its session and its accesses joined: one row per access), touching the
    session's idle timer (one write a minute at most); None if ended or expired.

    Every request asks this, so it costs one round trip, where the session with its account
    and then the accesses took two."""
    if not token:
        return None
    rows = await Account.filter(
        sessions__token_hash=hash_token(token), sessions__ended_at=None
    ).annotate(**_SESSION_AND_ACCESSES)
    if not rows:
        return None
    first = rows[0]
    if not await _still_alive(
        _annotated(first, "session_id"),
        _read(LoginSession, "last_seen_at", _annotated(first, "session_last_seen_at")),
        _read(LoginSession, "expires_at", _annotated(first, "session_expires_at")),
    ):
        return None
    grants = []
    for row in rows:
        if _annotated(row, "grant_id") is None:  # an account without any access: no grant
            continue
        kinds = _read(Access, "document_kinds", _annotated(row, "grant_document_kinds"))
        grants.append(
            Grant(
                access_id=_annotated(row, "grant_id"),
                establishment_id=_annotated(row, "grant_establishment_id"),
                role=_annotated(row, "grant_role"),
                document_kinds=list(kinds or []),
                company_id=_annotated(row, "grant_company_id"),
            )
        )
    grants.sort(key=lambda grant: grant.access_id)
    return SignedIn(first, _viewer(first, grants))


async def _still_alive(session_id: int, last_seen_at: datetime, expires_at: datetime) -> bool:
    """End a session past its lifetime or idle limit (False); else touch its idle timer, at
    most once a minute (True)."""
    settings = get_settings()
    moment = now()
    idle_limit = last_seen_at + timedelta(minutes=settings.session_idle_minutes)
    if expires_at <= moment or idle_limit <= moment:
        await LoginSession.filter(id=session_id).update(ended_at=moment)
        return False
    if moment - last_seen_at > timedelta(minutes=1):  # one write a minute at most
        await LoginSession.filter(id=session_id).update(last_seen_at=moment)
    return True


async def end_session(token: str) -> bool:
    updated = await LoginSession.filter(token_hash=hash_token(token), ended_at=None).update(
        ended_at=now()
    )
    return bool(updated)


async def end_other_sessions(account_id: int, keep_token: str | None = None) -> int:
    query = LoginSession.filter(account_id=account_id, ended_at=None)
    if keep_token:
        query = query.exclude(token_hash=hash_token(keep_token))
    return await query.update(ended_at=now())


async def viewer_for_account(account: Account) -> Viewer:
    """The policy's view of an account: its identity, whether its e-mail is verified, its
    staff flag and its accesses (each with the company of its establishment: membership of
    a company is proven by an access, never by what was typed at sign-up)."""
    rows = (
        await Access.filter(account_id=account.id)
        .order_by("id")
        .values("id", "establishment_id", "role", "document_kinds", "establishment__company_id")
    )
    return _viewer(
        account,
        [
            Grant(
                access_id=row["id"],
                establishment_id=row["establishment_id"],
                role=row["role"],
                document_kinds=list(row["document_kinds"] or []),
                company_id=row["establishment__company_id"],
            )
            for row in rows
        ],
    )


def _viewer(account: Account, grants: list[Grant]) -> Viewer:
    return Viewer(
        id=account.id,
        email=account.email,
        email_verified=account.email_verified_at is not None,
        is_staff=account.is_staff,
        accesses=grants,
    )
