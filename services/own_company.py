"""What a person finds of their own company and accesses (issue 17): a new company account
sees the establishments it may enrol for before anyone gave it an access (rule 9).

Both lists are filtered in SQL by the policy, for whoever is looking (the person, an admin
looking at a member, staff)."""

from __future__ import annotations

from models.access import Access
from models.companies import Company, Establishment
from policies.engine import Policy, Viewer
from services.history import any_of


async def company_of(account_company_id: int | None) -> Company | None:
    if account_company_id is None:
        return None
    return await Company.filter(id=account_company_id).first()


async def establishments_of_company(
    policy: Policy, viewer: Viewer | None, company_id: int
) -> list[Establishment]:
    """The company's establishments this viewer may read or enrol for, by name."""
    allowed = any_of(
        policy.filter(viewer, "read", Establishment), policy.filter(viewer, "enroll", Establishment)
    )
    return (
        await Establishment.filter(allowed, company_id=company_id)
        .select_related("company")
        .order_by("name", "id")
    )


async def accesses_of_account(
    policy: Policy, viewer: Viewer | None, account_id: int
) -> list[Access]:
    """The accesses of this account that the viewer may read, by establishment name."""
    return (
        await Access.filter(policy.filter(viewer, "read", Access), account_id=account_id)
        .select_related("account", "establishment__company")
        .order_by("establishment__name", "id")
    )


async def readable_establishments(
    policy: Policy, viewer: Viewer | None, establishment_ids: list[int]
) -> dict[int, Establishment | None]:
    """These establishments, those the viewer may read (None for the others), one query."""
    found: dict[int, Establishment | None] = dict.fromkeys(establishment_ids)
    rows = await Establishment.filter(
        policy.filter(viewer, "read", Establishment), id__in=list(set(establishment_ids))
    ).select_related("company")
    for row in rows:
        found[row.id] = row
    return found
