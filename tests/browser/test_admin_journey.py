"""The admin dashboard as a person clicks, in a real browser: a company admin invites a
colleague with two document kinds (by keyboard only: Tab, Space on the checkboxes, Enter on
the button); the colleague accepts from the mailed link and sees exactly the kinds the policy
then lets them read (those two, by rule 7) on the enrollment page, and no admin controls;
the admin cannot lower themselves (the control is disabled and says why); the admin
downloads the CSV export (asked with the Authorization header, never a token in a URL).
Screenshots go to var/screenshots/."""

from __future__ import annotations

import re

from playwright.async_api import Browser, Page, expect

from models.enrollments import Enrollment
from models.enums import AccessRole, DocumentKind, EnrollmentStatus
from policies.engine import Policy
from tests import factories
from tests.browser.mailbox import Mailbox
from tests.browser.pages import go_to, sign_in, token_of
from tests.live_server import LiveServer
from tests.policy_oracle import visible_kinds

ADMIN = "claire.admin@acme.example"
COLLEAGUE = "marc.collegue@acme.example"
COLLEAGUE_PASSWORD = "une autre phrase de passe"
KIND_LABELS = {
    DocumentKind.INVOICE_COPY: "Duplicata de facture",
    DocumentKind.TRAINING_AGREEMENT: "Convention de formation",
    DocumentKind.EVALUATION: "Évaluation",
    DocumentKind.CERTIFICATE_OF_ATTENDANCE: "Attestation de stage",
}
ISSUED = [
    DocumentKind.INVOICE_COPY,
    DocumentKind.TRAINING_AGREEMENT,
    DocumentKind.EVALUATION,
    DocumentKind.CERTIFICATE_OF_ATTENDANCE,
]


async def acme() -> tuple[object, str]:
    """Acme Paris with its admin and one validated enrollment whose documents of four kinds
    are issued; answers the establishment and the enrollment's reference."""
    site = await factories.establishment(await factories.company("Acme"), name="Acme Paris")
    admin = await factories.account(ADMIN, full_name="Claire Admin")
    await factories.access(admin, site, AccessRole.ADMIN)
    enrollment = await factories.enrollment(
        registrant_email=ADMIN, site=site, status=EnrollmentStatus.VALIDATED
    )
    for kind in ISSUED:
        await factories.document(enrollment, kind)
    return site, enrollment.reference


async def enrolled(reference: str) -> Enrollment:
    return await Enrollment.get(reference=reference)


