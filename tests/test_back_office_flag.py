"""`Account.viewerCanUseBackOffice`: the front end shows the back office from it (not from a
role test). It is the policy's `staff_back_office` answer for the viewer's own account, the
same answer the back office's queries then give, and false on anyone else's account."""

from __future__ import annotations

from tests import factories
from tests.graphql import gql

ME = "{ me { viewerCanUseBackOffice } }"
ADMIN_REQUESTS = "{ adminAccessRequests { id } }"


async def test_the_flag_is_what_the_back_office_queries_then_answer(client):
    for person in (
        await factories.account("staff@espace.example", is_staff=True),
        await factories.account("customer@example.com"),
    ):
        token = await factories.token_for(person)
        flag = (await gql(client, ME, token=token)).ok()["me"]["viewerCanUseBackOffice"]
        refused = (await gql(client, ADMIN_REQUESTS, token=token)).code_at("adminAccessRequests")
        assert flag == (refused is None), (person.email, flag, refused)


async def test_the_flag_is_false_on_another_persons_account(client):
    staff = await factories.account("staff@espace.example", is_staff=True)
    site = await factories.establishment()
    await factories.access(staff, site)
    token = await factories.token_for(staff)
    query = (
        "query($id: ID!) { establishment(id: $id) "
        "{ accesses { account { email viewerCanUseBackOffice } } } }"
    )
    other = await factories.account("other@example.com")
    await factories.access(other, site)
    accesses = (await gql(client, query, {"id": str(site.id)}, token=token)).ok()
    flags = {
        a["account"]["email"]: a["account"]["viewerCanUseBackOffice"]
        for a in accesses["establishment"]["accesses"]
    }
    assert flags == {"staff@espace.example": True, "other@example.com": False}
