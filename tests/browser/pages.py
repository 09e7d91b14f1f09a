"""What a person does in the front end, step by step, for the browser scenarios: reusable by
every scenario (customer pages, admin dashboard, back office). Labels are the French ones (the
default language); each helper waits for the page it leads to.

`api()` calls the GraphQL API directly, for a step whose page a scenario does not test."""

from __future__ import annotations

import re
from typing import Any

import httpx
from playwright.async_api import Page, expect

from tests import factories
from tests.browser.mailbox import Mailbox
from tests.live_server import LiveServer

PASSWORD = factories.PASSWORD  # the password of accounts made by tests/factories.py


async def sign_in(page: Page, email: str, password: str = PASSWORD) -> None:
    """Sign in from the sign-in page; lands on the history."""
    await page.goto("/sign-in")
    await page.get_by_label("Adresse e-mail").fill(email)
    await page.get_by_label("Mot de passe", exact=True).fill(password)
    await page.get_by_role("button", name="Se connecter").click()
    await expect(page).to_have_url(re.compile(r"/history"))
    await expect(page.get_by_role("heading", level=1)).to_be_visible()


async def go_to(page: Page, label: str) -> None:
    """Follow a link of the main navigation ("Catalogue", "Mes inscriptions", ...)."""
    navigation = page.get_by_role("navigation", name="Navigation principale")
    await navigation.get_by_role("link", name=label, exact=True).click()
    await expect(navigation.get_by_role("link", name=label, exact=True)).to_have_attribute(
        "aria-current", "page"
    )


async def sign_out(page: Page) -> None:
    await page.get_by_role("button", name="Se déconnecter").click()
    await expect(page).to_have_url(re.compile(r"/sign-in\?signedOut=1"))


async def open_mailed_link(page: Page, mailbox: Mailbox, to: str, path: str, **wait: Any) -> None:
    """Wait for the mail to `to` carrying a `path` link (e.g. "/verify-email") and open the
    link in the browser."""
    mail = await mailbox.wait_for(to, **wait)
    await page.goto(mail.link_path(path))


async def token_of(page: Page) -> str | None:
    """The session token the front end keeps (to check it ended, or to call the API as the
    person)."""
    value = await page.evaluate("() => window.localStorage.getItem('espace.session')")
    return value if isinstance(value, str) else None


async def api(
    server: LiveServer, query: str, variables: dict[str, Any] | None = None, token: str = ""
) -> dict[str, Any]:
    """One GraphQL operation; fails the test on any error."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
        response = await http.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )
    body = response.json()
    assert not body.get("errors"), body["errors"]
    data: dict[str, Any] = body["data"]
    return data


async def log_in(server: LiveServer, email: str, password: str) -> str:
    """A session token through the API (logIn)."""
    data = await api(
        server,
        "mutation($e: String!, $p: String!) { logIn(email: $e, password: $p) { token } }",
        {"e": email, "p": password},
    )
    token: str = data["logIn"]["token"]
    return token


async def staff_token(email: str = "sophie.staff@espace.example") -> str:
    """A back-office account and its session token (staff accounts are made on the command
    line, not in the front end)."""
    staff = await factories.account(email, is_staff=True, full_name="Sophie Staff")
    return await factories.token_for(staff)


async def validate_enrollment(server: LiveServer, token: str, enrollment_id: str) -> None:
    """Staff validate a booking request (through the API: the back-office page is tested on
    its own)."""
    data = await api(
        server,
        "mutation($id: ID!) { validateEnrollment(id: $id) { status } }",
        {"id": enrollment_id},
        token=token,
    )
    assert data["validateEnrollment"]["status"] == "VALIDATED"


async def generate_document(server: LiveServer, token: str, enrollment_id: str, kind: str) -> str:
    """Staff produce a document of an enrollment (TRAINING_AGREEMENT or
    CERTIFICATE_OF_ATTENDANCE); answers its id."""
    data = await api(
        server,
        "mutation($id: ID!, $kind: DocumentKind!) "
        "{ generateDocument(enrollmentId: $id, kind: $kind) { id } }",
        {"id": enrollment_id, "kind": kind},
        token=token,
    )
    document_id: str = data["generateDocument"]["id"]
    return document_id


def enrollment_id_in(url: str) -> str:
    """The id of the enrollment page at `url` (/enrollments/<id>)."""
    match = re.search(r"/enrollments/(\d+)", url)
    assert match, url
    return match.group(1)
