"""Reading the audit log of an establishment page by page (newest first, keyset cursors).

Who may read it is decided by the policy (`read_audit_log`); the filters and the cursor are
applied in SQL, so a page costs one query whatever the size of the log.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from tortoise.expressions import Q

from models.audit import AuditEntry
from models.companies import Establishment
from policies.engine import Policy, Viewer
from services.errors import BadUserInput, NotFound, Reason

DEFAULT_PAGE = 50
MAX_PAGE = 500
MAX_ID = 2**31 - 1


@dataclass(frozen=True)
class AuditFilter:
    """What a reader narrows the log to. Every criterion given must hold (AND)."""

    actions: Sequence[str] | None = None
    actor_email: str | None = None
    since: datetime | None = None
    until: datetime | None = None


@dataclass(frozen=True)
class AuditPage:
    """One page of entries, newest first, and whether older ones follow."""

    entries: list[AuditEntry]
    has_next_page: bool


def encode_cursor(entry: AuditEntry) -> str:
    """The entry's place in the log: its time and id (ties on time broken by id)."""
    raw = json.dumps([entry.at.isoformat(), entry.id])
    return base64.urlsafe_b64encode(raw.encode()).decode()


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    """(at, id) of a cursor this API gave; BAD_USER_INPUT otherwise."""
    try:
        moment, number = json.loads(base64.urlsafe_b64decode(cursor.encode()).decode())
        row_id = int(number)
        if not 0 < row_id <= MAX_ID:  # a forged id no column can hold must not reach SQL
            raise ValueError(row_id)
        return datetime.fromisoformat(str(moment)), row_id
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError, ArithmeticError):
        raise BadUserInput(
            "This cursor is not valid.", field="after", reason=Reason.INVALID_CURSOR
        ) from None


async def authorize_audit_log(
    policy: Policy, viewer: Viewer | None, establishment_id: int, size: int, max_size: int
) -> None:
    """Check a page size, then that the viewer may read this establishment's audit log
    (NOT_FOUND when they may not even see it, FORBIDDEN otherwise)."""
    if size < 1 or size > max_size:
        raise BadUserInput(
            "first must be between 1 and {max}.",
            field="first",
            max=max_size,
            reason=Reason.OUT_OF_RANGE,
        )
    establishment = await Establishment.get_or_none(id=establishment_id)
    if establishment is None:
        raise NotFound("Establishment not found.")
    policy.authorize(
        viewer,
        "read_audit_log",
        establishment,
        what="Establishment",
        message="Only the admins of this establishment may read its audit log.",
    )


async def audit_log_page(
    policy: Policy,
    viewer: Viewer,
    establishment_id: int,
    criteria: AuditFilter,
    first: int | None = None,
    after: str | None = None,
) -> AuditPage:
    """A page of an establishment's audit log, newest first (admins and staff)."""
    size = DEFAULT_PAGE if first is None else first
    await authorize_audit_log(policy, viewer, establishment_id, size, MAX_PAGE)
    query = AuditEntry.filter(establishment_id=establishment_id)
    if criteria.actions is not None:
        query = query.filter(action__in=list(criteria.actions))
    if criteria.actor_email is not None:
        query = query.filter(actor_email=criteria.actor_email.strip().lower())
    if criteria.since is not None:
        query = query.filter(at__gte=criteria.since)
    if criteria.until is not None:
        query = query.filter(at__lt=criteria.until)
    if after:
        moment, row_id = decode_cursor(after)
        query = query.filter(Q(at__lt=moment) | Q(at=moment, id__lt=row_id))
    rows = await query.order_by("-at", "-id").limit(size + 1)
    return AuditPage(entries=rows[:size], has_next_page=len(rows) > size)
