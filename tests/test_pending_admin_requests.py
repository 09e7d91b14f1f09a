"""`Establishment.pendingAdminRequests`: the pending requests for admin rights on an
establishment, shown to its admins and staff (rule 9), filtered in SQL by the policy."""

from __future__ import annotations

from models.access import AdminAccessRequest
from models.enums import AccessRole, DocumentKind, RequestStatus
from tests import factories
from tests.graphql import gql

SITES = """
{ establishments { name pendingAdminRequests { id status message account { email } } } }"""
ONE = """
query($id: ID!) { establishment(id: $id) { pendingAdminRequests { id } invitations { id } } }"""


async def test_admins_and_staff_see_pending_requests_of_their_establishments(client):
    acme = await factories.company("Acme")
    paris = await factories.establishment(acme, "Acme Paris")
    lyon = await factories.establishment(acme, "Acme Lyon")
    boreal = await factories.establishment(await factories.company("Boreal"), "Boreal Nantes")
    claire = await factories.account("claire@acme.example")
    samuel = await factories.account("samuel@acme.example")
    remi = await factories.account("remi@acme.example")
    sophie = await factories.account("sophie@espace.example", is_staff=True)
    await factories.access(claire, paris, AccessRole.ADMIN)
    await factories.access(claire, lyon, AccessRole.STANDARD, [DocumentKind.INVOICE_COPY])
    await factories.access(samuel, paris, AccessRole.STANDARD, [DocumentKind.INVOICE_COPY])
    pending = await AdminAccessRequest.create(account=remi, establishment=paris, message="Hi")
    await AdminAccessRequest.create(
        account=samuel, establishment=paris, status=RequestStatus.REJECTED.value
    )
    on_lyon = await AdminAccessRequest.create(account=remi, establishment=lyon)
    on_boreal = await AdminAccessRequest.create(account=remi, establishment=boreal)

    result = await gql(client, SITES, token=await factories.token_for(claire))
    assert result.data is not None
    listed = result.data["establishments"]
    sites = {site["name"]: site for site in listed}
    assert sites["Acme Paris"]["pendingAdminRequests"] == [
        {
            "id": str(pending.id),
            "status": "PENDING",
            "message": "Hi",
            "account": {"email": "remi@acme.example"},
        }
    ]
    # Claire has only a standard access to Lyon: null with FORBIDDEN there.
    assert sites["Acme Lyon"]["pendingAdminRequests"] is None
    lyon_index = listed.index(sites["Acme Lyon"])
    assert result.codes == ["FORBIDDEN"]
    assert result.code_at("establishments", lyon_index, "pendingAdminRequests") == "FORBIDDEN"

    result = await gql(client, SITES, token=await factories.token_for(sophie))
    by_site = {s["name"]: s["pendingAdminRequests"] for s in result.ok()["establishments"]}
    assert [r["id"] for r in by_site["Acme Paris"]] == [str(pending.id)]
    assert [r["id"] for r in by_site["Acme Lyon"]] == [str(on_lyon.id)]
    assert [r["id"] for r in by_site["Boreal Nantes"]] == [str(on_boreal.id)]

    standard = await gql(client, ONE, {"id": paris.id}, token=await factories.token_for(samuel))
    assert standard.code_at("establishment", "pendingAdminRequests") == "FORBIDDEN"
    assert standard.code_at("establishment", "invitations") == "FORBIDDEN"
