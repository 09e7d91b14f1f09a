"""`Establishment.viewerCanManageAccesses`, `Access.viewerCanRevoke / viewerCanDemote` say
what the mutations then do, for every demo persona (issue 17)."""

from __future__ import annotations

from commands.demo_data import seed_demo
from tests.demo_personas import demo_tokens
from tests.graphql import gql

SITES = """
{ establishments {
  id viewerCanManageAccesses
  accesses { id role viewerCanRevoke viewerCanDemote account { email } }
} }
"""
GRANT = """mutation($site: ID!, $email: String!) {
  grantAccess(establishmentId: $site, email: $email, role: STANDARD) { id }
}"""
DEMOTE = "mutation($id: ID!) { updateAccess(accessId: $id, role: STANDARD) { role } }"
PROMOTE = "mutation($id: ID!) { updateAccess(accessId: $id, role: ADMIN) { role } }"
REVOKE = "mutation($id: ID!) { revokeAccess(accessId: $id) { id } }"


async def _sites(client, token) -> list[dict]:
    result = await gql(client, SITES, token=token)
    assert result.data is not None
    return result.data["establishments"]


async def test_viewer_can_flags_of_accesses_say_what_the_mutations_do(client):
    tokens = await demo_tokens()
    checked = {True: 0, False: 0}
    for name, token in tokens.items():
        for site in await _sites(client, token):
            granted = await gql(
                client, GRANT, {"site": site["id"], "email": f"new.{name}@example.com"}, token
            )
            assert (not granted.errors) == site["viewerCanManageAccesses"], (name, granted.errors)
            checked[site["viewerCanManageAccesses"]] += 1
        for site in await _sites(client, token):
            for access in site["accesses"] or []:
                demoted = await gql(client, DEMOTE, {"id": access["id"]}, token)
                if access["role"] == "ADMIN":
                    assert (not demoted.errors) == access["viewerCanDemote"], (name, access)
                    checked[access["viewerCanDemote"]] += 1
                    if not demoted.errors:  # put it back
                        (await gql(client, PROMOTE, {"id": access["id"]}, token)).ok()
                else:
                    assert access["viewerCanDemote"] is False
        for site in await _sites(client, token):
            for access in site["accesses"] or []:
                revoked = await gql(client, REVOKE, {"id": access["id"]}, token)
                assert (not revoked.errors) == access["viewerCanRevoke"], (name, access, revoked)
                checked[access["viewerCanRevoke"]] += 1
        await seed_demo()  # the demo accesses back for the next persona
    assert checked[True] > 3 and checked[False] > 3
