"""Every control of the main pages has a label, every button a name, every page one h1; a
person signs in and opens an enrollment with the keyboard alone; the English switch
translates the pages and the API's messages."""

from __future__ import annotations

import re

from playwright.async_api import Page, expect

from models.enums import AccountKind
from tests import factories
from tests.browser.pages import sign_in
from tests.live_server import LiveServer

INES = "ines@example.com"

# Controls without a label, buttons and links without a name, and the number of h1.
AUDIT = """() => {
  const visible = (e) => !!(e.offsetWidth || e.offsetHeight || e.getClientRects().length);
  const named = (e) => (e.getAttribute('aria-label') || e.textContent || '').trim() !== '';
  const problems = [];
  for (const control of document.querySelectorAll('input, select, textarea')) {
    if (control.type === 'hidden' || !visible(control)) continue;
    const labelled = control.labels.length || control.getAttribute('aria-label')
      || control.getAttribute('aria-labelledby');
    if (!labelled) problems.push('no label: ' + control.outerHTML);
  }
  for (const element of document.querySelectorAll('button, a[href]')) {
    if (visible(element) && !named(element)) problems.push('no name: ' + element.outerHTML);
  }
  const headings = document.querySelectorAll('main h1').length;
  if (headings !== 1) problems.push(headings + ' h1 in main');
  return problems;
}"""


async def _audit(page: Page) -> list[str]:
    problems = await page.evaluate(AUDIT)
    return [f"{page.url}: {problem}" for problem in problems]


async def test_controls_are_labelled_on_every_main_page(page: Page, server: LiveServer):
    session = await factories.course_session()
    await factories.account(INES, kind=AccountKind.INDIVIDUAL)
    enrollment = await factories.enrollment(registrant_email=INES, session=session)
    problems: list[str] = []
    for path in ["/", "/sign-in", "/sign-up", "/forgot-password", "/catalog",
                 "/verify-email?token=x", "/reset-password?token=x", "/set-password?token=x",
                 "/confirm-email-change?token=x", "/accept-invitation?token=x"]:  # fmt: skip
        await page.goto(path)
        await expect(page.get_by_role("heading", level=1)).to_be_visible()
        problems += await _audit(page)
    await sign_in(page, INES)
    for path in ["/history", f"/enrollments/{enrollment.id}", f"/catalog/{session.course_id}",
                 "/account"]:  # fmt: skip
        await page.goto(path)
        await expect(page.get_by_role("heading", level=1)).to_be_visible()
        await page.wait_for_load_state("networkidle")
        problems += await _audit(page)
    assert not problems, "\n".join(problems)


async def _tab_to(page: Page, selector: str) -> None:
    """Press Tab until the element matching `selector` has the focus."""
    for _ in range(40):
        await page.keyboard.press("Tab")
        if await page.evaluate(f"() => document.activeElement.matches({selector!r})"):
            return
    raise AssertionError(f"Tab never reached {selector}")


async def test_sign_in_and_open_an_enrollment_with_the_keyboard_alone(
    page: Page, server: LiveServer
):
    await factories.account(INES, kind=AccountKind.INDIVIDUAL)
    enrollment = await factories.enrollment(registrant_email=INES)
    await page.goto("/sign-in")
    await _tab_to(page, "input[name=email]")
    await page.keyboard.type(INES)
    await page.keyboard.press("Tab")
    await page.keyboard.type(factories.PASSWORD)
    await page.keyboard.press("Enter")
    await expect(page).to_have_url(re.compile(r"/history$"))
    await expect(page.get_by_role("heading", level=1)).to_be_focused()  # announced
    await _tab_to(page, "#history-table a")
    await page.keyboard.press("Enter")
    await expect(page).to_have_url(re.compile(rf"/enrollments/{enrollment.id}$"))
    await expect(page.get_by_role("heading", level=1)).to_contain_text(enrollment.reference)


async def test_in_english_the_pages_and_the_api_messages_are_english(
    page: Page, server: LiveServer
):
    await factories.account(INES, kind=AccountKind.INDIVIDUAL)
    await page.goto("/sign-in")
    await page.get_by_role("button", name="Switch to English").click()
    await page.get_by_label("E-mail address").fill(INES)
    await page.get_by_label("Password", exact=True).fill("wrong password here")
    await page.get_by_role("button", name="Sign in").click()
    alert = page.get_by_role("alert")
    await expect(alert).to_be_visible()
    english = await alert.inner_text()
    await page.get_by_role("button", name="Passer en français").click()
    await page.get_by_label("Adresse e-mail").fill(INES)
    await page.get_by_label("Mot de passe", exact=True).fill("wrong password here")
    await page.get_by_role("button", name="Se connecter").click()
    await expect(page.get_by_role("alert")).to_be_visible()
    assert english != await page.get_by_role("alert").inner_text()  # the API answered in French
    await sign_in(page, INES)
    await page.get_by_role("button", name="Switch to English").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("My enrollments")
