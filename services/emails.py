"""E-mail addresses: one normal form, used for logins and for matching history (rule 4).

Syntax is checked by `email-validator` (RFC 5321/5322 with the usual restrictions: no quoted
local parts, no comments, no IP literals, no special-use domains); deliverability is proven
by the mails we send, not by a DNS lookup here.
"""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email

from services.errors import BadUserInput, Reason
from services.text import check_storable

MAX_LENGTH = 254


def normalize_email(value: str, field: str = "email") -> str:
    """Trim and lower-case an address; BAD_USER_INPUT naming `field` if it is not one."""
    check_storable(value or "", field)
    address = (value or "").strip()
    if not address or len(address) > MAX_LENGTH:
        raise BadUserInput(
            "This is not a valid e-mail address.", field=field, reason=Reason.INVALID_EMAIL
        )
    try:
        valid = validate_email(address, check_deliverability=False)
    except EmailNotValidError as error:
        raise BadUserInput(
            "This is not a valid e-mail address.", field=field, reason=Reason.INVALID_EMAIL
        ) from error
    return valid.normalized.lower()
