"""Proving an e-mail address (rules 4, 5 and 9), told with personas.

Alice is the training manager of Acme Paris known in our records; orders were placed with
her address, with their documents. Mallory does not own Alice's mailbox but knows her
address. The history matched by e-mail, and the admin rights of a known training manager,
only follow an address whose owner followed a link we mailed to it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from models.access import Access, TrainingManager
from models.accounts import Account, OneTimeToken
from models.enums import AccessRole, AccountKind, DocumentKind, TokenPurpose
from models.mail import OutboxMail
from services.accounts import ensure_account
from services.staff import create_staff
from tests import factories
from tests.graphql import gql
from tests.test_accounts import (
    CHANGE_EMAIL,
    CONFIRM_EMAIL_CHANGE,
    NEW_PASSWORD,
    REQUEST_RESET,
    RESET,
    last_mail_to,
    link_token,
)

ALICE = "alice@acme.example"

SIGN_UP = """
mutation ($email: String!) {
  signUp(email: $email, password: "a long and rare passphrase", fullName: "Someone",
         kind: INDIVIDUAL) { token account { email emailVerified } }
}"""

WHAT_I_SEE = """
query ($enrollment: ID!, $document: ID!) {
  me { email emailVerified isTrainingManager }
  enrollments(first: 100) { totalCount edges { node { id registrantEmail } } }
  enrollment(id: $enrollment) { reference invoiceCopy { id } }
  document(id: $document) { id }
  establishments { name }
}"""

VERIFY = """
mutation ($token: String!) { verifyEmail(token: $token) { email emailVerified } }"""

RESEND = "mutation ($email: String!) { resendVerificationEmail(email: $email) }"


@dataclass
class AliceRecords:
    enrollment: int
    document: int


@pytest.fixture
async def alice_records() -> AliceRecords:
    """Alice is the known training manager of Acme Paris and placed an order there."""
    paris = await factories.establishment(await factories.company("Acme"), "Acme Paris")
    await TrainingManager.create(email=ALICE, establishment=paris, full_name="Alice")
    order = await factories.enrollment(registrant_email=ALICE, site=paris)
    invoice = await factories.document(order, DocumentKind.INVOICE_COPY)
    return AliceRecords(enrollment=order.id, document=invoice.id)


async def what_sees(client, token: str, records: AliceRecords):
    return await gql(
        client,
        WHAT_I_SEE,
        {"enrollment": records.enrollment, "document": records.document},
        token=token,
    )


def assert_sees_nothing_of_alice(seen) -> None:
    assert seen.data["me"] == {"email": ALICE, "emailVerified": False, "isTrainingManager": False}
    assert seen.data["enrollments"] == {"totalCount": 0, "edges": []}
    assert seen.data["enrollment"] is None and seen.code_at("enrollment") == "NOT_FOUND"
    assert seen.data["document"] is None and seen.code_at("document") == "NOT_FOUND"
    assert seen.data["establishments"] == []


def assert_sees_alices_history(seen, records: AliceRecords) -> None:
    assert seen.codes == []
    assert seen.data["me"] == {"email": ALICE, "emailVerified": True, "isTrainingManager": True}
    assert [e["node"]["id"] for e in seen.data["enrollments"]["edges"]] == [str(records.enrollment)]
    assert seen.data["enrollment"]["invoiceCopy"] == {"id": str(records.document)}
    assert seen.data["document"] == {"id": str(records.document)}
    assert seen.data["establishments"] == [{"name": "Acme Paris"}]  # admin (rule 9)


async def test_mallory_signs_up_with_alices_address_and_sees_nothing_of_hers(client, alice_records):
    signed_up = (await gql(client, SIGN_UP, {"email": ALICE})).ok()["signUp"]
    assert signed_up["account"] == {"email": ALICE, "emailVerified": False}
    mallory = signed_up["token"]

    assert_sees_nothing_of_alice(await what_sees(client, mallory, alice_records))
    assert not await Access.exists()  # no training-manager admin for an unproven address
    # The only link that could prove the address went to Alice's mailbox.
    assert [m.to for m in await OutboxMail.all()] == [ALICE]

    # Alice, who reads her mail, takes her address back with a reset link: Mallory's
    # session ends, and the history and the admin rights are Alice's.
    (await gql(client, REQUEST_RESET, {"email": ALICE})).ok()
    reset_token = link_token((await last_mail_to(ALICE)).text_body)
    alice = (await gql(client, RESET, {"token": reset_token, "password": NEW_PASSWORD})).ok()
    assert_sees_alices_history(
        await what_sees(client, alice["resetPassword"]["token"], alice_records), alice_records
    )
    assert (await gql(client, "{ me { email } }", token=mallory)).ok()["me"] is None
    admin = await Access.get(establishment__name="Acme Paris")
    assert admin.role == AccessRole.ADMIN.value


async def test_alice_sees_her_history_once_she_follows_the_verification_link(client, alice_records):
    alice = (await gql(client, SIGN_UP, {"email": "Alice@Acme.example"})).ok()["signUp"]["token"]
    assert_sees_nothing_of_alice(await what_sees(client, alice, alice_records))

    mail = await last_mail_to(ALICE)
    assert mail.template == "verify_email"
    assert "48 heures" in mail.text_body  # French by default
    token = link_token(mail.text_body, "verify-email")
    stored = await OneTimeToken.get(purpose=TokenPurpose.VERIFY_EMAIL.value)
    assert timedelta(hours=47) < stored.expires_at - stored.created_at <= timedelta(hours=48)

    verified = await gql(client, VERIFY, {"token": token})  # from any browser, no session
    assert verified.ok()["verifyEmail"] == {"email": ALICE, "emailVerified": True}
    # The same session sees it at once: rights are read fresh on every request.
    assert_sees_alices_history(await what_sees(client, alice, alice_records), alice_records)

    reused = await gql(client, VERIFY, {"token": token})
    assert reused.code_at("verifyEmail") == "BAD_USER_INPUT"
    assert reused.error_at("verifyEmail")["extensions"]["reason"] == "INVALID_TOKEN"


async def test_an_expired_verification_link_proves_nothing(client, alice_records):
    alice = (await gql(client, SIGN_UP, {"email": ALICE})).ok()["signUp"]["token"]
    token = link_token((await last_mail_to(ALICE)).text_body, "verify-email")
    await OneTimeToken.filter(purpose=TokenPurpose.VERIFY_EMAIL.value).update(
        expires_at=datetime.now(UTC) - timedelta(seconds=1)
    )
    expired = await gql(client, VERIFY, {"token": token})
    assert expired.code_at("verifyEmail") == "BAD_USER_INPUT"
    assert_sees_nothing_of_alice(await what_sees(client, alice, alice_records))

    # A new link, asked for on the sign-in page, works.
    assert (await gql(client, RESEND, {"email": ALICE})).ok() == {"resendVerificationEmail": True}
    fresh = link_token((await last_mail_to(ALICE)).text_body, "verify-email")
    assert fresh != token
    (await gql(client, VERIFY, {"token": fresh})).ok()
    assert_sees_alices_history(await what_sees(client, alice, alice_records), alice_records)


async def test_resend_answers_true_whatever_the_address_and_is_rate_limited(client):
    await factories.account("ines@example.com")  # verified already
    await factories.account("remi@acme.example", verified=False)
    for address in ("ghost@example.com", "ines@example.com", "Remi@Acme.example"):
        result = await gql(client, RESEND, {"email": address})
        assert result.ok() == {"resendVerificationEmail": True}
    assert [m.to for m in await OutboxMail.all()] == ["remi@acme.example"]

    for _ in range(2):
        (await gql(client, RESEND, {"email": "remi@acme.example"})).ok()
    fourth = await gql(client, RESEND, {"email": "remi@acme.example"})
    assert fourth.code_at("resendVerificationEmail") == "RATE_LIMITED"
    assert await OutboxMail.filter(to="remi@acme.example").count() == 3


async def test_a_known_training_manager_created_offline_is_admin_once_she_sets_her_password(
    client, alice_records
):
    alice, created = await ensure_account(ALICE, reason="phone order")
    assert created and alice.email_verified_at is None
    assert not await Access.exists()  # whoever typed the address may have erred
    token = link_token((await last_mail_to(ALICE)).text_body)
    signed_in = (await gql(client, RESET, {"token": token, "password": NEW_PASSWORD})).ok()
    assert_sees_alices_history(
        await what_sees(client, signed_in["resetPassword"]["token"], alice_records),
        alice_records,
    )


async def test_change_email_shows_the_new_addresses_orders_only_after_confirmation(
    client, alice_records
):
    """Inès asks to sign in with Alice's address. The orders of that address stay hidden
    until someone follows the link mailed to it: here, nobody does; then Alice's own
    account, asking the same, does."""
    ines = await factories.account("ines@example.com")
    ines_token = await factories.token_for(ines)
    own = await factories.enrollment(registrant_email="ines@example.com")
    request = {"password": factories.PASSWORD, "email": ALICE, "ack": True}

    requested = (await gql(client, CHANGE_EMAIL, request, token=ines_token)).ok()
    # Nothing is told about an address before its owner follows the link.
    assert requested["changeEmail"]["enrollmentsJoiningHistory"] == 0
    assert requested["changeEmail"]["confirmed"] is False
    seen = await what_sees(client, ines_token, alice_records)
    assert seen.data["me"]["email"] == "ines@example.com"
    assert [e["node"]["id"] for e in seen.data["enrollments"]["edges"]] == [str(own.id)]
    assert seen.code_at("enrollment") == "NOT_FOUND"
    assert seen.code_at("document") == "NOT_FOUND"
    confirmation = await last_mail_to(ALICE)
    assert confirmation.template == "confirm_email_change"
    assert (await last_mail_to("ines@example.com")).template == "confirm_email_change_requested"

    # Alice follows the link she received: the switch happens, and Inès's session now sees
    # the orders of the address she proved, not her old ones (rule 5).
    token = link_token(confirmation.text_body, "confirm-email-change")
    done = (await gql(client, CONFIRM_EMAIL_CHANGE, {"token": token})).ok()
    assert done["confirmEmailChange"]["account"] == {"email": ALICE, "emailVerified": True}
    seen = await what_sees(client, ines_token, alice_records)
    assert [e["node"]["id"] for e in seen.data["enrollments"]["edges"]] == [
        str(alice_records.enrollment)
    ]
    assert seen.data["document"] == {"id": str(alice_records.document)}


async def test_a_confirmation_link_is_single_use_and_expires(client):
    ines = await factories.account("ines@example.com")
    token = await factories.token_for(ines)
    variables = {"password": factories.PASSWORD, "ack": True}

    await gql(client, CHANGE_EMAIL, {**variables, "email": "ines@work.example"}, token=token)
    first = link_token((await last_mail_to("ines@work.example")).text_body, "confirm-email-change")
    (await gql(client, CONFIRM_EMAIL_CHANGE, {"token": first})).ok()
    again = await gql(client, CONFIRM_EMAIL_CHANGE, {"token": first})
    assert again.code_at("confirmEmailChange") == "BAD_USER_INPUT"
    assert again.error_at("confirmEmailChange")["extensions"]["reason"] == "INVALID_TOKEN"

    await gql(client, CHANGE_EMAIL, {**variables, "email": "ines@home.example"}, token=token)
    late = link_token((await last_mail_to("ines@home.example")).text_body, "confirm-email-change")
    stored = await OneTimeToken.get(purpose=TokenPurpose.CONFIRM_EMAIL_CHANGE.value, used_at=None)
    assert timedelta(hours=47) < stored.expires_at - stored.created_at <= timedelta(hours=48)
    await OneTimeToken.filter(id=stored.id).update(
        expires_at=datetime.now(UTC) - timedelta(seconds=1)
    )
    expired = await gql(client, CONFIRM_EMAIL_CHANGE, {"token": late})
    assert expired.code_at("confirmEmailChange") == "BAD_USER_INPUT"
    assert (await Account.get(id=ines.id)).email == "ines@work.example"


async def test_a_newer_request_voids_the_older_link(client):
    ines = await factories.account("ines@example.com")
    token = await factories.token_for(ines)
    variables = {"password": factories.PASSWORD, "ack": True}
    await gql(client, CHANGE_EMAIL, {**variables, "email": "typo@wrok.example"}, token=token)
    typo = link_token((await last_mail_to("typo@wrok.example")).text_body, "confirm-email-change")
    await gql(client, CHANGE_EMAIL, {**variables, "email": "ines@work.example"}, token=token)
    stale = await gql(client, CONFIRM_EMAIL_CHANGE, {"token": typo})
    assert stale.code_at("confirmEmailChange") == "BAD_USER_INPUT"
    assert (await Account.get(id=ines.id)).email == "ines@example.com"


async def test_an_address_taken_before_confirmation_is_a_conflict(client):
    ines = await factories.account("ines@example.com")
    token = await factories.token_for(ines)
    request = {"password": factories.PASSWORD, "email": "shared@example.com", "ack": True}
    (await gql(client, CHANGE_EMAIL, request, token=token)).ok()
    link = link_token((await last_mail_to("shared@example.com")).text_body, "confirm-email-change")
    await factories.account("shared@example.com")  # signed up meanwhile
    taken = await gql(client, CONFIRM_EMAIL_CHANGE, {"token": link})
    assert taken.code_at("confirmEmailChange") == "CONFLICT"
    assert (await Account.get(id=ines.id)).email == "ines@example.com"


async def test_links_mailed_to_the_old_address_stop_working_after_the_change(client):
    ines = await factories.account("ines@example.com")
    token = await factories.token_for(ines)
    (await gql(client, REQUEST_RESET, {"email": "ines@example.com"})).ok()
    reset = link_token((await last_mail_to("ines@example.com")).text_body)
    request = {"password": factories.PASSWORD, "email": "ines@work.example", "ack": True}
    (await gql(client, CHANGE_EMAIL, request, token=token)).ok()
    confirm = link_token(
        (await last_mail_to("ines@work.example")).text_body, "confirm-email-change"
    )
    (await gql(client, CONFIRM_EMAIL_CHANGE, {"token": confirm})).ok()
    old_link = await gql(client, RESET, {"token": reset, "password": NEW_PASSWORD})
    assert old_link.code_at("resetPassword") == "BAD_USER_INPUT"
    # Sessions are kept across the change.
    assert (await gql(client, "{ me { email } }", token=token)).ok()["me"] == {
        "email": "ines@work.example"
    }


async def test_staff_accounts_made_on_the_command_line_are_verified(client):
    sophie = await create_staff("sophie@espace.example", NEW_PASSWORD)
    assert sophie.email_verified_at is not None
    remi = await factories.account("remi@acme.example", verified=False, kind=AccountKind.COMPANY)
    promoted = await create_staff(remi.email, NEW_PASSWORD)
    assert promoted.email_verified_at is not None
