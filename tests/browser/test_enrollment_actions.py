"""What the enrollment page offers follows the API's `viewerCan…` answers: a postponement
asked once (then shown as pending, no longer offered), and nothing offered on an order the
person may not cancel (taken by phone, or invoiced)."""

from __future__ import annotations

from datetime import timedelta

from playwright.async_api import Page, expect

from models.catalog import CourseSession
from models.enums import AccountKind, Channel, EnrollmentStatus
from tests import factories
from tests.browser.pages import sign_in
from tests.live_server import LiveServer

INES = "ines@example.com"


async def test_a_postponement_is_asked_once_then_shown_as_pending(
    page: Page, server: LiveServer, screenshot
):
    await factories.account(INES, kind=AccountKind.INDIVIDUAL)
    session = await factories.course_session()
    later = await CourseSession.create(
        course_id=session.course_id,
        starts_on=session.starts_on + timedelta(days=60),
        ends_on=session.ends_on + timedelta(days=60),
        city="Nantes",
        capacity=10,
    )
    enrollment = await factories.enrollment(registrant_email=INES, session=session)
    await sign_in(page, INES)
    await page.goto(f"/enrollments/{enrollment.id}")
    opener = page.get_by_role("button", name="Demander un report…")
    await expect(opener).to_have_attribute("aria-expanded", "false")
    await opener.click()
    await expect(opener).to_have_attribute("aria-expanded", "true")
    chosen = page.get_by_label("Session souhaitée")
    await expect(chosen).to_be_focused()
    await expect(chosen.locator("option")).to_have_count(1)  # not the current session
    await expect(chosen).to_have_value(str(later.id))
    await page.get_by_label("Message pour nos équipes (facultatif)").fill("Plutôt à Nantes")
    await page.get_by_role("button", name="Envoyer la demande de report").click()
    await expect(page.get_by_role("status").first).to_contain_text("demande de report est envoyée")
    await expect(page.locator("#actions")).to_contain_text("Demande de report en attente")
    await expect(page.locator("#actions")).to_contain_text("Nantes")
    await expect(page.get_by_role("button", name="Demander un report…")).to_have_count(0)
    await screenshot(page, "postponement-pending")


async def test_nothing_is_offered_when_the_api_says_no(page: Page, server: LiveServer):
    await factories.account(INES, kind=AccountKind.INDIVIDUAL)
    by_phone = await factories.enrollment(registrant_email=INES, channel=Channel.PHONE)
    invoiced = await factories.enrollment(registrant_email=INES, status=EnrollmentStatus.INVOICED)
    await sign_in(page, INES)
    for enrollment in (by_phone, invoiced):
        await page.goto(f"/enrollments/{enrollment.id}")
        await expect(page.get_by_role("heading", level=1)).to_contain_text(enrollment.reference)
        await expect(page.get_by_role("button", name="Annuler cette inscription…")).to_have_count(0)
    await page.goto("/enrollments/999999")  # not in her history: the page says so
    await expect(page.get_by_role("heading", level=1)).to_have_text("Page introuvable")
