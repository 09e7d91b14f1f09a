"""The front end's shell in a real browser: pages load under the strict CSP without a script
error, French by default with a remembered English switch, sign-in and sign-out (which ends
the session on the server), and a mailed verification link opening its page."""

from __future__ import annotations

import re

from playwright.async_api import Page, expect

from tests import factories
from tests.browser.mailbox import Mailbox
from tests.browser.pages import api, sign_in, sign_out, token_of
from tests.live_server import LiveServer

ME = "{ me { email } }"


async def test_pages_load_in_french_under_the_strict_csp(page: Page, server: LiveServer):
    response = await page.goto("/")
    assert response is not None
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    await expect(page.get_by_role("heading", level=1)).to_have_text(
        "Bienvenue dans votre Espace client"
    )
    assert await page.get_attribute("html", "lang") == "fr"
    await page.goto("/no-such-page")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Page introuvable")


async def test_the_english_switch_is_remembered(page: Page, server: LiveServer):
    await page.goto("/sign-in")
    await page.get_by_role("button", name="Switch to English").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    await page.reload()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    assert await page.get_attribute("html", "lang") == "en"
    await page.get_by_role("button", name="Passer en français").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Connexion")


async def test_a_wrong_password_shows_the_api_message_in_french(page: Page, server: LiveServer):
    await factories.account("lea@example.com")
    await page.goto("/sign-in")
    await page.get_by_label("Adresse e-mail").fill("lea@example.com")
    await page.get_by_label("Mot de passe", exact=True).fill("not the password")
    await page.get_by_role("button", name="Se connecter").click()
    alert = page.get_by_role("alert")
    await expect(alert).to_be_visible()
    assert "mot de passe" in (await alert.inner_text()).lower()
    assert await token_of(page) is None


async def test_sign_out_ends_the_session_on_the_server(page: Page, server: LiveServer):
    await factories.account("lea@example.com")
    await sign_in(page, "lea@example.com")
    token = await token_of(page)
    assert token and token not in page.url  # never in the address
    assert (await api(server, ME, token=token))["me"] == {"email": "lea@example.com"}
    await sign_out(page)
    assert await token_of(page) is None
    assert (await api(server, ME, token=token))["me"] is None  # the token stopped working
    await page.goto("/history")
    await expect(page).to_have_url(re.compile(r"/sign-in\?next=%2Fhistory"))


async def test_the_mailed_verification_link_opens_its_page(
    page: Page, server: LiveServer, mailbox: Mailbox
):
    await api(
        server,
        'mutation { signUp(email: "zoe@example.com", password: "a long enough passphrase", '
        'fullName: "Zoé", kind: INDIVIDUAL) { token } }',
    )
    mail = await mailbox.wait_for("zoe@example.com")
    assert mail.link("/verify-email").startswith(f"{server.url}/verify-email?token=")
    await page.goto(mail.link_path("/verify-email"))
    await expect(page.get_by_role("heading", level=1)).to_have_text("Vérifier votre adresse e-mail")
    await page.get_by_role("button", name="Vérifier mon adresse").click()
    await expect(page.get_by_role("status")).to_contain_text("zoe@example.com est vérifiée")
    await page.reload()  # a used link says so, and offers a new one
    await page.get_by_role("button", name="Vérifier mon adresse").click()
    await expect(page.get_by_role("alert")).to_be_visible()
    await expect(page.get_by_role("button", name="Envoyer un nouveau lien")).to_be_visible()


async def test_a_file_behind_the_bearer_token_downloads_without_the_token_in_a_url(
    page: Page, server: LiveServer
):
    """lib/download.js `downloadWithToken`, as the admin pages use it for the CSV export."""
    from models.enums import AccessRole

    admin = await factories.account("lea@example.com")
    site = await factories.establishment(name="Acme Paris")
    await factories.access(admin, site, AccessRole.ADMIN)
    enrollment = await factories.enrollment(registrant_email="lea@example.com", site=site)
    await sign_in(page, "lea@example.com")
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    async with page.expect_download() as waiting:
        await page.evaluate(
            "() => import('/assets/lib/download.js')"
            ".then((m) => m.downloadWithToken('/exports/enrollments.csv', 'history.csv'))"
        )
    download = await waiting.value
    assert download.suggested_filename == "history.csv"
    path = await download.path()
    assert path is not None and enrollment.reference in path.read_text()
    token = await token_of(page)
    assert token and not any(token in url for url in requested)
