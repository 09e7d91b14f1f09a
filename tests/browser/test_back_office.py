"""The staff back office and the policy reviewers' page, as a person clicks, in a real
browser: staff validate a booking request (the overdue ones listed first: by their
`expectedValidationBy`, not their booking date), attach a PDF to an enrollment, approve a
request for an admin access; a reviewer explains a denial (a development server serves the
page; tests/test_policy_review_web.py checks production does not). Screenshots go to
var/screenshots/."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

from playwright.async_api import Browser, Page, expect

from infra.pdf import simple_pdf
from models.enrollments import Enrollment
from models.enums import AccessRole
from tests import factories
from tests.browser.mailbox import Mailbox
from tests.browser.pages import api, go_to, sign_in
from tests.live_server import LiveServer, live_server

STAFF = "sophie.staff@espace.example"


async def test_staff_validate_the_overdue_request_first_and_attach_a_document(
    page: Page, server: LiveServer, mailbox: Mailbox, screenshot
):
    site = await factories.establishment(name="Acme Paris")
    now = datetime.now(UTC)
    # Booked long ago but due later (its deadline moved): on time, though booked first.
    on_time = await factories.enrollment(
        registrant_email="lea@acme.example", site=site, booked_at=now - timedelta(days=20)
    )
    await Enrollment.filter(id=on_time.id).update(expected_validation_by=now + timedelta(days=1))
    overdue = await factories.enrollment(
        registrant_email="hugo@acme.example", site=site, booked_at=now - timedelta(days=6)
    )
    await factories.account(STAFF, is_staff=True, full_name="Sophie Staff")

    await sign_in(page, STAFF)
    await go_to(page, "Back-office")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Back-office")
    rows = page.locator("#validations-table tbody tr")
    await expect(rows).to_have_count(2)
    await expect(rows.nth(0)).to_contain_text(overdue.reference)
    await expect(rows.nth(0)).to_contain_text("En retard")
    await expect(rows.nth(1)).to_contain_text(on_time.reference)
    await expect(rows.nth(1)).to_contain_text("Dans les délais")
    await screenshot(page, "back-office")

    await page.get_by_role("button", name=f"Valider la demande {overdue.reference}").click()
    await expect(page.locator("#back-office-notice")).to_contain_text(
        f"La demande {overdue.reference} est validée"
    )
    await expect(rows).to_have_count(1)
    await expect(rows.first).to_contain_text(on_time.reference)
    await mailbox.wait_for("hugo@acme.example")  # the registrant's confirmation
    assert (await Enrollment.get(id=overdue.id)).status == "VALIDATED"

    # A PDF attached to the validated enrollment, found by its reference.
    upload = page.locator("#upload-form")
    await upload.get_by_label("Inscription (référence, nom ou e-mail)").fill(overdue.reference)
    await upload.get_by_role("button", name="Rechercher").click()
    await expect(upload.get_by_label("Inscription trouvée")).to_contain_text(overdue.reference)
    await upload.get_by_label("Type de document").select_option("ATTENDANCE_SHEET")
    await upload.get_by_label("Fichier PDF").set_input_files(
        {"name": "emargement.pdf", "mimeType": "application/pdf", "buffer": simple_pdf(["x"])}
    )
    await upload.get_by_role("button", name="Joindre le document").click()
    await expect(upload.get_by_role("status")).to_contain_text(
        f"est joint à l'inscription {overdue.reference}"
    )


async def test_staff_approve_a_request_for_an_admin_access(page: Page, server: LiveServer):
    site = await factories.establishment(name="Acme Lyon")
    requester = await factories.account("remi@acme.example", full_name="Rémi Registrant")
    token = await factories.token_for(requester)
    await api(
        server,
        "mutation($siret: String!) { requestAdminAccess(siret: $siret, "
        'message: "Je gère les formations") { id } }',
        {"siret": site.siret},
        token=token,
    )
    await factories.account(STAFF, is_staff=True, full_name="Sophie Staff")
    await sign_in(page, STAFF)
    await go_to(page, "Back-office")
    requests = page.locator("#admin-requests-table tbody tr")
    await expect(requests).to_have_count(1)
    await expect(requests.first).to_contain_text("Je gère les formations")
    await requests.first.get_by_label("Note de décision pour remi@acme.example").fill("Vérifié")
    await page.get_by_role("button", name="Approuver la demande de remi@acme.example").click()
    await expect(page.locator("#back-office-notice")).to_contain_text("est approuvée")
    await expect(page.locator("#admin-requests-table")).to_have_count(0)
    me = await api(server, "{ me { accesses { role establishment { name } } } }", token=token)
    assert {"role": "ADMIN", "establishment": {"name": "Acme Lyon"}} in me["me"]["accesses"]


async def test_a_reviewer_has_a_denial_explained(page: Page, server: LiveServer, screenshot):
    site = await factories.establishment(name="Acme Paris")
    colleague = await factories.account("marc@acme.example")
    await factories.access(colleague, site, AccessRole.STANDARD)

    await page.goto("/policy-review")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Revue des règles d'accès")
    await expect(page.locator("table.matrix").first).to_contain_text("manage_accesses")
    form = page.locator("#explain-form")
    await form.get_by_label("Qui (adresse e-mail du compte)").fill("marc@acme.example")
    await form.get_by_label("Action").fill("manage_accesses")
    await form.get_by_label("Objet (TYPE:ID)").fill(f"Establishment:{site.id}")
    await form.get_by_role("button", name="Expliquer").click()
    await expect(page.locator("#explain-verdict")).to_have_text("Refusé")
    explanation = page.locator("#explain-output")
    await expect(explanation).to_contain_text("marc@acme.example")
    await expect(explanation).to_contain_text(re.compile(r"\.polar"))
    await screenshot(page, "policy-review")

    # A question that cannot be asked says why, next to the form.
    await form.get_by_label("Qui (adresse e-mail du compte)").fill("nobody@acme.example")
    await form.get_by_role("button", name="Expliquer").click()
    await expect(form.get_by_role("alert")).to_contain_text("nobody@acme.example")


async def test_the_reviewer_page_does_not_exist_in_production(
    browser: Browser, tmp_dir: Path, mailbox: Mailbox
):
    settings = {"ENVIRONMENT": "prod", "SECRET_KEY": "a production secret " * 3}
    with live_server(tmp_dir, **settings, **mailbox.settings()) as production:
        context = await browser.new_context(base_url=production.url, locale="fr-FR")
        try:
            page = await context.new_page()
            await page.goto("/policy-review")
            await expect(page.get_by_role("heading", level=1)).to_have_text("Page introuvable")
            await expect(page.locator("#explain-form")).to_have_count(0)
            matrix = await page.request.get("/dev/policy/matrix")
            assert matrix.status == 404
        finally:
            await context.close()
