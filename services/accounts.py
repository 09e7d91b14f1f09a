"""Accounts: sign-up, sign-in, passwords, e-mail change, accounts created offline (rules 1-5)."""

from __future__ import annotations

from models.accounts import Account
from models.enums import AccountKind, TokenPurpose
from services.emails import normalize_email
from services.mail import queue_mail
from services.tokens import issue_token
from services.training_managers import grant_known_training_manager_accesses
from settings import get_settings


def password_link(token: str) -> str:
    """The link of a set-password or reset e-mail, built from PUBLIC_URL, never the request."""
    return f"{get_settings().public_url.rstrip('/')}/reset-password?token={token}"


async def ensure_account(
    email: str,
    *,
    full_name: str = "",
    kind: AccountKind = AccountKind.COMPANY,
    reason: str = "",
) -> tuple[Account, bool]:
    """The account of `email`, created when unknown (rule 2).

    A new account has no password: it gets a one-time link, valid 7 days, to choose one.
    Call inside the transaction of the change that needs the account. Returns
    (account, created).
    """
    address = normalize_email(email)
    account = await Account.get_or_none(email=address)
    if account is not None:
        return account, False
    account = await Account.create(email=address, full_name=full_name, kind=kind.value)
    await grant_known_training_manager_accesses(account)
    token = await issue_token(account, TokenPurpose.SET_PASSWORD)
    await queue_mail(
        account.email,
        "set_password",
        account.language,
        link=password_link(token),
        reason=reason,
    )
    return account, True
