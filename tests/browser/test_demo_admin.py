"""The admin dashboard and the back office on the demo data (`espace serve --demo`): Claire,
admin of Acme Paris and Lyon, opens Administration and picks Acme Paris; Sophie (staff)
opens the back office. Their screenshots are kept in var/screenshots/
(`demo_admin_dashboard-admin.png` is the one committed as docs/admin-dashboard.png)."""

from __future__ import annotations

import re

from playwright.async_api import Page, expect

from commands.demo_data import DEMO_PASSWORD, seed_demo
from tests.browser.conftest import SCREENSHOTS
from tests.browser.pages import go_to, sign_in
from tests.live_server import LiveServer


async def test_demo_admin_dashboard(page: Page, server: LiveServer, screenshot):
    await seed_demo()
    await page.set_viewport_size({"width": 1280, "height": 1400})
    await sign_in(page, "claire.admin@acme.example", DEMO_PASSWORD)
    await go_to(page, "Administration")
    heading = page.get_by_role("heading", level=1)
    await expect(heading).to_have_text(re.compile("^Administration — "))
    await page.get_by_label("Établissement").select_option(label="Acme Paris (Paris)")
    await page.get_by_role("button", name="Afficher").click()
    await expect(heading).to_have_text("Administration — Acme Paris")
    await expect(page.locator("form.access")).not_to_have_count(0)
    await page.evaluate("() => document.activeElement.blur()")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)  # README: docs/admin-dashboard.png
    await page.screenshot(path=str(SCREENSHOTS / "demo_admin_dashboard-admin.png"))
    await screenshot(page, "admin-full")


async def test_demo_back_office(page: Page, server: LiveServer, screenshot):
    await seed_demo()
    await sign_in(page, "sophie.staff@espace.example", DEMO_PASSWORD)
    await go_to(page, "Back-office")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Back-office")
    await expect(page.locator("#validations-table tbody tr").first).to_contain_text("En retard")
    await screenshot(page, "back-office")
