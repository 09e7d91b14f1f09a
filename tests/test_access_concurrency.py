"""Every establishment keeps an admin, even when its two admins remove each other at the same
moment (rule 8). PostgreSQL only: it is where requests really write in parallel."""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest

from models.access import Access
from models.enums import AccessRole
from tests import factories
from tests.conftest import IS_POSTGRES
from tests.graphql import gql

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not IS_POSTGRES, reason="needs DATABASE_URL to point at PostgreSQL"),
]

REVOKE = "mutation($id: ID!) { revokeAccess(accessId: $id) { id } }"
ROUNDS = 40


async def test_two_admins_revoking_each_other_at_once_leave_one_admin(client):
    company = await factories.company("Acme")
    outcomes: Counter[tuple[str, ...]] = Counter()
    for _ in range(ROUNDS):
        site = await factories.establishment(company)
        anna, boris = await factories.account(), await factories.account()
        anna_access = await factories.access(anna, site, AccessRole.ADMIN)
        boris_access = await factories.access(boris, site, AccessRole.ADMIN)
        anna_token, boris_token = await factories.token_for(anna), await factories.token_for(boris)

        results = await asyncio.gather(
            gql(client, REVOKE, {"id": boris_access.id}, token=anna_token),
            gql(client, REVOKE, {"id": anna_access.id}, token=boris_token),
        )

        admins = await Access.filter(establishment=site, role=AccessRole.ADMIN.value).count()
        assert admins == 1, [r.body for r in results]
        codes = tuple(sorted(r.codes[0] if r.codes else "OK" for r in results))
        # One removal wins; the other is refused, as a conflict when both requests were
        # authorized before either wrote, or as "no longer yours to see" when they ran in turn.
        assert codes in {("CONFLICT", "OK"), ("NOT_FOUND", "OK")}, codes
        outcomes[codes] += 1
    # The requests really overlapped: some were both authorized before the first one wrote.
    assert outcomes[("CONFLICT", "OK")] > 0, outcomes
