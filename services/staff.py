"""Back-office accounts, created on the command line only."""

from __future__ import annotations

from datetime import UTC, datetime

from models.accounts import Account
from services.emails import normalize_email
from services.passwords import check_password_rules, hash_password


async def create_staff(email: str, password: str, full_name: str = "") -> Account:
    """Create a staff account, or promote and re-password an existing one. The operator
    on the command line vouches for the address: the account counts as verified."""
    address = normalize_email(email)
    check_password_rules(password)
    account = await Account.get_or_none(email=address)
    if account is None:
        return await Account.create(
            email=address,
            password_hash=hash_password(password),
            full_name=full_name,
            is_staff=True,
            email_verified_at=datetime.now(UTC),
        )
    account.is_staff = True
    account.email_verified_at = account.email_verified_at or datetime.now(UTC)
    account.password_hash = hash_password(password)
    if full_name:
        account.full_name = full_name
    await account.save()
    return account
