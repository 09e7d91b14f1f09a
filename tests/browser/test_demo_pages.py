"""The main pages on the demo data (`espace serve --demo`), signed in as Claire (admin of
Acme Paris and Lyon): they render the seeded history, and their screenshots are kept in
var/screenshots/ (`demo-history.png` is the one committed as docs/history.png)."""

from __future__ import annotations

from playwright.async_api import Page, expect

from commands.demo_data import DEMO_PASSWORD, seed_demo
from tests.browser.pages import go_to, sign_in
from tests.live_server import LiveServer


async def test_demo(page: Page, server: LiveServer, screenshot):
    await seed_demo()
    await page.set_viewport_size({"width": 1280, "height": 1000})
    await sign_in(page, "claire.admin@acme.example", DEMO_PASSWORD)
    rows = page.locator("#history-table tbody tr")
    await expect(rows).to_have_count(20)
    await expect(page.locator("#history-table .badge").first).to_be_visible()
    await page.evaluate("() => document.activeElement.blur()")
    await screenshot(page, "history", full_page=False)  # README: docs/history.png
    await rows.first.locator("a").click()
    await expect(page.locator("#documents-list")).to_be_visible()
    await screenshot(page, "enrollment")
    await go_to(page, "Catalogue")
    await expect(page.locator(".course-card").first).to_be_visible()
    await screenshot(page, "catalog")