async def test_an_admin_invites_a_colleague_who_sees_exactly_the_kinds_given(
    page: Page, browser: Browser, server: LiveServer, mailbox: Mailbox, screenshot
):
    _, reference = await acme()
    await sign_in(page, ADMIN)
    await go_to(page, "Administration")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Administration — Acme Paris")
    await expect(page.locator("#stats-table")).to_contain_text("Validée")

    # One's own admin access cannot be lowered nor removed, and the page says why.
    own_role = page.get_by_label("Niveau d'accès de Claire Admin")
    await expect(own_role).to_be_disabled()
    await expect(own_role).to_have_accessible_description(re.compile("votre propre accès"))
    for button in ("Retirer l'accès de Claire Admin", "Enregistrer l'accès de Claire Admin"):
        await expect(page.get_by_role("button", name=button)).to_be_disabled()
    own_revoke = page.get_by_role("button", name="Retirer l'accès de Claire Admin")
    await expect(own_revoke).to_have_accessible_description(re.compile("votre propre accès"))

    # The invitation, by keyboard only: Tab to the checkboxes, Space, Enter on the button.
    grant = page.locator("#grant-form")
    await grant.get_by_label("Adresse e-mail de la personne").focus()
    await page.keyboard.type(COLLEAGUE)
    await page.keyboard.press("Tab")
    await expect(grant.get_by_label("Niveau d'accès", exact=True)).to_be_focused()
    await page.keyboard.press("Tab")
    invoice_copy = grant.get_by_label("Duplicata de facture")
    await expect(invoice_copy).to_be_focused()
    await page.keyboard.press("Space")
    await expect(invoice_copy).to_be_checked()
    for _ in range(4):  # agreement, attendance sheet, evaluation, certificate
        await page.keyboard.press("Tab")
    certificate = grant.get_by_label("Attestation de stage")
    await expect(certificate).to_be_focused()
    await page.keyboard.press("Space")
    await expect(certificate).to_be_checked()
    for _ in range(4):  # funding approval, purchase order, signed quote, the button
        await page.keyboard.press("Tab")
    submit = grant.get_by_role("button", name="Donner l'accès")
    await expect(submit).to_be_focused()
    await page.keyboard.press("Enter")
    await expect(page.locator("#admin-notice")).to_contain_text(
        f"Une invitation a été envoyée à {COLLEAGUE}"
    )
    invitation = page.locator("#invitations-table tbody tr", has_text=COLLEAGUE)
    await expect(invitation).to_contain_text("En attente")
    await expect(invitation).to_contain_text("Duplicata de facture, Attestation de stage")
    await screenshot(page, "admin-dashboard")

    # The colleague, in their own browser, accepts from the mailed link.
    other = await browser.new_context(base_url=server.url, locale="fr-FR")
    try:
        colleague = await other.new_page()
        mail = await mailbox.wait_for(COLLEAGUE)
        await colleague.goto(mail.link_path("/accept-invitation"))
        await colleague.get_by_label("Nom et prénom").fill("Marc Collègue")
        await colleague.get_by_label("Mot de passe", exact=True).fill(COLLEAGUE_PASSWORD)
        await colleague.get_by_role("button", name="Accepter l'invitation").click()
        await expect(colleague).to_have_url(re.compile(r"/history"))
        navigation = colleague.get_by_role("navigation", name="Navigation principale")
        await expect(navigation.get_by_role("link", name="Mes inscriptions")).to_be_visible()
        await expect(navigation.get_by_role("link", name="Administration")).to_have_count(0)

        # On the enrollment page, exactly the issued kinds the policy lets the colleague
        # read: the two given (rule 7), and any other kind only if a rule says so.
        allowed = await visible_kinds(Policy(), COLLEAGUE, (await enrolled(reference)).id)
        shown = [KIND_LABELS[kind] for kind in ISSUED if kind.value in allowed]
        assert {"Duplicata de facture", "Attestation de stage"} <= set(shown)
        await colleague.get_by_role("link", name=re.compile(reference)).first.click()
        documents = colleague.locator("#documents-list > li > strong")
        await expect(documents).to_have_count(len(shown))
        assert sorted(await documents.all_inner_texts()) == sorted(shown)
        downloads = colleague.get_by_role("button", name=re.compile("^Télécharger"))
        await expect(downloads).to_have_count(len(shown))

        # No admin controls: the page is not theirs.
        await colleague.goto("/admin")
        await expect(colleague.get_by_role("heading", level=1)).to_have_text("Page introuvable")
        await expect(colleague.get_by_role("button", name=re.compile("Retirer"))).to_have_count(0)
    finally:
        await other.close()

    # Back on the dashboard: the colleague's access, with those two kinds ticked.
    await page.reload()
    person = page.locator("form.access", has_text=COLLEAGUE)
    await expect(person.get_by_label("Duplicata de facture")).to_be_checked()
    await expect(person.get_by_label("Attestation de stage")).to_be_checked()
    await expect(person.get_by_label("Évaluation")).not_to_be_checked()
    revoke = person.get_by_role("button", name="Retirer l'accès de Marc Collègue")
    await expect(revoke).to_be_enabled()
    await expect(page.locator("#invitations-table tbody tr", has_text=COLLEAGUE)).to_have_count(0)
    await expect(page.locator("#audit-table")).to_contain_text("Invitation acceptée")

    # Change the colleague's kinds, then revoke the access (confirmed by a second click).
    await person.get_by_label("Attestation de stage").uncheck()
    await person.get_by_label("Évaluation").check()
    await person.get_by_role("button", name="Enregistrer l'accès de Marc Collègue").click()
    await expect(page.locator("#admin-notice")).to_contain_text(
        "L'accès de Marc Collègue est enregistré"
    )
    person = page.locator("form.access", has_text=COLLEAGUE)
    await expect(person.get_by_label("Évaluation")).to_be_checked()
    await expect(person.get_by_label("Attestation de stage")).not_to_be_checked()
    await person.get_by_role("button", name="Retirer l'accès de Marc Collègue").click()
    await person.get_by_role(
        "button", name="Confirmer le retrait de l'accès de Marc Collègue"
    ).click()
    await expect(page.locator("#admin-notice")).to_contain_text(
        "L'accès de Marc Collègue est retiré"
    )
    await expect(page.locator("form.access", has_text=COLLEAGUE)).to_have_count(0)


async def test_an_admin_downloads_the_csv_export(page: Page, server: LiveServer, screenshot):
    _, reference = await acme()
    await sign_in(page, ADMIN)
    await go_to(page, "Administration")
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    async with page.expect_download() as waiting:
        await page.get_by_role("button", name="Exporter les inscriptions (CSV)").click()
    download = await waiting.value
    path = await download.path()
    assert path is not None
    text = path.read_text(encoding="utf-8-sig")
    assert reference in text
    assert download.suggested_filename.endswith(".csv")
    await expect(page.get_by_role("status").filter(has_text="est téléchargé")).to_be_visible()
    token = await token_of(page)
    assert token and any("/exports/enrollments.csv" in url for url in requests)
    assert not any(token in url for url in requests)  # sent as a header, never in a URL

    # The dashboard in English, from the header's switch.
    await page.get_by_role("button", name="Switch to English").click()
    await expect(page.get_by_role("heading", name="People and accesses")).to_be_visible()
    await expect(page.get_by_role("button", name="Export the enrollments (CSV)")).to_be_visible()
    own_role = page.get_by_label("Access level of Claire Admin")
    await expect(own_role).to_have_accessible_description(re.compile("your own admin access"))
