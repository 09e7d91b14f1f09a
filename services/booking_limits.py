"""Limits on what one account may hold in booking requests, so that nobody hoards seats.

Counted over the requests the account placed online that still wait for staff validation
(PENDING_VALIDATION, channel WEB): how many, and how many seats they hold. The limits are
settings, lower while the account's e-mail is not verified; orders staff record offline do
not count. Over a limit the booking is refused with CONFLICT, reason BOOKING_LIMIT.
"""

from __future__ import annotations

from typing import cast

from models.accounts import Account
from models.enrollments import Enrollment
from models.enums import Channel, EnrollmentStatus
from policies.engine import Viewer
from services.errors import N_, Conflict, Reason
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
    # Tortoise types a flat values_list as tuples; it gives the values themselves.
    held = cast(
        list[int],
        await Enrollment.filter(
            placed_by_id=account.id,
            status=EnrollmentStatus.PENDING_VALIDATION.value,
            channel=Channel.WEB.value,
        ).values_list("seats", flat=True),
    )
    pending_requests, pending_seats = len(held), sum(int(n) for n in held)
    verified = viewer.email_verified
    if pending_requests + 1 > max_requests:
        raise Conflict(
            N_(
                "You already have {pendingRequests} booking request(s) waiting for validation, "
                "the most allowed."
            )
            if verified
            else N_(
                "You already have {pendingRequests} booking request(s) waiting for "
                "validation, the most allowed. Verify your e-mail address to book more."
            ),
            reason=Reason.BOOKING_LIMIT,
            limit=max_requests,
            pendingRequests=pending_requests,
        )
    if pending_seats + seats > max_seats:
        raise Conflict(
            N_(
                "Your booking requests waiting for validation may hold at most {limit} "
                "seat(s); {pendingSeats} are held already."
            )
            if verified
            else N_(
                "Your booking requests waiting for validation may hold at most {limit} "
                "seat(s); {pendingSeats} are held already. Verify your e-mail address to "
                "book more."
            ),
            reason=Reason.BOOKING_LIMIT,
            limit=max_seats,
            pendingSeats=pending_seats,
        )
