"""The customer journey as a person clicks, in a real browser: a company signs up, verifies
its e-mail with the link read from the real SMTP capture, enrols two people; staff validate
(through the API: the back-office page has its own scenarios); the registrant is admin of
the establishment (rule 9); a document downloads; a cancel works once and is then no longer
offered. Screenshots of the main pages go to var/screenshots/."""

from __future__ import annotations

import re

from playwright.async_api import Page, expect

from models.enums import AccountKind
from tests import factories
from tests.browser.mailbox import Mailbox
from tests.browser.pages import (
    enrollment_id_in,
    generate_document,
    go_to,
    sign_in,
    staff_token,
    validate_enrollment,
)
from tests.live_server import LiveServer

EMAIL = "claire@acme.example"
PASSWORD = "une phrase de passe bien longue"


async def test_a_company_signs_up_enrols_is_validated_downloads_and_cancels_once(
    page: Page, server: LiveServer, mailbox: Mailbox, screenshot
):
    session = await factories.course_session(code="MGT-101", price="1200.00")
    staff = await staff_token()

    # Sign up as a company with a SIRET new to us: the establishment is registered.
    await page.goto("/")
    await page.get_by_role("link", name="Créer un compte").first.click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Créer un compte")
    await page.get_by_label("Entreprise", exact=True).check()
    await page.get_by_label("Nom et prénom").fill("Claire Dupont")
    await page.get_by_label("Adresse e-mail").fill(EMAIL)
    await page.get_by_label("Mot de passe", exact=True).fill(PASSWORD)
    await page.get_by_label("Confirmez le mot de passe").fill(PASSWORD)
    await page.get_by_label("Numéro SIRET de l'établissement").fill("732 829 320 00074")
    await page.get_by_label("Raison sociale").fill("Acme")
    await page.get_by_label("Nom de l'établissement").fill("Acme Paris")
    await page.get_by_label("Ville").fill("Paris")
    await screenshot(page, "sign-up")
    await page.get_by_role("button", name="Créer mon compte").click()
    await expect(page).to_have_url(re.compile(r"/account\?welcome=1"))
    await expect(page.get_by_text("Pas encore vérifiée")).to_be_visible()

    # The verification link, read from the mail the server sent, opened in the browser.
    mail = await mailbox.wait_for(EMAIL)
    await page.goto(mail.link_path("/verify-email"))
    await page.get_by_role("button", name="Vérifier mon adresse").click()
    await expect(page.get_by_role("status")).to_contain_text("est vérifiée")

    # Enrol two people from the catalog, for the establishment registered at sign-up.
    await go_to(page, "Catalogue")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Catalogue des formations")
    await screenshot(page, "catalog")
    course_title = session.course.title  # type: ignore[attr-defined]
    await page.get_by_role("link", name=f"Voir et s'inscrire : {course_title}").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(course_title)
    await expect(page.get_by_label("Commande passée pour")).to_have_value(re.compile(r"\d+"))
    first = page.get_by_role("group", name="Participant 1")
    await first.get_by_label("Prénom").fill("Léa")
    await first.get_by_label("Nom", exact=True).fill("Martin")
    await page.get_by_role("button", name="Ajouter un participant").click()
    second = page.get_by_role("group", name="Participant 2")
    await second.get_by_label("Prénom").fill("Hugo")
    await second.get_by_label("Nom", exact=True).fill("Bernard")
    await expect(page.get_by_text("Total estimé : 2 400,00 €", exact=False)).to_be_visible()
    await screenshot(page, "enrol")
    await page.get_by_role("button", name="Envoyer la demande d'inscription").click()
    await expect(page.get_by_role("status")).to_contain_text("Demande d'inscription")
    await page.get_by_role("link", name="Voir l'inscription").click()
    await expect(page.get_by_text("En cours de validation")).to_be_visible()
    await expect(page.locator("#trainees-table tbody tr")).to_have_count(2)
    enrollment_id = enrollment_id_in(page.url)

    # Staff validate it and issue the training agreement.
    await validate_enrollment(server, staff, enrollment_id)
    await generate_document(server, staff, enrollment_id, "TRAINING_AGREEMENT")

    # The history shows it validated; the registrant is now admin of the establishment.
    await go_to(page, "Mes inscriptions")
    row = page.locator("#history-table tbody tr")
    await expect(row).to_have_count(1)
    await expect(row.first).to_contain_text("Validée")
    await screenshot(page, "history")
    await go_to(page, "Mon compte")
    await expect(page.locator("#my-accesses")).to_contain_text("Acme Paris")
    await expect(page.locator("#my-accesses")).to_contain_text("Administrateur")

    # The training agreement downloads, as a PDF.
    await page.goto(f"/enrollments/{enrollment_id}")
    await expect(page.get_by_text("Validée", exact=True)).to_be_visible()
    await screenshot(page, "enrollment")
    async with page.expect_download() as waiting:
        await page.get_by_role("button", name=re.compile(r"^Télécharger .*\.pdf$")).click()
    download = await waiting.value
    path = await download.path()
    assert path is not None and path.read_bytes().startswith(b"%PDF")
    assert download.suggested_filename.endswith(".pdf")

    # Cancel: offered once, confirmed, then no longer offered.
    await page.get_by_role("button", name="Annuler cette inscription…").click()
    await page.get_by_label("Motif (facultatif)").fill("Dates incompatibles")
    await page.get_by_role("button", name="Confirmer l'annulation").click()
    await expect(page.get_by_role("status").first).to_contain_text("L'inscription est annulée")
    await expect(page.locator("dd .badge")).to_have_text("Annulée")
    await expect(page.get_by_role("button", name="Annuler cette inscription…")).to_have_count(0)
    await page.reload()
    await expect(page.locator("dd .badge")).to_have_text("Annulée")
    await expect(page.get_by_role("button", name="Annuler cette inscription…")).to_have_count(0)
    await expect(page.locator("#actions")).to_contain_text("Aucune action")
    await screenshot(page, "cancelled")
    cancelled = await mailbox.wait_for(EMAIL, subject="annul")
    assert "Dates incompatibles" not in cancelled.subject


