"""One-time tokens sent by e-mail (password reset, first password, e-mail verification,
e-mail change confirmation). Stored hashed."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

from models.accounts import Account, OneTimeToken
from models.enums import TokenPurpose
from services.login_sessions import hash_token

LIFETIMES = {
    TokenPurpose.RESET_PASSWORD: timedelta(minutes=30),
    TokenPurpose.SET_PASSWORD: timedelta(days=7),
    TokenPurpose.VERIFY_EMAIL: timedelta(hours=48),
    TokenPurpose.CONFIRM_EMAIL_CHANGE: timedelta(hours=48),
}


async def issue_token(account: Account, purpose: TokenPurpose, *, email: str | None = None) -> str:
    """Create a single-use token and return it in clear (only the hash is stored).

    `email` is the address the link proves (the one it is mailed to) for the e-mail
    verification and e-mail change links.
    """
    token = secrets.token_urlsafe(32)
    await OneTimeToken.create(
        account=account,
        purpose=purpose.value,
        email=email,
        token_hash=hash_token(token),
        expires_at=datetime.now(UTC) + LIFETIMES[purpose],
    )
    return token


async def claim_token(token: str, purposes: tuple[TokenPurpose, ...]) -> OneTimeToken | None:
    """Use a token once: returns its row (with its account), or None if unknown, used or
    expired.

    The compare-and-set update makes two concurrent uses of one token succeed once.
    """
    moment = datetime.now(UTC)
    row = (
        await OneTimeToken.filter(
            token_hash=hash_token(token),
            purpose__in=[p.value for p in purposes],
            used_at=None,
            expires_at__gt=moment,
        )
        .select_related("account")
        .first()
    )
    if row is None:
        return None
    claimed = await OneTimeToken.filter(id=row.id, used_at=None).update(used_at=moment)
    if not claimed:
        return None
    return row


async def consume_token(token: str, purposes: tuple[TokenPurpose, ...]) -> Account | None:
    """Use a token once: returns its account, or None if unknown, used or expired."""
    row = await claim_token(token, purposes)
    return row.account if row is not None else None


async def revoke_tokens(account_id: int, purposes: tuple[TokenPurpose, ...]) -> int:
    """Mark every unused token of an account as used (after a password is set)."""
    return await OneTimeToken.filter(
        account_id=account_id, purpose__in=[p.value for p in purposes], used_at=None
    ).update(used_at=datetime.now(UTC))
