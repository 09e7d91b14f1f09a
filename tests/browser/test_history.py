"""The history page as a person uses it: paging forward and back, search, status filter,
sort order, all kept in the address (reload and the back button give the same page)."""

from __future__ import annotations

import re

from playwright.async_api import Page, expect

from models.enums import AccountKind, EnrollmentStatus
from tests import factories
from tests.browser.pages import sign_in
from tests.live_server import LiveServer

INES = "ines@example.com"


async def _history_of_ines() -> list[str]:
    """Her 25 orders (and one of someone else); answers her references."""
    await factories.account(INES, kind=AccountKind.INDIVIDUAL, full_name="Inès Martin")
    excel = await factories.course_session(code="XLS-1")
    management = await factories.course_session(code="MGT-2")
    references = []
    for number in range(22):
        status = EnrollmentStatus.CANCELLED if number < 2 else EnrollmentStatus.VALIDATED
        row = await factories.enrollment(registrant_email=INES, session=excel, status=status)
        references.append(row.reference)
    for _ in range(3):
        row = await factories.enrollment(registrant_email=INES, session=management)
        references.append(row.reference)
    await factories.enrollment(registrant_email="someone.else@example.com", session=excel)
    return references


def rows(page: Page):  # type: ignore[no-untyped-def]
    return page.locator("#history-table tbody tr")


async def test_paging_search_filter_and_sort_are_kept_in_the_address(
    page: Page, server: LiveServer, screenshot
):
    references = await _history_of_ines()
    await sign_in(page, INES)
    await expect(page.locator("#history-count")).to_have_text("25 inscription(s)")
    await expect(rows(page)).to_have_count(20)
    previous = page.get_by_role("button", name="Page précédente")
    following = page.get_by_role("button", name="Page suivante")
    await expect(previous).to_be_disabled()
    await screenshot(page, "first-page")

    # Forward, then back: the same first page.
    first_reference = await rows(page).first.locator("a").inner_text()
    await following.click()
    await expect(rows(page)).to_have_count(5)
    await expect(following).to_be_disabled()
    await expect(page).to_have_url(re.compile(r"after="))
    await previous.click()
    await expect(rows(page)).to_have_count(20)
    await expect(rows(page).first.locator("a")).to_have_text(first_reference)

    # Search by course code.
    await page.get_by_label("Rechercher").fill("MGT-2")
    await page.get_by_role("button", name="Appliquer").click()
    await expect(page).to_have_url(re.compile(r"search=MGT-2"))
    await expect(rows(page)).to_have_count(3)
    for index in range(3):
        await expect(rows(page).nth(index)).to_contain_text("En cours de validation")
    await page.reload()
    await expect(rows(page)).to_have_count(3)
    await expect(page.get_by_label("Rechercher")).to_have_value("MGT-2")

    # Only the cancelled ones, by status.
    await page.get_by_role("link", name="Effacer les filtres").click()
    await expect(rows(page)).to_have_count(20)
    await page.get_by_label("Annulée").check()
    await page.get_by_role("button", name="Appliquer").click()
    await expect(rows(page)).to_have_count(2)
    await expect(page.locator("#history-table .badge")).to_have_text(["Annulée", "Annulée"])
    await screenshot(page, "cancelled-only")
    await page.go_back()
    await expect(rows(page)).to_have_count(20)

    # Sorted by reference, ascending.
    await page.get_by_label("Trier par").select_option(label="Référence")
    await page.get_by_label("Ordre").select_option(label="Croissant")
    await page.get_by_role("button", name="Appliquer").click()
    await expect(page).to_have_url(re.compile(r"sort=REFERENCE&dir=ASC"))
    shown = page.locator("#history-table tbody tr td:first-child")
    await expect(shown).to_have_text(sorted(references)[:20])


async def test_an_empty_history_points_to_the_catalog(page: Page, server: LiveServer):
    await factories.account(INES, kind=AccountKind.INDIVIDUAL)
    await sign_in(page, INES)
    await expect(page.get_by_text("Vous n'avez pas encore d'inscription.")).to_be_visible()
    await page.get_by_role("link", name="Parcourir le catalogue").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Catalogue des formations")
