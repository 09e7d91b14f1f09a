"""Trust, written as the attacks: each test plays one reproduced attack on the real app,
through GraphQL, and asserts it no longer works (each failed on the code before the fix).

The world: Acme (framework agreement of 20 % in force) has two establishments. Acme Paris
is administered by Claire; Paula has a STANDARD access there. Acme Lyon has no order and no
access yet. Mallory is the attacker: she knows public data (SIRET numbers) and can sign up
with addresses she does not control. Sophie is staff. Hugo is a new Acme employee whose
address Mallory squats.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from models.access import Access, AdminAccessRequest, Invitation
from models.accounts import Account
from models.catalog import CourseSession
from models.companies import Company, Establishment, FrameworkAgreement
from models.enrollments import Enrollment
from models.enums import AccessRole, EnrollmentStatus, RequestOrigin
from models.mail import OutboxMail
from services.accounts import valid_siret
from tests import factories
from tests.graphql import gql

SIGN_UP = """
mutation ($email: String!, $company: CompanySignUpInput) {
  signUp(email: $email, password: "a long and rare passphrase", fullName: "Mallory",
         kind: COMPANY, company: $company) { token account { id } }
}"""
PRICES = "{ courses { code price { netPrice discountSource } } }"
ENROLL = """
mutation ($input: EnrollInput!) {
  enroll(input: $input) { reference enrollment { id } }
}"""
VALIDATE = "mutation ($id: ID!) { validateEnrollment(id: $id) { status } }"
SITES = "{ establishments { name } }"
GRANT = """
mutation ($site: ID!, $email: String!) {
  grantAccessOrInvite(establishmentId: $site, email: $email, role: STANDARD,
                      documentKinds: [INVOICE_COPY]) {
    access { id } invitation { id email role }
  }
}"""
INVITATIONS = "query ($site: ID!) { establishment(id: $site) { invitations { id email } } }"
ACCEPT = """
mutation ($token: String!, $password: String) {
  acceptInvitation(token: $token, password: $password) {
    token access { role establishment { name } } account { email emailVerified }
  }
}"""
WITHDRAW = "mutation ($id: ID!) { withdrawInvitation(invitationId: $id) { withdrawnAt } }"
CHANGE_EMAIL = """
mutation ($email: String!, $ack: Boolean!) {
  changeEmail(password: "correct horse battery staple", newEmail: $email,
              acknowledgeHistoryChange: $ack) { confirmed }
}"""
REQUEST_ADMIN = """
mutation ($site: ID, $siret: String) {
  requestAdminAccess(establishmentId: $site, siret: $siret) {
    id siret origin establishment { name city }
  }
}"""
STAFF_REQUESTS = "{ adminAccessRequests { origin siret account { email } establishment { name } } }"
CANCEL = (
    "mutation ($id: ID!, $reason: String!) { cancelEnrollment(id: $id, reason: $reason) { id } }"
)


def a_siret(prefix: str) -> str:
    """A SIRET with a valid check digit (sign-up checks it)."""
    for digit in "0123456789":
        if valid_siret(prefix + digit):
            return prefix + digit
    raise AssertionError("no check digit")


@dataclass
class World:
    acme: Company
    paris: Establishment
    lyon: Establishment
    session: CourseSession
    tokens: dict[str, str]


@pytest.fixture
async def world() -> World:
    acme = await factories.company("Acme")
    paris = await Establishment.create(
        company=acme, siret=a_siret("1234567800001"), name="Acme Paris", city="Paris"
    )
    lyon = await Establishment.create(
        company=acme, siret=a_siret("1234567800002"), name="Acme Lyon", city="Lyon"
    )
    await FrameworkAgreement.create(company=acme, reference="AC-1", discount_percent=Decimal(20))
    claire = await factories.account("claire@acme.example")
    paula = await factories.account("paula@acme.example")
    sophie = await factories.account("sophie@espace.example", is_staff=True)
    await factories.access(claire, paris, AccessRole.ADMIN)
    await factories.access(paula, paris, AccessRole.STANDARD)
    session = await factories.course_session(capacity=60, price="1000.00")
    first = await factories.enrollment(
        registrant_email=claire.email, site=paris, status=EnrollmentStatus.VALIDATED
    )
    first.validated_at = datetime.now(UTC)
    await first.save()
    tokens = {p.email.split("@")[0]: await factories.token_for(p) for p in (claire, paula, sophie)}
    return World(acme, paris, lyon, session, tokens)


def _enroll(world: World, site: Establishment | None = None, **extra: object) -> dict:
    payload: dict[str, object] = {
        "sessionId": str(world.session.id),
        "trainees": [{"firstName": "Ann", "lastName": "Lee"}],
        **extra,
    }
    if site is not None:
        payload["establishmentId"] = str(site.id)
    return {"input": payload}


async def test_a_stranger_who_types_a_known_siret_gains_no_membership(client, world: World):
    # Mallory signs up as a company with Acme Lyon's (public) SIRET.
    signed = await gql(
        client, SIGN_UP, {"email": "mallory@evil.example", "company": {"siret": world.lyon.siret}}
    )
    mallory = signed.ok()["signUp"]["token"]

    # She does not see Acme's negotiated prices: the list price, like any stranger.
    prices = (await gql(client, PRICES, token=mallory)).ok()["courses"]
    assert {p["price"]["discountSource"] for p in prices} == {"NONE"}
    assert Decimal(prices[0]["price"]["netPrice"]) == Decimal("1000.00")
    # Paula, a proven member (an access, e-mail verified), does.
    paula_prices = (await gql(client, PRICES, token=world.tokens["paula"])).ok()["courses"]
    assert Decimal(paula_prices[0]["price"]["netPrice"]) == Decimal("800.00")

    # She cannot order in Acme's name, for Lyon (no order, no access yet) nor for Paris.
    for site in (world.lyon, world.paris):
        refused = await gql(client, ENROLL, _enroll(world, site), token=mallory)
        assert refused.codes == ["NOT_FOUND"]
    assert not await AdminAccessRequest.filter(status="APPROVED").exists()

    # Staff see her sign-up as a request to join Lyon, which they decide.
    requests = (await gql(client, STAFF_REQUESTS, token=world.tokens["sophie"])).ok()
    assert requests["adminAccessRequests"] == [
        {
            "origin": "SIGN_UP",
            "siret": world.lyon.siret,
            "account": {"email": "mallory@evil.example"},
            "establishment": {"name": "Acme Lyon"},
        }
    ]

    # Acme's own first order for Lyon, placed by Paula, makes Paula admin when staff
    # validate it (rule 9) - not at booking, and never Mallory.
    booked = await gql(client, ENROLL, _enroll(world, world.lyon), token=world.tokens["paula"])
    order_id = booked.ok()["enroll"]["enrollment"]["id"]
    paula = await Account.get(email="paula@acme.example")
    assert not await Access.exists(account=paula, establishment=world.lyon)
    (await gql(client, VALIDATE, {"id": order_id}, token=world.tokens["sophie"])).ok()
    assert (await Access.get(account=paula, establishment=world.lyon)).role == "ADMIN"
    assert await Access.filter(establishment=world.lyon).count() == 1


async def test_a_new_siret_makes_its_registrant_admin_only_once_verified_and_validated(
    client, world: World
):
    signed = await gql(
        client,
        SIGN_UP,
        {
            "email": "nadia@newco.example",
            "company": {"siret": a_siret("9876543200001"), "companyName": "NewCo"},
        },
    )
    nadia = signed.ok()["signUp"]["token"]
    site = await Establishment.get(name="NewCo")
    booked = (await gql(client, ENROLL, _enroll(world, site), token=nadia)).ok()
    order_id = booked["enroll"]["enrollment"]
    assert order_id is None  # she sees no history before verifying her e-mail (rule 4)
    enrollment_id = (await Enrollment.get(establishment=site)).id
    (await gql(client, VALIDATE, {"id": str(enrollment_id)}, token=world.tokens["sophie"])).ok()
    assert not await Access.filter(establishment=site).exists()  # not verified yet

    # She follows the verification link: now both conditions of rule 9 hold.
    mail = await OutboxMail.filter(to="nadia@newco.example", template="verify_email").first()
    token = mail.text_body.split("token=")[1].split()[0]
    verify = "mutation ($t: String!) { verifyEmail(token: $t) { emailVerified } }"
    (await gql(client, verify, {"t": token})).ok()
    assert (await Access.get(establishment=site)).role == "ADMIN"


async def test_an_access_granted_to_a_squatted_address_reaches_only_its_owner(client, world: World):
    # Mallory signs up with Hugo's address, which she cannot read.
    signed = await gql(
        client,
        SIGN_UP.replace("kind: COMPANY", "kind: INDIVIDUAL"),
        {"email": "hugo@acme.example"},
    )
    mallory = signed.ok()["signUp"]["token"]

    # Claire grants Hugo an access: an invitation is mailed to the address instead.
    granted = await gql(
        client,
        GRANT,
        {"site": str(world.paris.id), "email": "hugo@acme.example"},
        token=world.tokens["claire"],
    )
    outcome = granted.ok()["grantAccessOrInvite"]
    assert outcome["access"] is None
    assert outcome["invitation"]["email"] == "hugo@acme.example"
    listed = await gql(
        client, INVITATIONS, {"site": str(world.paris.id)}, token=world.tokens["claire"]
    )
    assert [i["email"] for i in listed.ok()["establishment"]["invitations"]] == [
        "hugo@acme.example"
    ]
    hidden = await gql(
        client, INVITATIONS, {"site": str(world.paris.id)}, token=world.tokens["paula"]
    )
    assert hidden.code_at("establishment", "invitations") == "FORBIDDEN"

    # Mallory receives nothing: no establishment, no history of Paris.
    assert (await gql(client, SITES, token=mallory)).ok()["establishments"] == []
    history = "{ enrollments { totalCount } }"
    assert (await gql(client, history, token=mallory)).ok()["enrollments"]["totalCount"] == 0

    # The real Hugo follows the link he received, choosing a password: the access works for
    # him, and the squatter's session ends.
    mail = await OutboxMail.get(to="hugo@acme.example", template="invitation")
    assert "/accept-invitation?token=" in mail.text_body
    link_token = mail.text_body.split("token=")[1].split()[0]
    accepted = await gql(
        client, ACCEPT, {"token": link_token, "password": "hugo's own long passphrase"}
    )
    payload = accepted.ok()["acceptInvitation"]
    assert payload["access"] == {"role": "STANDARD", "establishment": {"name": "Acme Paris"}}
    assert payload["account"] == {"email": "hugo@acme.example", "emailVerified": True}
    assert (await gql(client, "{ me { email } }", token=mallory)).ok()["me"] is None
    hugo_sites = (await gql(client, SITES, token=payload["token"])).ok()["establishments"]
    assert hugo_sites == [{"name": "Acme Paris"}]
    # The link works once.
    again = await gql(client, ACCEPT, {"token": link_token, "password": "another passphrase x"})
    assert again.codes == ["BAD_USER_INPUT"]


async def test_an_admin_withdraws_an_invitation_and_its_link_dies(client, world: World):
    granted = await gql(
        client,
        GRANT,
        {"site": str(world.paris.id), "email": "olga@acme.example"},
        token=world.tokens["claire"],
    )
    invitation_id = granted.ok()["grantAccessOrInvite"]["invitation"]["id"]
    refused = await gql(client, WITHDRAW, {"id": invitation_id}, token=world.tokens["paula"])
    assert refused.codes == ["NOT_FOUND"]
    (await gql(client, WITHDRAW, {"id": invitation_id}, token=world.tokens["claire"])).ok()
    mail = await OutboxMail.get(to="olga@acme.example", template="invitation")
    link_token = mail.text_body.split("token=")[1].split()[0]
    dead = await gql(client, ACCEPT, {"token": link_token, "password": "olga's long passphrase"})
    assert dead.codes == ["BAD_USER_INPUT"]
    assert not await Account.exists(email="olga@acme.example")
    assert (await Invitation.get(id=int(invitation_id))).withdrawn_at is not None


async def test_an_offline_order_for_an_unknown_address_grants_nothing_until_verified(
    client, world: World
):
    record = """
    mutation ($input: OfflineEnrollmentInput!) {
      recordOfflineEnrollment(input: $input) { enrollment { id } accountCreated }
    }"""
    recorded = await gql(
        client,
        record,
        {
            "input": {
                "sessionId": str(world.session.id),
                "trainees": [{"firstName": "Ann", "lastName": "Lee"}],
                "registrantEmail": "lea@acme.example",
                "registrantName": "Léa",
                "channel": "PHONE",
                "establishmentId": str(world.lyon.id),
            }
        },
        token=world.tokens["sophie"],
    )
    order = recorded.ok()["recordOfflineEnrollment"]
    assert order["accountCreated"] is True
    (
        await gql(client, VALIDATE, {"id": order["enrollment"]["id"]}, token=world.tokens["sophie"])
    ).ok()
    lea = await Account.get(email="lea@acme.example")
    assert not await Access.exists(account=lea)  # whoever typed the address proved nothing


async def test_change_email_tells_nothing_about_an_address_before_proof(client, world: World):
    victim = await factories.account("victim@acme.example")
    for _ in range(3):
        await factories.enrollment(registrant_email=victim.email)
    token = await factories.token_for(await factories.account("mallory@evil.example"))

    taken = await gql(client, CHANGE_EMAIL, {"email": victim.email, "ack": False}, token=token)
    free = await gql(
        client, CHANGE_EMAIL, {"email": "nobody@acme.example", "ack": False}, token=token
    )
    assert taken.codes == free.codes == ["BAD_USER_INPUT"]
    for answer in (taken, free):
        assert answer.errors[0]["extensions"]["enrollmentsJoiningHistory"] == 0
    # Asking for the change itself is answered the same way too.
    asked = await gql(client, CHANGE_EMAIL, {"email": victim.email, "ack": True}, token=token)
    assert asked.ok()["changeEmail"] == {"confirmed": False}
    # And it is rate-limited like the other account mutations.
    codes = []
    for _ in range(10):
        answer = await gql(
            client, CHANGE_EMAIL, {"email": "x@acme.example", "ack": False}, token=token
        )
        codes.extend(answer.codes)
    assert "RATE_LIMITED" in codes


async def test_request_admin_access_reveals_no_more_than_establishment(client, world: World):
    mallory = await factories.token_for(await factories.account("mallory@evil.example"))
    by_id = await gql(client, REQUEST_ADMIN, {"site": str(world.paris.id)}, token=mallory)
    assert by_id.codes == ["NOT_FOUND"]
    assert not await AdminAccessRequest.exists()
    by_siret = await gql(client, REQUEST_ADMIN, {"siret": world.paris.siret}, token=mallory)
    assert by_siret.data is not None
    request = by_siret.data["requestAdminAccess"]
    assert request["establishment"] is None
    assert by_siret.code_at("requestAdminAccess", "establishment") == "FORBIDDEN"
    assert request["siret"] == world.paris.siret
    assert request["origin"] == RequestOrigin.CONTACT_FORM.value
    assert "Acme" not in str(by_siret.body)
    # Paula may see Paris: her own request shows it.
    shown = await gql(
        client, REQUEST_ADMIN, {"site": str(world.paris.id)}, token=world.tokens["paula"]
    )
    assert shown.ok()["requestAdminAccess"]["establishment"] == {
        "name": "Acme Paris",
        "city": "Paris",
    }


async def test_one_unverified_account_cannot_hoard_the_seats_of_a_session(client, world: World):
    signed = await gql(
        client,
        SIGN_UP.replace("kind: COMPANY", "kind: INDIVIDUAL"),
        {"email": "hoarder@evil.example"},
    )
    hoarder = signed.ok()["signUp"]["token"]
    thirty = [{"firstName": "T", "lastName": str(n)} for n in range(30)]
    big = await gql(
        client,
        ENROLL,
        {
            "input": {
                "sessionId": str(world.session.id),
                "trainees": thirty,
                "registrantEmail": "someone@else.example",
            }
        },
        token=hoarder,
    )
    assert big.codes == ["CONFLICT"]
    assert big.errors[0]["extensions"]["reason"] == "BOOKING_LIMIT"
    booked = []
    for _ in range(5):
        answer = await gql(client, ENROLL, _enroll(world), token=hoarder)
        booked.append(answer.codes[0] if answer.codes else "OK")
    assert booked == ["OK", "OK", "OK", "CONFLICT", "CONFLICT"]
    session = await CourseSession.get(id=world.session.id)
    assert session.seats_booked == 3


async def test_cancel_reasons_are_not_relayed_to_another_address(client, world: World):
    # Mallory administers her own (real) company, so she may cancel its orders (rule 14).
    mallory_account = await factories.account("mallory@evil.example")
    evil = await factories.establishment(await factories.company("Evil"), "Evil HQ")
    await factories.access(mallory_account, evil, AccessRole.ADMIN)
    mallory = await factories.token_for(mallory_account)
    victim = "victim@acme.example"
    for _ in range(8):
        booked = await gql(
            client, ENROLL, _enroll(world, evil, registrantEmail=victim), token=mallory
        )
        reference = booked.ok()["enroll"]["reference"]
        enrollment = await Enrollment.get(reference=reference)
        (
            await gql(
                client,
                CANCEL,
                {"id": str(enrollment.id), "reason": "Pay at http://evil.example/pay"},
                token=mallory,
            )
        ).ok()
    mails = await OutboxMail.filter(to=victim, template="enrollment_cancelled")
    assert 0 < len(mails) <= 5  # limited per recipient
    assert all("evil.example" not in m.text_body for m in mails)
    # The registrant reads the reason in the customer space once she proves the address.
    owner = await factories.token_for(await factories.account(victim))
    reasons = "{ enrollments { nodes { cancelReason } } }"
    nodes = (await gql(client, reasons, token=owner)).ok()["enrollments"]["nodes"]
    assert nodes and all(n["cancelReason"] == "Pay at http://evil.example/pay" for n in nodes)
