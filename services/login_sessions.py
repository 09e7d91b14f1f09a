"""Login sessions: opaque bearer tokens stored only as a SHA-256 hash.

Rights are never put in the token: `viewer_for_token` reads the account and its accesses
fresh on every request.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

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


async def session_for_token(token: str) -> LoginSession | None:
    """The live session of a bearer token, touching its idle timer; None if ended/expired."""
    if not token:
        return None
    settings = get_settings()
    session = (
        await LoginSession.filter(token_hash=hash_token(token), ended_at=None)
        .select_related("account")
        .first()
    )
    if session is None:
        return None
    moment = now()
    idle_limit = session.last_seen_at + timedelta(minutes=settings.session_idle_minutes)
    if session.expires_at <= moment or idle_limit <= moment:
        await LoginSession.filter(id=session.id).update(ended_at=moment)
        return None
    if moment - session.last_seen_at > timedelta(minutes=1):  # one write a minute at most
        await LoginSession.filter(id=session.id).update(last_seen_at=moment)
    return session


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
    rows = await Access.filter(account_id=account.id).values(
        "id", "establishment_id", "role", "document_kinds", "establishment__company_id"
    )
    return Viewer(
        id=account.id,
        email=account.email,
        email_verified=account.email_verified_at is not None,
        is_staff=account.is_staff,
        accesses=[
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
