"""Invitations and dormant accesses, through GraphQL: who takes an invitation,
what the audit log shows, and what happens to an access held by an unverified account."""

from __future__ import annotations

from models.access import Access, Invitation
from models.accounts import Account
from models.enums import AccessRole
from models.mail import OutboxMail
from tests import factories
from tests.graphql import gql

GRANT = """
mutation ($site: ID!, $email: String!, $role: AccessRole!) {
  grantAccessOrInvite(establishmentId: $site, email: $email, role: $role) {
    access { id role } invitation { id email role }
  }
}"""
ACCEPT = """
mutation ($token: String!, $password: String) {
  acceptInvitation(token: $token, password: $password) { token access { role } }
}"""
AUDIT = "query ($site: ID!) { auditLog(establishmentId: $site) { action actorEmail } }"
SITES = "{ establishments { name } }"


async def _link_token(address: str) -> str:
    mail = await OutboxMail.filter(to=address, template="invitation").order_by("-id").first()
    assert mail is not None
    return mail.text_body.split("accept-invitation?token=")[1].split()[0]


async def _admin_and_site() -> tuple[str, int]:
    site = await factories.establishment(await factories.company("Acme"), "Acme Paris")
    claire = await factories.account("claire@acme.example")
    await factories.access(claire, site, AccessRole.ADMIN)
    return await factories.token_for(claire), site.id


async def test_a_verified_account_gets_the_access_at_once(client):
    claire, site = await _admin_and_site()
    await factories.account("samuel@acme.example")
    granted = await gql(
        client, GRANT, {"site": site, "email": "samuel@acme.example", "role": "ADMIN"}, claire
    )
    outcome = granted.ok()["grantAccessOrInvite"]
    assert outcome["invitation"] is None and outcome["access"]["role"] == "ADMIN"
    assert not await Invitation.exists()


async def test_the_invited_account_signed_in_accepts_without_a_password(client):
    claire, site = await _admin_and_site()
    hugo = await factories.account("hugo@acme.example", verified=False)
    hugo_token = await factories.token_for(hugo)
    await gql(client, GRANT, {"site": site, "email": hugo.email, "role": "STANDARD"}, claire)
    link = await _link_token(hugo.email)

    # Somebody else, signed in, cannot take it.
    other = await factories.token_for(await factories.account("remi@acme.example"))
    refused = await gql(client, ACCEPT, {"token": link}, other)
    assert refused.errors[0]["extensions"]["reason"] == "INVITATION_FOR_ANOTHER_ADDRESS"
    # Not signed in, a password is needed.
    anonymous = await gql(client, ACCEPT, {"token": link})
    assert anonymous.errors[0]["extensions"]["reason"] == "PASSWORD_REQUIRED"

    accepted = (await gql(client, ACCEPT, {"token": link}, hugo_token)).ok()["acceptInvitation"]
    assert accepted == {"token": None, "access": {"role": "STANDARD"}}
    assert (await Account.get(id=hugo.id)).email_verified_at is not None  # the link proved it
    assert (await gql(client, SITES, token=hugo_token)).ok()["establishments"] == [
        {"name": "Acme Paris"}
    ]
    log = (await gql(client, AUDIT, {"site": site}, claire)).ok()["auditLog"]
    assert [e["action"] for e in log][:3] == [
        "invitation.accepted",
        "access.granted_invitation",
        "invitation.sent",
    ]


async def test_inviting_again_replaces_the_pending_link(client):
    claire, site = await _admin_and_site()
    variables = {"site": site, "email": "olga@acme.example", "role": "STANDARD"}
    await gql(client, GRANT, variables, claire)
    first = await _link_token("olga@acme.example")
    await gql(client, GRANT, {**variables, "role": "ADMIN"}, claire)
    second = await _link_token("olga@acme.example")
    stale = await gql(client, ACCEPT, {"token": first, "password": "olga's long passphrase"})
    assert stale.errors[0]["extensions"]["reason"] == "INVALID_TOKEN"
    fresh = await gql(client, ACCEPT, {"token": second, "password": "olga's long passphrase"})
    assert fresh.ok()["acceptInvitation"]["access"] == {"role": "ADMIN"}


async def test_an_access_of_an_unverified_account_is_dormant_until_it_verifies(client):
    """What migration 0004 leaves in place: the access is kept, ignored by the policy while
    the address is unproven, and works unchanged once its owner follows a link."""
    site = await factories.establishment(await factories.company("Acme"), "Acme Paris")
    await factories.enrollment(registrant_email="someone@acme.example", site=site)
    holder = await factories.account("lea@acme.example", verified=False)
    await factories.access(holder, site, AccessRole.ADMIN)
    token = await factories.token_for(holder)
    history = "{ enrollments { totalCount } }"
    assert (await gql(client, SITES, token=token)).ok()["establishments"] == []
    assert (await gql(client, history, token=token)).ok()["enrollments"]["totalCount"] == 0

    resend = "mutation ($e: String!) { resendVerificationEmail(email: $e) }"
    (await gql(client, resend, {"e": holder.email})).ok()
    mail = await OutboxMail.filter(to=holder.email, template="verify_email").first()
    link = mail.text_body.split("token=")[1].split()[0]
    verify = "mutation ($t: String!) { verifyEmail(token: $t) { emailVerified } }"
    (await gql(client, verify, {"t": link})).ok()
    assert (await gql(client, SITES, token=token)).ok()["establishments"] == [
        {"name": "Acme Paris"}
    ]
    assert (await gql(client, history, token=token)).ok()["enrollments"]["totalCount"] == 1
    assert await Access.filter(account=holder).count() == 1
