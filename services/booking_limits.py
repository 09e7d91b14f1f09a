"""Limits on what one account may hold in booking requests, so that nobody hoards seats.

Counted over the requests the account placed online that still wait for staff validation
(PENDING_VALIDATION, channel WEB): how many, and how many seats they hold. The limits are
settings, lower while the account's e-mail is not verified; orders staff record offline do
not count. Over a limit the booking is refused with CONFLICT, reason BOOKING_LIMIT.
"""

from __future__ import annotations

from models.accounts import Account
from models.enrollments import Enrollment
from models.enums import Channel, EnrollmentStatus
from policies.engine import Viewer
from services.errors import Conflict
from settings import get_settings


async def check(viewer: Viewer, account: Account, seats: int) -> None:
    """CONFLICT (reason BOOKING_LIMIT) when booking `seats` more would pass a limit. Call in
    the transaction that books."""
    settings = get_settings()
    if viewer.email_verified:
        max_requests = settings.booking_max_pending_requests
        max_seats = settings.booking_max_pending_seats
    else:
        max_requests = settings.booking_max_pending_requests_unverified
        max_seats = settings.booking_max_pending_seats_unverified
    held = await Enrollment.filter(
        placed_by_id=account.id,
        status=EnrollmentStatus.PENDING_VALIDATION.value,
        channel=Channel.WEB.value,
    ).values_list("seats", flat=True)
    pending_requests, pending_seats = len(held), sum(int(n) for n in held)
    hint = "" if viewer.email_verified else " Verify your e-mail address to book more."
    if pending_requests + 1 > max_requests:
        raise Conflict(
            f"You already have {pending_requests} booking request(s) waiting for validation, "
            f"the most allowed.{hint}",
            reason="BOOKING_LIMIT",
            limit=max_requests,
            pendingRequests=pending_requests,
        )
    if pending_seats + seats > max_seats:
        raise Conflict(
            f"Your booking requests waiting for validation may hold at most {max_seats} "
            f"seat(s); {pending_seats} are held already.{hint}",
            reason="BOOKING_LIMIT",
            limit=max_seats,
            pendingSeats=pending_seats,
        )
