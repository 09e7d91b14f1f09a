"""What the policy decides about rows of the test database, asked one object at a time.

Tests of the mechanism (lists filtered in SQL, null fields for hidden kinds, downloads
re-checked) take their expectations from here instead of restating today's rules: what each
persona may do is asserted by policies/cases/*.yaml and policies/MATRIX.md only, so a
reviewed policy change (the walk-throughs of policies/README.md) passes these tests as is.
"""

from __future__ import annotations

from models.accounts import Account
from models.enrollments import Enrollment
from models.enums import DocumentKind
from policies.engine import Policy, Viewer
from services.login_sessions import viewer_for_account


async def viewer_for(email: str) -> Viewer:
    """The viewer a request of this account would have (accesses read fresh)."""
    return await viewer_for_account(await Account.get(email=email))


async def visible_kinds(policy: Policy, email: str, enrollment_id: int) -> list[str]:
    """The document kinds the policy lets `email` read on the enrollment, sorted."""
    viewer = await viewer_for(email)
    enrollment = await Enrollment.get(id=enrollment_id)
    return sorted(
        kind.value
        for kind in DocumentKind
        if policy.field_allowed(viewer, "read_document", enrollment, kind.value)
    )


async def readable_enrollments(policy: Policy, email: str) -> set[int]:
    """The ids of the enrollments `email` may read, each asked alone."""
    viewer = await viewer_for(email)
    return {e.id for e in await Enrollment.all() if policy.is_allowed(viewer, "read", e)}
