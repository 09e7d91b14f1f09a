"""Each page a mailed link opens, as a person clicks, with the link read from the mail the
server sent over real SMTP: the first password of an account created by an order taken by
phone (rule 2), a forgotten password (rule 3), a login e-mail change with the rule-5 warning
before anything changes, an access invitation accepted by someone without an account."""

from __future__ import annotations

import re

from playwright.async_api import Page, expect

from models.enums import AccessRole, AccountKind
from tests import factories
from tests.browser.mailbox import Mailbox
from tests.browser.pages import api, go_to, sign_in, sign_out, staff_token
from tests.live_server import LiveServer

NEW_PASSWORD = "un tout nouveau mot de passe"


async def _choose_password(page: Page, password: str = NEW_PASSWORD) -> None:
    await page.get_by_label("Nouveau mot de passe").fill(password)
    await page.get_by_label("Confirmez le mot de passe").fill(password)
    await page.get_by_role("button", name="Enregistrer mon mot de passe").click()


async def test_an_order_taken_by_phone_leads_to_choosing_a_password(
    page: Page, server: LiveServer, mailbox: Mailbox, screenshot
):
    session = await factories.course_session(code="PHONE-1")
    staff = await staff_token()
    await api(
        server,
        """mutation($input: OfflineEnrollmentInput!) {
             recordOfflineEnrollment(input: $input) { accountCreated } }""",
        {
            "input": {
                "sessionId": str(session.id),
                "trainees": [{"firstName": "Nadia", "lastName": "Benali"}],
                "registrantEmail": "nadia@example.com",
                "registrantName": "Nadia Benali",
                "channel": "PHONE",
            }
        },
        token=staff,
    )
    mail = await mailbox.wait_for("nadia@example.com")
    assert "/set-password?token=" in mail.link("/set-password")
    await page.goto(mail.link_path("/set-password"))
    await expect(page.get_by_role("heading", level=1)).to_have_text("Choisir votre mot de passe")
    await expect(page.get_by_text("par téléphone ou par e-mail")).to_be_visible()
    await screenshot(page, "set-password")
    await page.get_by_label("Nouveau mot de passe").fill(NEW_PASSWORD)
    await page.get_by_label("Confirmez le mot de passe").fill("something else entirely")
    await page.get_by_role("button", name="Enregistrer mon mot de passe").click()
    await expect(page.get_by_role("alert")).to_have_text("Les deux mots de passe sont différents.")
    await _choose_password(page)
    await expect(page).to_have_url(re.compile(r"/history\?welcome=1"))
    await expect(page.get_by_text("Votre mot de passe est enregistré")).to_be_visible()
    await expect(page.locator("#history-table tbody tr")).to_have_count(1)  # the phone order
    await expect(page.locator("#history-table")).to_contain_text("PHONE-1")


async def test_a_forgotten_password_is_reset_from_the_mailed_link(
    page: Page, server: LiveServer, mailbox: Mailbox
):
    await factories.account("ines@example.com", kind=AccountKind.INDIVIDUAL)
    await page.goto("/sign-in")
    await page.get_by_role("link", name="Mot de passe oublié ?").click()
    # The sign-in page has an "Adresse e-mail" field too: wait for the new page first.
    await expect(page.get_by_role("heading", level=1)).to_have_text("Mot de passe oublié")
    await page.get_by_label("Adresse e-mail").fill("ines@example.com")
    await page.get_by_role("button", name="Recevoir le lien").click()
    await expect(page.get_by_role("status")).to_contain_text("Si un compte utilise")
    mail = await mailbox.wait_for("ines@example.com")
    await page.goto(mail.link_path("/reset-password"))
    await expect(page.get_by_role("heading", level=1)).to_have_text(
        "Choisir un nouveau mot de passe"
    )
    await _choose_password(page)
    await expect(page).to_have_url(re.compile(r"/history"))
    await sign_out(page)
    await sign_in(page, "ines@example.com", NEW_PASSWORD)
    # The link was used: opened again, it says so and offers a new one.
    await page.goto(mail.link_path("/reset-password"))
    await _choose_password(page, "encore un autre mot de passe")
    await expect(page.get_by_role("alert")).to_be_visible()
    await expect(page.get_by_role("link", name="Recevoir un nouveau lien")).to_be_visible()


