"""Granting, changing and removing accesses, and asking staff for admin rights (rules 2, 6-9).

Claire and Bruno administer Acme Paris; Samuel has a STANDARD access there; Rémi places
orders; Sophie is staff.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import pytest

from models.access import Access, AdminAccessRequest
from models.accounts import Account
from models.audit import AuditEntry
from models.companies import Establishment
from models.enums import AccessRole, DocumentKind, Language
from models.mail import OutboxMail
from services import access as access_service
from services.errors import BadUserInput, Conflict
from services.login_sessions import viewer_for_account
from tests import factories
from tests.graphql import gql

GRANT = """
mutation($site: ID!, $email: String!, $role: AccessRole!, $kinds: [DocumentKind!]) {
  grantAccess(establishmentId: $site, email: $email, role: $role, documentKinds: $kinds) {
    id role documentKinds account { email } establishment { name }
  }
}"""
UPDATE = """
mutation($id: ID!, $role: AccessRole!, $kinds: [DocumentKind!]) {
  updateAccess(accessId: $id, role: $role, documentKinds: $kinds) { id role documentKinds }
}"""
REVOKE = "mutation($id: ID!) { revokeAccess(accessId: $id) { id role account { email } } }"
AUDIT = """
query($site: ID!) {
  auditLog(establishmentId: $site) { action actorEmail targetType targetId before after }
}"""
SITES = "{ establishments { name accesses { account { email } role } } }"


@dataclass
class Acme:
    paris: Establishment
    claire: Account
    bruno: Account
    samuel: Account
    remi: Account
    sophie: Account
    claire_access: Access
    bruno_access: Access
    samuel_access: Access
    tokens: dict[str, str]


@pytest.fixture
async def acme() -> Acme:
    paris = await factories.establishment(await factories.company("Acme"), "Acme Paris")
    claire = await factories.account("claire@acme.example", full_name="Claire Admin")
    bruno = await factories.account("bruno@acme.example")
    samuel = await factories.account("samuel@acme.example")
    remi = await factories.account("remi@acme.example", language=Language.EN.value)
    sophie = await factories.account("sophie@espace.example", is_staff=True)
    people = {"claire": claire, "bruno": bruno, "samuel": samuel, "remi": remi, "sophie": sophie}
    return Acme(
        paris=paris,
        claire=claire,
        bruno=bruno,
        samuel=samuel,
        remi=remi,
        sophie=sophie,
        claire_access=await factories.access(claire, paris, AccessRole.ADMIN),
        bruno_access=await factories.access(bruno, paris, AccessRole.ADMIN),
        samuel_access=await factories.access(
            samuel, paris, AccessRole.STANDARD, [DocumentKind.INVOICE_COPY]
        ),
        tokens={name: await factories.token_for(p) for name, p in people.items()},
    )


async def test_granting_an_unknown_email_mails_an_invitation_and_creates_no_account(client, acme):
    result = await gql(
        client,
        GRANT,
        {
            "site": acme.paris.id,
            "email": "  Nadia@Acme.example ",
            "role": "STANDARD",
            "kinds": ["TRAINING_AGREEMENT", "INVOICE_COPY"],
        },
        token=acme.tokens["claire"],
    )
    assert result.ok()["grantAccess"] is None  # nothing to show: an invitation was mailed

    assert not await Account.exists(email="nadia@acme.example")
    mails = await OutboxMail.filter(to="nadia@acme.example")
    assert [m.template for m in mails] == ["invitation"]
    assert "https://espace.test/accept-invitation?token=" in mails[0].text_body
    assert "Acme Paris" in mails[0].text_body

    log = (await gql(client, AUDIT, {"site": acme.paris.id}, token=acme.tokens["claire"])).ok()
    assert log["auditLog"][0] == {
        "action": "invitation.sent",
        "actorEmail": "claire@acme.example",
        "targetType": "Invitation",
        "targetId": log["auditLog"][0]["targetId"],
        "before": None,
        "after": {
            "email": "nadia@acme.example",
            "role": "STANDARD",
            "documentKinds": ["INVOICE_COPY", "TRAINING_AGREEMENT"],
        },
    }


async def test_granting_a_known_account_sends_no_password_mail(client, acme):
    result = await gql(
        client,
        GRANT,
        {"site": acme.paris.id, "email": "remi@acme.example", "role": "ADMIN", "kinds": []},
        token=acme.tokens["bruno"],
    )
    assert result.ok()["grantAccess"]["role"] == "ADMIN"
    assert await OutboxMail.filter(to="remi@acme.example").count() == 0


async def test_granting_twice_is_a_conflict(client, acme):
    variables = {"site": acme.paris.id, "email": "samuel@acme.example", "role": "ADMIN"}
    result = await gql(client, GRANT, variables, token=acme.tokens["claire"])
    assert result.codes == ["CONFLICT"]
    assert (await Access.get(id=acme.samuel_access.id)).role == "STANDARD"


async def test_document_kinds_are_each_listed_once(client, acme):
    kinds = ["INVOICE_COPY", "INVOICE_COPY"]
    for query, variables in [
        (GRANT, {"site": acme.paris.id, "email": "new@acme.example", "role": "STANDARD"}),
        (UPDATE, {"id": acme.samuel_access.id, "role": "STANDARD"}),
    ]:
        result = await gql(
            client, query, {**variables, "kinds": kinds}, token=acme.tokens["claire"]
        )
        assert result.codes == ["BAD_USER_INPUT"]
        assert "listed twice" in result.errors[0]["message"]
    assert not await Account.exists(email="new@acme.example")
    assert (await Access.get(id=acme.samuel_access.id)).document_kinds == ["INVOICE_COPY"]
    assert await AuditEntry.all().count() == 0


async def test_only_the_eight_document_kinds_may_be_given(client, policy, acme):
    query = (
        f'mutation {{ grantAccess(establishmentId: "{acme.paris.id}", email: "new@acme.example", '
        "role: STANDARD, documentKinds: [PAYSLIP]) { id } }"
    )
    result = await gql(client, query, token=acme.tokens["claire"])
    assert result.codes == ["BAD_USER_INPUT"]
    # Sent in variables, as front ends do, it is refused the same way.
    variables = {"id": acme.samuel_access.id, "role": "STANDARD", "kinds": ["PAYSLIP"]}
    result = await gql(client, UPDATE, variables, token=acme.tokens["claire"])
    assert result.codes == ["BAD_USER_INPUT"]
    # The service refuses it too, for callers other than the API.
    claire = access_service.Actor(await viewer_for_account(acme.claire), acme.claire)
    with pytest.raises(BadUserInput, match="PAYSLIP"):
        await access_service.update_access(
            policy, claire, acme.samuel_access.id, AccessRole.STANDARD, ["PAYSLIP"]
        )
    assert not await Account.exists(email="new@acme.example")
    assert (await Access.get(id=acme.samuel_access.id)).document_kinds == ["INVOICE_COPY"]


async def test_an_admin_access_keeps_no_document_kind_list(client, acme):
    result = await gql(
        client,
        UPDATE,
        {"id": acme.samuel_access.id, "role": "ADMIN", "kinds": ["EVALUATION"]},
        token=acme.tokens["claire"],
    )
    assert result.ok()["updateAccess"] == {
        "id": str(acme.samuel_access.id),
        "role": "ADMIN",
        "documentKinds": [],
    }
    # Promoted, Samuel now sees who has an access.
    sites = (await gql(client, SITES, token=acme.tokens["samuel"])).ok()
    assert {a["account"]["email"] for a in sites["establishments"][0]["accesses"]} == {
        "claire@acme.example",
        "bruno@acme.example",
        "samuel@acme.example",
    }


async def test_an_admin_can_never_lower_or_remove_their_own_admin_access(client, acme):
    claire = acme.tokens["claire"]
    own = acme.claire_access.id
    demote = await gql(client, UPDATE, {"id": own, "role": "STANDARD", "kinds": []}, token=claire)
    assert demote.codes == ["FORBIDDEN"]
    revoke = await gql(client, REVOKE, {"id": own}, token=claire)
    assert revoke.codes == ["FORBIDDEN"]
    assert (await Access.get(id=own)).role == "ADMIN"
    # Keeping her own level is no change of rights, and is allowed.
    same = await gql(client, UPDATE, {"id": own, "role": "ADMIN", "kinds": []}, token=claire)
    assert same.ok()["updateAccess"]["role"] == "ADMIN"
    # Another admin may remove her (rule 8: an admin who leaves is removed by another).
    removed = await gql(client, REVOKE, {"id": own}, token=acme.tokens["bruno"])
    assert removed.ok()["revokeAccess"]["account"] == {"email": "claire@acme.example"}
    assert (await gql(client, SITES, token=claire)).ok() == {"establishments": []}


async def test_the_last_admin_of_an_establishment_stays_admin(client, policy, acme):
    """Bruno's request was authorized while he was still admin, but Claire removed him before
    it wrote: removing or lowering Claire, now the last admin, is a CONFLICT."""
    bruno_before = access_service.Actor(await viewer_for_account(acme.bruno), acme.bruno)
    result = await gql(client, REVOKE, {"id": acme.bruno_access.id}, token=acme.tokens["claire"])
    result.ok()

    with pytest.raises(Conflict, match="at least one admin"):
        await access_service.revoke_access(policy, bruno_before, acme.claire_access.id)
    with pytest.raises(Conflict, match="at least one admin"):
        await access_service.update_access(
            policy, bruno_before, acme.claire_access.id, AccessRole.STANDARD, []
        )
    assert await Access.filter(establishment=acme.paris, role="ADMIN").count() == 1
    # Through the API, Bruno's next request no longer finds Claire's access at all.
    late = await gql(client, REVOKE, {"id": acme.claire_access.id}, token=acme.tokens["bruno"])
    assert late.codes == ["NOT_FOUND"]


async def test_a_revoked_access_stops_working_at_once_and_is_logged(client, acme):
    samuel = acme.tokens["samuel"]
    assert len((await gql(client, SITES, token=samuel)).data["establishments"]) == 1
    result = await gql(client, REVOKE, {"id": acme.samuel_access.id}, token=acme.tokens["claire"])
    assert result.ok()["revokeAccess"]["role"] == "STANDARD"
    assert (await gql(client, SITES, token=samuel)).ok() == {"establishments": []}
    log = (await gql(client, AUDIT, {"site": acme.paris.id}, token=acme.tokens["bruno"])).ok()
    assert log["auditLog"][0] == {
        "action": "access.revoked",
        "actorEmail": "claire@acme.example",
        "targetType": "Access",
        "targetId": str(acme.samuel_access.id),
        "before": {
            "account": "samuel@acme.example",
            "role": "STANDARD",
            "documentKinds": ["INVOICE_COPY"],
        },
        "after": None,
    }


async def test_changing_an_access_is_logged_with_before_and_after(client, acme):
    await gql(
        client,
        UPDATE,
        {"id": acme.bruno_access.id, "role": "STANDARD", "kinds": ["EVALUATION"]},
        token=acme.tokens["claire"],
    )
    log = (await gql(client, AUDIT, {"site": acme.paris.id}, token=acme.tokens["claire"])).ok()
    entry = log["auditLog"][0]
    assert (entry["action"], entry["before"], entry["after"]) == (
        "access.updated",
        {"account": "bruno@acme.example", "role": "ADMIN", "documentKinds": []},
        {"account": "bruno@acme.example", "role": "STANDARD", "documentKinds": ["EVALUATION"]},
    )
    # Bruno, now STANDARD, may no longer read the audit log.
    denied = await gql(client, AUDIT, {"site": acme.paris.id}, token=acme.tokens["bruno"])
    assert denied.codes == ["FORBIDDEN"]


REQUEST = """
mutation($site: ID, $siret: String, $message: String!) {
  requestAdminAccess(establishmentId: $site, siret: $siret, message: $message) {
    id status message account { email } establishment { name }
  }
}"""
LIST_REQUESTS = """
query($status: RequestStatus) {
  adminAccessRequests(status: $status) { id status message decisionNote account { email } }
}"""
DECIDE = """
mutation($id: ID!, $approve: Boolean!, $note: String!) {
  decideAdminAccessRequest(requestId: $id, approve: $approve, note: $note) {
    id status decisionNote decidedAt
  }
}"""


async def test_an_approved_request_makes_the_requester_admin_and_tells_them(client, acme):
    remi = acme.tokens["remi"]
    filed = await gql(
        client,
        REQUEST,
        {"siret": acme.paris.siret, "message": "I place every order of the site."},
        token=remi,
    )
    # Rémi cannot see Acme Paris (no access): the answer does not show it to him.
    assert filed.code_at("requestAdminAccess", "establishment") == "FORBIDDEN"
    request = filed.data["requestAdminAccess"]
    assert (request["status"], request["establishment"]) == ("PENDING", None)
    again = await gql(client, REQUEST, {"siret": acme.paris.siret, "message": "?"}, token=remi)
    assert again.codes == ["CONFLICT"]

    staff = acme.tokens["sophie"]
    pending = (await gql(client, LIST_REQUESTS, {"status": "PENDING"}, token=staff)).ok()
    assert [r["account"]["email"] for r in pending["adminAccessRequests"]] == ["remi@acme.example"]
    decided = await gql(
        client, DECIDE, {"id": request["id"], "approve": True, "note": "Welcome"}, token=staff
    )
    answer = decided.ok()["decideAdminAccessRequest"]
    assert (answer["status"], answer["decisionNote"]) == ("APPROVED", "Welcome")
    assert answer["decidedAt"] is not None

    mail = await OutboxMail.get(to="remi@acme.example", template="admin_request_decided")
    assert mail.subject == "Your request for admin rights on Acme Paris was approved"
    assert "You are now an admin" in mail.text_body and "Welcome" in mail.text_body

    sites = (await gql(client, SITES, token=remi)).ok()["establishments"]
    assert {a["account"]["email"]: a["role"] for a in sites[0]["accesses"]}[
        "remi@acme.example"
    ] == "ADMIN"
    log = (await gql(client, AUDIT, {"site": acme.paris.id}, token=remi)).ok()["auditLog"]
    assert [e["action"] for e in log] == [
        "access.granted",
        "admin_request.approved",
        "admin_request.filed",
    ]
    twice = await gql(
        client, DECIDE, {"id": request["id"], "approve": False, "note": ""}, token=staff
    )
    assert twice.codes == ["CONFLICT"]
    assert (await AdminAccessRequest.get(id=int(request["id"]))).status == "APPROVED"


async def test_a_rejected_request_changes_no_access_and_tells_the_requester(client, acme):
    filed = await gql(
        client,
        REQUEST,
        {"site": acme.paris.id, "message": "Please"},
        token=acme.tokens["samuel"],
    )
    request_id = filed.ok()["requestAdminAccess"]["id"]
    decided = await gql(
        client,
        DECIDE,
        {"id": request_id, "approve": False, "note": "Ask Claire."},
        token=acme.tokens["sophie"],
    )
    assert decided.ok()["decideAdminAccessRequest"]["status"] == "REJECTED"
    mail = await OutboxMail.get(to="samuel@acme.example", template="admin_request_decided")
    assert "refusée" in mail.subject  # Samuel's account speaks French
    assert "Ask Claire." in mail.text_body
    assert (await Access.get(id=acme.samuel_access.id)).role == "STANDARD"
    rejected = await gql(client, LIST_REQUESTS, {"status": "REJECTED"}, token=acme.tokens["sophie"])
    assert [r["id"] for r in rejected.ok()["adminAccessRequests"]] == [request_id]


@pytest.mark.parametrize(
    ("variables", "code"),
    [
        ({"message": "no establishment named"}, "BAD_USER_INPUT"),
        ({"site": "1", "siret": "12345678901234", "message": "both"}, "BAD_USER_INPUT"),
        ({"siret": "1234", "message": "too short"}, "BAD_USER_INPUT"),
        ({"siret": "99999999999999", "message": "unknown"}, "NOT_FOUND"),
        ({"siret": "00000000000001", "message": "x" * 2001}, "BAD_USER_INPUT"),
    ],
)
async def test_a_request_names_one_existing_establishment(client, acme, variables, code):
    result = await gql(client, REQUEST, variables, token=acme.tokens["remi"])
    assert result.codes == [code]
    assert await AdminAccessRequest.all().count() == 0


async def test_listing_establishments_with_accesses_costs_the_same_queries_for_2_or_20(
    client, acme
):
    """No N+1: the accesses of every listed establishment come in one query."""
    company = await factories.company()

    async def add_sites(count: int) -> None:
        for _ in range(count):
            site = await factories.establishment(company)
            await factories.access(await factories.account(), site, AccessRole.ADMIN)
            await factories.access(acme.claire, site, AccessRole.ADMIN)

    async def queries() -> tuple[int, int]:
        logger = logging.getLogger("tortoise.db_client")
        records: list[logging.LogRecord] = []
        handler = logging.Handler(logging.DEBUG)
        handler.emit = records.append  # type: ignore[method-assign]
        level = logger.level
        logger.addHandler(handler)
        logger.setLevel(logging.DEBUG)
        try:
            result = await gql(client, SITES, token=acme.tokens["claire"])
        finally:
            logger.removeHandler(handler)
            logger.setLevel(level)
        return len(result.ok()["establishments"]), len(records)

    await add_sites(1)
    small = await queries()
    await add_sites(18)
    large = await queries()
    assert (small[0], large[0]) == (2, 20)
    assert small[1] == large[1] > 0
