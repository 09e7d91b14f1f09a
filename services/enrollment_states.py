"""The status machine of an enrollment (rule 13): which moves it allows, in which statuses a
postponement can be asked for. Business state, not authorization: who may ask is the policy's."""

from __future__ import annotations

from models.enums import EnrollmentStatus

S = EnrollmentStatus
# The moves the status machine allows (rule 13). A second partial invoice keeps the status.
TRANSITIONS: dict[EnrollmentStatus, frozenset[EnrollmentStatus]] = {
    S.PENDING_VALIDATION: frozenset({S.VALIDATED, S.CANCELLED}),
    S.VALIDATED: frozenset({S.PARTIALLY_INVOICED, S.INVOICED, S.CANCELLED}),
    S.PARTIALLY_INVOICED: frozenset({S.PARTIALLY_INVOICED, S.INVOICED, S.CANCELLED}),
    S.INVOICED: frozenset(),
    S.CANCELLED: frozenset(),
}
# Statuses in which a postponement can still be asked for and granted.
POSTPONABLE = frozenset({S.PENDING_VALIDATION, S.VALIDATED, S.PARTIALLY_INVOICED})

# Statuses from which an enrollment can still be cancelled.
CANCELLABLE = frozenset(s for s, moves in TRANSITIONS.items() if S.CANCELLED in moves)