async def test_changing_the_login_email_warns_before_and_confirms_from_the_new_address(
    page: Page, server: LiveServer, mailbox: Mailbox, screenshot
):
    await factories.account("ines@example.com", kind=AccountKind.INDIVIDUAL)
    for _ in range(2):
        await factories.enrollment(registrant_email="ines@example.com")
    await factories.enrollment(registrant_email="ines@work.example")
    await sign_in(page, "ines@example.com")
    await expect(page.locator("#history-table tbody tr")).to_have_count(2)
    await go_to(page, "Mon compte")
    await page.get_by_label("Nouvelle adresse e-mail").fill("ines@work.example")
    await page.get_by_label("Mot de passe", exact=True).fill(factories.PASSWORD)
    await page.get_by_role("button", name="Continuer").click()

    # The warning comes first, with what leaves the history; nothing is sent yet.
    warning = page.locator("#email-change-warning")
    await expect(warning).to_contain_text("2 inscription(s) passée(s) avec ines@example.com")
    await screenshot(page, "email-change-warning")
    assert not mailbox.to("ines@work.example")
    acknowledge = page.get_by_label("J'ai compris que mon historique va changer")
    await expect(acknowledge).to_be_focused()
    await acknowledge.check()
    await page.get_by_role("button", name="Envoyer le lien de confirmation").click()
    await expect(page.get_by_role("status")).to_contain_text(
        "Un lien de confirmation a été envoyé à ines@work.example"
    )

    # The link mailed to the new address, opened: the page repeats what changes.
    mail = await mailbox.wait_for("ines@work.example")
    await page.goto(mail.link_path("/confirm-email-change"))
    await expect(page.get_by_role("note")).to_contain_text("quitteront votre historique")
    await page.get_by_role("button", name="Confirmer le changement").click()
    await expect(page.get_by_role("status")).to_contain_text(
        "Votre adresse de connexion est désormais ines@work.example"
    )
    await expect(
        page.get_by_text("2 inscription(s) quittent votre historique, 1 le rejoignent")
    ).to_be_visible()
    await page.get_by_role("link", name="Voir mes inscriptions").click()
    await expect(page.locator("#history-table tbody tr")).to_have_count(1)


async def test_an_invitation_is_accepted_by_someone_without_an_account(
    page: Page, server: LiveServer, mailbox: Mailbox, screenshot
):
    claire = await factories.account("claire@acme.example")
    site = await factories.establishment(name="Acme Paris")
    await factories.access(claire, site, AccessRole.ADMIN)
    await factories.enrollment(registrant_email="claire@acme.example", site=site)
    await api(
        server,
        """mutation($site: ID!) {
             grantAccessOrInvite(establishmentId: $site, email: "samuel@acme.example",
                                 role: STANDARD, documentKinds: [INVOICE_COPY]) {
               invitation { id } } }""",
        {"site": str(site.id)},
        token=await factories.token_for(claire),
    )
    mail = await mailbox.wait_for("samuel@acme.example")
    await page.goto(mail.link_path("/accept-invitation"))
    await expect(page.get_by_role("heading", level=1)).to_have_text("Accepter l'invitation")
    await page.get_by_label("Nom et prénom").fill("Samuel Durand")
    await page.get_by_label("Mot de passe", exact=True).fill(NEW_PASSWORD)
    await screenshot(page, "accept-invitation")
    await page.get_by_role("button", name="Accepter l'invitation").click()
    await expect(page).to_have_url(re.compile(r"/history\?joined="))
    await expect(page.get_by_text("Invitation acceptée")).to_be_visible()
    await expect(page.locator("#history-table tbody tr")).to_have_count(1)  # Acme Paris's
    await go_to(page, "Mon compte")
    accesses = page.locator("#my-accesses")
    await expect(accesses).to_contain_text("Acme Paris")
    await expect(accesses).to_contain_text("Accès standard")
    await expect(accesses).to_contain_text("Duplicata de facture")
