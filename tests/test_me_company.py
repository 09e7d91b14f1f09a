"""`me { company { establishments } accesses { … } }`: a new company account finds the sites
it may order for, and everyone their own accesses (issue 17)."""

from __future__ import annotations

from models.enums import AccessRole, DocumentKind
from tests import factories
from tests.graphql import gql

ME = """
{ me {
  company { name establishments { name } }
  accesses { role documentKinds updatedAt establishment { name } }
} }
"""


async def test_a_new_company_account_finds_its_establishments(client):
    """The one it registered at sign-up (rule 9: it books for it before anyone has an
    access); not the other sites of the company, to which it is a stranger until it has an
    access (the policy decides both)."""
    acme = await factories.company("Acme")
    newcomer = await factories.account("new@acme.example", company=acme)
    paris = await factories.establishment(acme, "Acme Paris")
    paris.registered_by_id = newcomer.id
    await paris.save()
    await factories.establishment(acme, "Acme Lyon")
    await factories.establishment(name="Elsewhere")
    data = (await gql(client, ME, token=await factories.token_for(newcomer))).ok()["me"]
    assert data["company"] == {"name": "Acme", "establishments": [{"name": "Acme Paris"}]}
    assert data["accesses"] == []


async def test_my_accesses_list_role_and_kinds(client):
    site = await factories.establishment(name="Boréal Nantes")
    person = await factories.account(kind=factories.AccountKind.INDIVIDUAL)
    await factories.access(person, site, AccessRole.STANDARD, [DocumentKind.EVALUATION])
    data = (await gql(client, ME, token=await factories.token_for(person))).ok()["me"]
    assert data["company"] is None
    [access] = data["accesses"]
    assert access["role"] == "STANDARD"
    assert access["documentKinds"] == ["EVALUATION"]
    assert access["establishment"] == {"name": "Boréal Nantes"}
    assert access["updatedAt"]
