"""Accounts through the GraphQL endpoint: sign-up, sign-in, sign-out, passwords, resets and
the login e-mail change (rules 1-5)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from argon2 import PasswordHasher

from models.access import AdminAccessRequest
from models.accounts import Account, LoginSession, OneTimeToken
from models.audit import AuditEntry
from models.companies import Company, Establishment
from models.enums import AccountKind
from models.mail import OutboxMail
from services import rate_limits
from services.accounts import ensure_account, valid_siret
from services.passwords import verify_password
from tests import factories
from tests.graphql import gql

NEW_PASSWORD = "a long and rare passphrase"

SIGN_UP = """
mutation ($email: String!, $password: String!, $kind: AccountKind!, $name: String!,
          $company: CompanySignUpInput, $language: Language! = FR) {
  signUp(email: $email, password: $password, fullName: $name, kind: $kind,
         company: $company, language: $language) {
    token
    account { id email emailVerified kind fullName language }
  }
}"""

LOG_IN = """
mutation ($email: String!, $password: String!) {
  logIn(email: $email, password: $password) { token account { email } }
}"""

ME = "{ me { email isStaff } }"

REQUEST_RESET = "mutation ($email: String!) { requestPasswordReset(email: $email) }"

RESET = """
mutation ($token: String!, $password: String!) {
  resetPassword(token: $token, newPassword: $password) { token account { email } }
}"""

CHANGE_PASSWORD = """
mutation ($current: String!, $new: String!) {
  changePassword(currentPassword: $current, newPassword: $new)
}"""

CHANGE_EMAIL = """
mutation ($password: String!, $email: String!, $ack: Boolean!) {
  changeEmail(password: $password, newEmail: $email, acknowledgeHistoryChange: $ack) {
    account { email }
    newEmail
    confirmed
    enrollmentsLeavingHistory
    enrollmentsJoiningHistory
  }
}"""

CONFIRM_EMAIL_CHANGE = """
mutation ($token: String!) {
  confirmEmailChange(token: $token) {
    account { email emailVerified }
    newEmail
    confirmed
    enrollmentsLeavingHistory
    enrollmentsJoiningHistory
  }
}"""


@pytest.fixture(autouse=True)
async def fresh_rate_limits() -> AsyncIterator[None]:
    """Counters are process-wide: every test starts and ends with none."""
    await rate_limits.reset()
    yield
    await rate_limits.reset()


def siret_with_check_digit(first_13: str) -> str:
    """A valid SIRET (Luhn) from 13 digits."""
    for last in "0123456789":
        if valid_siret(first_13 + last):
            return first_13 + last
    raise AssertionError("unreachable")


def link_token(body: str, path: str = "(?:re)?set-password") -> str:
    """The token of the link to `path` (a regular expression; by default a reset or a
    first-password link) in a mail body (links are built from PUBLIC_URL)."""
    match = re.search(rf"https://espace\.test/{path}\?token=([A-Za-z0-9_\-]+)", body)
    assert match, body
    return match.group(1)


async def last_mail_to(address: str) -> OutboxMail:
    mail = await OutboxMail.filter(to=address).order_by("-id").first()
    assert mail is not None, f"no mail to {address}"
    return mail


async def log_in(client, email: str, password: str):
    return await gql(client, LOG_IN, {"email": email, "password": password})


# --- sign-up -----------------------------------------------------------------------------


async def test_ines_signs_up_as_an_individual_and_is_signed_in(client):
    result = await gql(
        client,
        SIGN_UP,
        {
            "email": " Ines.Martin@Example.com ",
            "password": NEW_PASSWORD,
            "kind": "INDIVIDUAL",
            "name": "Inès Martin",
            "language": "EN",
        },
    )
    payload = result.ok()["signUp"]
    assert payload["account"]["email"] == "ines.martin@example.com"
    assert payload["account"]["kind"] == "INDIVIDUAL"
    assert payload["account"]["language"] == "EN"
    assert payload["account"]["emailVerified"] is False
    verification = await last_mail_to("ines.martin@example.com")
    assert verification.template == "verify_email"
    assert "48 hours" in verification.text_body  # in the account's language
    link_token(verification.text_body, "verify-email")
    assert "https://espace.test/verify-email?token=" in verification.html_body
    me = await gql(client, ME, token=payload["token"])
    assert me.ok()["me"]["email"] == "ines.martin@example.com"
    assert (await log_in(client, "ines.martin@example.com", NEW_PASSWORD)).ok()
    assert await AuditEntry.filter(action="account.signed_up").count() == 1


async def test_company_sign_up_creates_the_company_then_files_a_request_for_a_known_siret(
    client,
):
    siret = siret_with_check_digit("7328293200007")
    company = {"siret": siret, "companyName": "Acme", "establishmentName": "Acme Paris"}
    claire = await gql(
        client,
        SIGN_UP,
        {
            "email": "claire@acme.example",
            "password": NEW_PASSWORD,
            "kind": "COMPANY",
            "name": "Claire",
            "company": company,
        },
    )
    assert claire.ok()["signUp"]["account"]["kind"] == "COMPANY"
    remi = await gql(
        client,
        SIGN_UP,
        {
            "email": "remi@acme.example",
            "password": NEW_PASSWORD,
            "kind": "COMPANY",
            "name": "Rémi",
            "company": {"siret": siret[:3] + " " + siret[3:]},  # names optional when known
        },
    )
    remi.ok()
    assert await Company.all().count() == 1
    site = await Establishment.get(siret=siret)
    assert site.name == "Acme Paris"
    # Claire registered it; Rémi, who only typed its SIRET, is no member: staff decide.
    assert site.registered_by_id == (await Account.get(email="claire@acme.example")).id
    request = await AdminAccessRequest.get(establishment=site).select_related("account")
    assert (request.account.email, request.origin) == ("remi@acme.example", "SIGN_UP")


async def test_company_sign_up_refuses_a_bad_siret_and_a_missing_company(client):
    base = {"email": "x@acme.example", "password": NEW_PASSWORD, "kind": "COMPANY", "name": "X"}
    bad_siret = await gql(client, SIGN_UP, {**base, "company": {"siret": "73282932000075"}})
    assert bad_siret.code_at("signUp") == "BAD_USER_INPUT"
    assert bad_siret.error_at("signUp")["extensions"]["reason"] == "INVALID_SIRET"
    short = await gql(client, SIGN_UP, {**base, "company": {"siret": "1234"}})
    assert short.code_at("signUp") == "BAD_USER_INPUT"
    new_siret_without_name = await gql(
        client, SIGN_UP, {**base, "company": {"siret": siret_with_check_digit("4420012300001")}}
    )
    assert new_siret_without_name.code_at("signUp") == "BAD_USER_INPUT"
    no_company = await gql(client, SIGN_UP, base)
    assert no_company.code_at("signUp") == "BAD_USER_INPUT"
    assert await Account.all().count() == 0
    assert await Company.all().count() == 0


async def test_duplicate_sign_up_is_a_conflict_whatever_the_case(client):
    await factories.account("ines.martin@example.com")
    result = await gql(
        client,
        SIGN_UP,
        {
            "email": "INES.MARTIN@example.com",
            "password": NEW_PASSWORD,
            "kind": "INDIVIDUAL",
            "name": "Someone else",
        },
    )
    assert result.code_at("signUp") == "CONFLICT"
    assert await Account.all().count() == 1


@pytest.mark.parametrize(
    ("password", "reason"),
    [("short12", "TOO_SHORT"), ("x" * 129, "TOO_LONG"), ("password1", "TOO_COMMON")],
)
async def test_sign_up_refuses_weak_passwords(client, password, reason):
    result = await gql(
        client,
        SIGN_UP,
        {"email": "ines@example.com", "password": password, "kind": "INDIVIDUAL", "name": "I"},
    )
    assert result.code_at("signUp") == "BAD_USER_INPUT"
    assert result.error_at("signUp")["extensions"]["reason"] == reason
    assert not await Account.exists(email="ines@example.com")


async def test_a_128_character_password_is_kept_whole(client):
    password = "é" + "z" * 126 + "!"
    assert len(password) == 128
    result = await gql(
        client,
        SIGN_UP,
        {"email": "ines@example.com", "password": password, "kind": "INDIVIDUAL", "name": "I"},
    )
    result.ok()
    assert (await log_in(client, "ines@example.com", password)).ok()
    truncated = await log_in(client, "ines@example.com", password[:-1])
    assert truncated.code_at("logIn") == "UNAUTHENTICATED"


# --- logIn / logOut ----------------------------------------------------------------------


async def test_log_in_with_the_right_password_opens_a_session(client):
    await factories.account("bruno@boreal.example")
    result = await log_in(client, "Bruno@Boreal.example", factories.PASSWORD)
    token = result.ok()["logIn"]["token"]
    assert len(token) >= 22  # at least 128 bits, url-safe base64
    assert (await gql(client, ME, token=token)).ok()["me"]["email"] == "bruno@boreal.example"
    stored = await LoginSession.get(account__email="bruno@boreal.example")
    assert stored.token_hash != token and token not in stored.token_hash


async def test_wrong_password_and_unknown_email_answer_the_same_and_are_audited(client):
    await factories.account("bruno@boreal.example")
    wrong = await log_in(client, "bruno@boreal.example", "not the password")
    unknown = await log_in(client, "nobody@boreal.example", "not the password")
    assert wrong.code_at("logIn") == unknown.code_at("logIn") == "UNAUTHENTICATED"
    assert wrong.error_at("logIn")["message"] == unknown.error_at("logIn")["message"]
    assert wrong.data == unknown.data
    entries = await AuditEntry.filter(action="account.login_failed").order_by("id")
    assert [e.actor_email for e in entries] == ["bruno@boreal.example", "nobody@boreal.example"]
    assert all(e.client_address == "203.0.113.7" for e in entries)
    for entry in entries:
        assert "not the password" not in repr((entry.before, entry.after))


async def test_an_account_created_offline_cannot_log_in_before_choosing_a_password(client):
    await ensure_account("remi@acme.example", reason="phone enrollment")
    result = await log_in(client, "remi@acme.example", "")
    assert result.code_at("logIn") == "UNAUTHENTICATED"


async def test_log_in_rehashes_a_password_hashed_with_old_parameters(client):
    old_hash = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(NEW_PASSWORD)
    samuel = await factories.account("samuel@acme.example")
    await Account.filter(id=samuel.id).update(password_hash=old_hash)
    (await log_in(client, "samuel@acme.example", NEW_PASSWORD)).ok()
    account = await Account.get(email="samuel@acme.example")
    assert account.password_hash != old_hash
    assert verify_password(account.password_hash, NEW_PASSWORD)
    assert (await log_in(client, "samuel@acme.example", NEW_PASSWORD)).ok()


async def test_log_out_ends_the_session_on_the_server_only(client):
    claire = await factories.account("claire@acme.example")
    phone = await factories.token_for(claire)
    laptop = (await log_in(client, claire.email, factories.PASSWORD)).ok()["logIn"]["token"]
    assert (await gql(client, "mutation { logOut }", token=laptop)).ok() == {"logOut": True}
    assert (await gql(client, ME, token=laptop)).ok()["me"] is None
    again = await gql(client, "mutation { logOut }", token=laptop)
    assert again.code_at("logOut") == "UNAUTHENTICATED"
    assert (await gql(client, ME, token=phone)).ok()["me"]["email"] == claire.email


async def test_rights_are_read_fresh_on_every_request(client):
    sophie = await factories.account("sophie@espace.example")
    token = await factories.token_for(sophie)
    assert (await gql(client, ME, token=token)).ok()["me"]["isStaff"] is False
    await Account.filter(id=sophie.id).update(is_staff=True)
    assert (await gql(client, ME, token=token)).ok()["me"]["isStaff"] is True


# --- changePassword ----------------------------------------------------------------------


async def test_change_password_ends_every_other_session(client):
    claire = await factories.account("claire@acme.example")
    current = await factories.token_for(claire)
    other = await factories.token_for(claire)
    wrong = await gql(
        client, CHANGE_PASSWORD, {"current": "nope nope nope", "new": NEW_PASSWORD}, token=current
    )
    assert wrong.code_at("changePassword") == "BAD_USER_INPUT"
    assert wrong.error_at("changePassword")["extensions"]["reason"] == "WRONG_PASSWORD"
    weak = await gql(
        client, CHANGE_PASSWORD, {"current": factories.PASSWORD, "new": "qwerty123"}, token=current
    )
    assert weak.code_at("changePassword") == "BAD_USER_INPUT"
    assert (await gql(client, ME, token=other)).ok()["me"] is not None

    done = await gql(
        client, CHANGE_PASSWORD, {"current": factories.PASSWORD, "new": NEW_PASSWORD}, token=current
    )
    assert done.ok() == {"changePassword": True}
    assert (await gql(client, ME, token=current)).ok()["me"]["email"] == claire.email
    assert (await gql(client, ME, token=other)).ok()["me"] is None
    assert (await log_in(client, claire.email, factories.PASSWORD)).code_at("logIn")
    assert (await log_in(client, claire.email, NEW_PASSWORD)).ok()
    assert (await last_mail_to(claire.email)).template == "password_changed"


async def test_change_password_needs_a_session(client):
    result = await gql(client, CHANGE_PASSWORD, {"current": "whatever1", "new": NEW_PASSWORD})
    assert result.code_at("changePassword") == "UNAUTHENTICATED"


# --- requestPasswordReset / resetPassword ------------------------------------------------


async def test_reset_request_answers_true_for_known_and_unknown_addresses(client):
    await factories.account("ines@example.com")
    known = await gql(client, REQUEST_RESET, {"email": "Ines@Example.com"}, host="evil.example.org")
    unknown = await gql(client, REQUEST_RESET, {"email": "ghost@example.com"})
    assert known.ok() == unknown.ok() == {"requestPasswordReset": True}
    mails = await OutboxMail.all()
    assert [m.to for m in mails] == ["ines@example.com"]
    assert mails[0].template == "reset_password"
    link_token(mails[0].text_body)  # built from PUBLIC_URL, not from the Host header
    assert "evil.example.org" not in mails[0].text_body + mails[0].html_body
    assert "https://espace.test/reset-password?token=" in mails[0].html_body
    assert await AuditEntry.filter(action="account.password_reset_requested").count() == 2


async def test_reset_password_with_the_mailed_token_signs_in_and_ends_other_sessions(client):
    ines = await factories.account("ines@example.com")
    old_session = await factories.token_for(ines)
    (await gql(client, REQUEST_RESET, {"email": ines.email})).ok()
    token = link_token((await last_mail_to(ines.email)).text_body)

    weak = await gql(client, RESET, {"token": token, "password": "12345678"})
    assert weak.code_at("resetPassword") == "BAD_USER_INPUT"  # and the token still works:
    result = await gql(client, RESET, {"token": token, "password": NEW_PASSWORD})
    payload = result.ok()["resetPassword"]
    assert payload["account"]["email"] == ines.email
    assert (await gql(client, ME, token=payload["token"])).ok()["me"]["email"] == ines.email
    assert (await gql(client, ME, token=old_session)).ok()["me"] is None
    assert (await log_in(client, ines.email, NEW_PASSWORD)).ok()
    assert (await log_in(client, ines.email, factories.PASSWORD)).code_at("logIn")
    assert await AuditEntry.filter(action="account.password_reset").count() == 1

    reused = await gql(client, RESET, {"token": token, "password": "another rare passphrase"})
    assert reused.code_at("resetPassword") == "BAD_USER_INPUT"
    assert reused.error_at("resetPassword")["extensions"]["reason"] == "INVALID_TOKEN"


async def test_an_expired_reset_token_is_refused(client):
    ines = await factories.account("ines@example.com")
    (await gql(client, REQUEST_RESET, {"email": ines.email})).ok()
    token = link_token((await last_mail_to(ines.email)).text_body)
    stored = await OneTimeToken.get(account_id=ines.id)
    lifetime = stored.expires_at - stored.created_at
    assert timedelta(minutes=29) < lifetime <= timedelta(minutes=30)
    await OneTimeToken.filter(id=stored.id).update(
        expires_at=datetime.now(UTC) - timedelta(seconds=1)
    )
    result = await gql(client, RESET, {"token": token, "password": NEW_PASSWORD})
    assert result.code_at("resetPassword") == "BAD_USER_INPUT"
    assert (await log_in(client, ines.email, factories.PASSWORD)).ok()


async def test_a_new_reset_cancels_the_older_links_once_used(client):
    ines = await factories.account("ines@example.com")
    (await gql(client, REQUEST_RESET, {"email": ines.email})).ok()
    first = link_token((await last_mail_to(ines.email)).text_body)
    (await gql(client, REQUEST_RESET, {"email": ines.email})).ok()
    second = link_token((await last_mail_to(ines.email)).text_body)
    (await gql(client, RESET, {"token": second, "password": NEW_PASSWORD})).ok()
    stale = await gql(client, RESET, {"token": first, "password": "yet another passphrase"})
    assert stale.code_at("resetPassword") == "BAD_USER_INPUT"


async def test_offline_account_gets_a_seven_day_link_to_choose_its_password(client):
    remi, created = await ensure_account(
        "Remi@Acme.example", full_name="Rémi", kind=AccountKind.COMPANY, reason="phone order"
    )
    assert created
    again, created_again = await ensure_account("remi@acme.example")
    assert again.id == remi.id and not created_again
    mail = await last_mail_to("remi@acme.example")
    assert mail.template == "set_password"
    assert "mot de passe" in mail.text_body  # French by default
    assert mail.html_body and "<a href=" in mail.html_body
    stored = await OneTimeToken.get(account_id=remi.id)
    lifetime = stored.expires_at - stored.created_at
    assert timedelta(days=6, hours=23) < lifetime <= timedelta(days=7)
    assert (await Account.get(id=remi.id)).email_verified_at is None
    assert "https://espace.test/set-password?token=" in mail.text_body  # its own page
    result = await gql(
        client, RESET, {"token": link_token(mail.text_body), "password": NEW_PASSWORD}
    )
    assert result.ok()["resetPassword"]["account"]["email"] == "remi@acme.example"
    assert (await log_in(client, "remi@acme.example", NEW_PASSWORD)).ok()
    # The link reached Rémi's mailbox: his address is proven.
    assert (await Account.get(id=remi.id)).email_verified_at is not None


# --- changeEmail (rule 5) ----------------------------------------------------------------


async def test_change_email_needs_the_acknowledgement_then_the_new_mailbox(client):
    ines = await factories.account("ines@example.com", language="en")
    token = await factories.token_for(ines)
    for _ in range(2):
        await factories.enrollment(registrant_email="ines@example.com")
    for _ in range(3):
        await factories.enrollment(registrant_email="ines.martin@work.example")

    variables = {"password": factories.PASSWORD, "email": "Ines.Martin@Work.example"}
    refused = await gql(client, CHANGE_EMAIL, {**variables, "ack": False}, token=token)
    assert refused.code_at("changeEmail") == "BAD_USER_INPUT"
    extensions = refused.error_at("changeEmail")["extensions"]
    assert extensions["enrollmentsLeavingHistory"] == 2
    # Orders of an address she has not proven yet are not counted before the link.
    assert extensions["enrollmentsJoiningHistory"] == 0
    assert (await gql(client, ME, token=token)).ok()["me"]["email"] == "ines@example.com"
    assert not await OutboxMail.exists()

    requested = await gql(client, CHANGE_EMAIL, {**variables, "ack": True}, token=token)
    assert requested.ok()["changeEmail"] == {
        "account": {"email": "ines@example.com"},
        "newEmail": "ines.martin@work.example",
        "confirmed": False,
        "enrollmentsLeavingHistory": 2,
        "enrollmentsJoiningHistory": 0,
    }
    assert (await gql(client, ME, token=token)).ok()["me"]["email"] == "ines@example.com"
    warning = await last_mail_to("ines@example.com")
    assert warning.template == "confirm_email_change_requested"
    assert "ines.martin@work.example" in warning.text_body
    confirmation = await last_mail_to("ines.martin@work.example")
    assert confirmation.template == "confirm_email_change"
    assert "48 hours" in confirmation.text_body  # the account's language (English)
    assert await AuditEntry.filter(action="account.email_change_requested").count() == 1
    assert not await AuditEntry.filter(action="account.email_changed").exists()

    confirm_token = link_token(confirmation.text_body, "confirm-email-change")
    done = await gql(client, CONFIRM_EMAIL_CHANGE, {"token": confirm_token})  # no session
    assert done.ok()["confirmEmailChange"] == {
        "account": {"email": "ines.martin@work.example", "emailVerified": True},
        "newEmail": "ines.martin@work.example",
        "confirmed": True,
        "enrollmentsLeavingHistory": 2,
        "enrollmentsJoiningHistory": 3,
    }
    assert (await gql(client, ME, token=token)).ok()["me"]["email"] == "ines.martin@work.example"
    notice = await last_mail_to("ines@example.com")
    assert notice.template == "email_changed"
    assert "ines.martin@work.example" in notice.text_body
    assert "changed" in notice.subject  # the account's language (English)
    entry = await AuditEntry.get(action="account.email_changed")
    assert entry.before == {"email": "ines@example.com"}
    assert entry.after["email"] == "ines.martin@work.example"
    assert (await log_in(client, "ines.martin@work.example", factories.PASSWORD)).ok()
    assert (await log_in(client, "ines@example.com", factories.PASSWORD)).code_at("logIn")


async def test_change_email_refuses_a_wrong_password_a_taken_address_and_anonymous(client):
    """A taken address is refused when the link is followed, not before: asking answers the
    same whether or not an account uses the address."""
    ines = await factories.account("ines@example.com")
    await factories.account("bruno@boreal.example")
    token = await factories.token_for(ines)
    wrong = await gql(
        client,
        CHANGE_EMAIL,
        {"password": "not my password", "email": "new@example.com", "ack": True},
        token=token,
    )
    assert wrong.code_at("changeEmail") == "BAD_USER_INPUT"
    assert wrong.error_at("changeEmail")["extensions"]["reason"] == "WRONG_PASSWORD"
    assert "enrollmentsJoiningHistory" not in wrong.error_at("changeEmail")["extensions"]
    taken = await gql(
        client,
        CHANGE_EMAIL,
        {"password": factories.PASSWORD, "email": "Bruno@Boreal.example", "ack": True},
        token=token,
    )
    assert taken.ok()["changeEmail"]["confirmed"] is False
    confirmation = await last_mail_to("bruno@boreal.example")
    confirm_token = link_token(confirmation.text_body, "confirm-email-change")
    conflict = await gql(client, CONFIRM_EMAIL_CHANGE, {"token": confirm_token})
    assert conflict.code_at("confirmEmailChange") == "CONFLICT"
    anonymous = await gql(
        client,
        CHANGE_EMAIL,
        {"password": factories.PASSWORD, "email": "new@example.com", "ack": True},
    )
    assert anonymous.code_at("changeEmail") == "UNAUTHENTICATED"
    assert (await Account.get(id=ines.id)).email == "ines@example.com"
    assert not await AuditEntry.filter(action="account.email_changed").exists()