async def test_an_individual_enrols_before_verifying_and_finds_the_order_once_verified(
    page: Page, server: LiveServer, mailbox: Mailbox
):
    session = await factories.course_session(code="IND-1")
    await page.goto("/sign-up")
    await page.get_by_label("Particulier").check()
    await expect(page.get_by_label("Numéro SIRET de l'établissement")).to_be_hidden()
    await page.get_by_label("Nom et prénom").fill("Inès Martin")
    await page.get_by_label("Adresse e-mail").fill("ines@example.com")
    await page.get_by_label("Mot de passe", exact=True).fill(PASSWORD)
    await page.get_by_label("Confirmez le mot de passe").fill(PASSWORD)
    await page.get_by_role("button", name="Créer mon compte").click()
    await expect(page.locator("dl.facts")).to_contain_text("Particulier")

    # Not verified yet: the booking request is taken, but not shown in her history yet.
    await page.goto(f"/catalog/{session.course_id}")
    await expect(page.get_by_label("Commande passée pour")).to_have_count(0)  # no company
    first = page.get_by_role("group", name="Participant 1")
    await first.get_by_label("Prénom").fill("Inès")
    await first.get_by_label("Nom", exact=True).fill("Martin")
    await page.get_by_role("button", name="Envoyer la demande d'inscription").click()
    await expect(page.get_by_role("status")).to_contain_text("Vérifiez votre adresse e-mail")

    mail = await mailbox.wait_for("ines@example.com")
    await page.goto(mail.link_path("/verify-email"))
    await page.get_by_role("button", name="Vérifier mon adresse").click()
    await page.get_by_role("link", name="Voir mes inscriptions").click()
    await expect(page.locator("#history-table tbody tr")).to_have_count(1)
    await expect(page.locator("#history-table")).to_contain_text("IND-1")


async def test_another_registrant_email_is_warned_about_and_leaves_the_order_out_of_history(
    page: Page, server: LiveServer
):
    session = await factories.course_session(code="OTHER-1")
    await factories.account("ines@example.com", kind=AccountKind.INDIVIDUAL)
    await sign_in(page, "ines@example.com")
    await page.goto(f"/catalog/{session.course_id}")
    first = page.get_by_role("group", name="Participant 1")
    await first.get_by_label("Prénom").fill("Paul")
    await first.get_by_label("Nom", exact=True).fill("Martin")
    warning = page.get_by_role("note")
    await expect(warning).to_be_hidden()
    await page.get_by_label("E-mail du responsable de l'inscription").fill("paul@example.com")
    await expect(warning).to_contain_text("n'apparaîtra pas dans votre historique")
    await page.get_by_role("button", name="Envoyer la demande d'inscription").click()
    await expect(page.get_by_role("status")).to_contain_text(
        "Elle apparaît dans l'historique de paul@example.com, pas dans le vôtre."
    )
    await go_to(page, "Mes inscriptions")
    await expect(page.get_by_text("Vous n'avez pas encore d'inscription.")).to_be_visible()
