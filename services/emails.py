"""E-mail addresses: one normal form, used for logins and for matching history (rule 4)."""

from __future__ import annotations

import re

from services.errors import BadUserInput, Reason

# Deliberately simple: one @, no spaces, a dot in the domain. Deliverability is proven by
# the mails we send, not by a regex.
_ADDRESS = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")


def normalize_email(value: str, field: str = "email") -> str:
    """Trim and lower-case an address; BAD_USER_INPUT if it is not one."""
    address = (value or "").strip().lower()
    if len(address) > 254 or not _ADDRESS.match(address):
        raise BadUserInput(
            "This is not a valid e-mail address.", field=field, reason=Reason.INVALID_EMAIL
        )
    return address
