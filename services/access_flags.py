"""What the viewer may do to accesses and establishments, for a whole page at once (issue
17): CASE columns built from the policy's filters, one query per page, so a screen can show or
hide its buttons without a policy call per row. Each flag is what the mutation then does:
the policy's answer and the rule that an establishment keeps at least one admin."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from tortoise.expressions import Q, Subquery
from tortoise.functions import Count

from models.access import Access
from models.companies import Establishment
from models.enums import AccessRole
from policies.engine import Policy, Viewer
from services.history import _flag, any_of


@dataclass(frozen=True)
class AccessFlags:
    can_revoke: bool = False
    can_demote: bool = False


def _last_admin() -> Q:
    """The only admin access of its establishment (removing or lowering it is CONFLICT)."""
    alone = (
        Access.filter(role=AccessRole.ADMIN.value)
        .annotate(admins=Count("id"))
        .group_by("establishment_id")
        .filter(admins__lte=1)
        .values("establishment_id")
    )
    return Q(role=AccessRole.ADMIN.value, establishment_id__in=Subquery(alone))


async def access_flags(
    policy: Policy, viewer: Viewer | None, access_ids: Sequence[int]
) -> dict[int, AccessFlags]:
    """`revokeAccess` and lowering to STANDARD with `updateAccess`, access by access."""
    found = {i: AccessFlags() for i in access_ids}
    if not access_ids:
        return found
    revoke = any_of(policy.filter(viewer, "revoke", Access)) & ~_last_admin()
    demote = (
        any_of(policy.filter(viewer, "update", Access))
        & any_of(policy.filter(viewer, "demote", Access))
        & Q(role=AccessRole.ADMIN.value)
        & ~_last_admin()
    )
    rows = (
        await Access.filter(id__in=list(access_ids))
        .annotate(can_revoke=_flag(revoke), can_demote=_flag(demote))
        .values("id", "can_revoke", "can_demote")
    )
    for row in rows:
        found[row["id"]] = AccessFlags(str(row["can_revoke"]) == "1", str(row["can_demote"]) == "1")
    return found


async def manage_flags(
    policy: Policy, viewer: Viewer | None, establishment_ids: Sequence[int]
) -> dict[int, bool]:
    """Whether the viewer may grant, change and revoke accesses of each establishment."""
    found = dict.fromkeys(establishment_ids, False)
    if not establishment_ids:
        return found
    rows = (
        await Establishment.filter(id__in=list(establishment_ids))
        .annotate(can=_flag(policy.filter(viewer, "manage_accesses", Establishment)))
        .values("id", "can")
    )
    for row in rows:
        found[row["id"]] = str(row["can"]) == "1"
    return found
