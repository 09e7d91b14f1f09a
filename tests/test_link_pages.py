"""Links in mails: in development the server serves a page for each mailed link, which calls
the matching mutation from a script of the application (the CSP allows no inline script);
PUBLIC_URL follows the bound address when not set; mail leaves as soon as an operation that
queued it is over."""

from __future__ import annotations

import asyncio
import email.policy
import re
from email.parser import BytesParser
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx

from infra import mail_sender
from infra.mail_outbox import queue_mail
from models.accounts import Account
from models.mail import OutboxMail
from schema import build_schema
from tests import factories
from tests.graphql import gql
from tests.live_server import live_server
from web.link_pages import LINK_PAGES, SCRIPT_PATH

SIGN_UP = """
mutation($email: String!) {
  signUp(email: $email, password: "a long enough passphrase", fullName: "Zoé",
         kind: INDIVIDUAL) { token }
}
"""
WAIT_SECONDS = 30.0  # an upper bound for a failing test, never asserted as a duration


def _js_query(mutation: str, variables: dict[str, str]) -> str:
    """The operation `web/static/link-pages.js` builds for a page's form."""
    declared = ", ".join(f"${name}: String!" for name in variables)
    passed = ", ".join(f"{name}: ${name}" for name in variables)
    return f"mutation({declared}) {{ {mutation}({passed}) {{ __typename }} }}"


async def test_each_link_page_is_html_with_the_external_script_and_a_strict_csp(client):
    sdl = build_schema().as_str()
    for page in LINK_PAGES:
        response = await client.get(f"{page.path}?token=abc")
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/html")
        assert f'<script src="{SCRIPT_PATH}" defer></script>' in response.text
        assert "<script>" not in response.text  # nothing inline
        csp = response.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert f'data-mutation="{page.mutation}"' in response.text
        assert f"  {page.mutation}(" in sdl
    script = await client.get(SCRIPT_PATH)
    assert script.status_code == 200
    assert script.headers["content-type"].startswith("text/javascript")
    assert 'fetch("/graphql"' in script.text and "form.dataset.mutation" in script.text
    # Other responses keep the strict CSP.
    health = await client.get("/healthz")
    assert health.headers["content-security-policy"].startswith("default-src 'none'")


async def test_the_reset_password_page_calls_resetpassword_with_the_mailed_token(client):
    person = await factories.account("zoe@example.com")
    assert (await gql(client, 'mutation { requestPasswordReset(email: "zoe@example.com") }')).ok()
    mail = await OutboxMail.filter(to="zoe@example.com").order_by("-id").first()
    assert mail is not None
    link = re.search(r"https://espace\.test/reset-password\?token=\S+", mail.text_body)
    assert link
    page = await client.get(urlsplit(link.group(0)).path + "?" + urlsplit(link.group(0)).query)
    assert 'data-mutation="resetPassword"' in page.text and 'name="newPassword"' in page.text
    token = parse_qs(urlsplit(link.group(0)).query)["token"][0]
    variables = {"token": token, "newPassword": "a brand new passphrase"}
    answer = await gql(client, _js_query("resetPassword", variables), variables)
    assert answer.ok()["resetPassword"] == {"__typename": "AuthPayload"}
    logged = await gql(
        client,
        'mutation { logIn(email: "zoe@example.com", password: "a brand new passphrase") '
        "{ token } }",
    )
    assert logged.ok()["logIn"]["token"]
    assert person.id == (await Account.get(email="zoe@example.com")).id


async def test_a_mutation_that_queues_mail_wakes_the_sender(client):
    """The sender polls once an hour here: only the wake can deliver the second mail."""
    await queue_mail("first@example.com", "password_changed", "en", full_name="A")
    stop = asyncio.Event()
    sender = asyncio.create_task(mail_sender.run_forever(poll_seconds=3600, stop=stop))
    try:
        await _sent_to("first@example.com")  # the first pass is over: it sleeps now
        await factories.account("zoe@example.com")
        ok = await gql(client, 'mutation { requestPasswordReset(email: "zoe@example.com") }')
        ok.ok()
        await _sent_to("zoe@example.com")
    finally:
        stop.set()
        await sender


async def _sent_to(address: str) -> None:
    for _ in range(int(WAIT_SECONDS / 0.05)):
        if await OutboxMail.filter(to=address).exclude(sent_at=None).exists():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"no mail sent to {address}")


async def test_serve_derives_public_url_from_its_address_and_serves_the_link(tmp_dir: Path):
    mail_dir = tmp_dir / "mail"
    with live_server(tmp_dir, derive_public_url=True, MAIL_DIR=str(mail_dir)) as server:
        async with httpx.AsyncClient(base_url=server.url) as http:
            signed = await http.post(
                "/graphql", json={"query": SIGN_UP, "variables": {"email": "lou@example.com"}}
            )
            assert signed.json()["data"]["signUp"]["token"]
            link = await asyncio.wait_for(_link_in(mail_dir), WAIT_SECONDS)
            assert link.startswith(f"{server.url}/verify-email?token=")
            page = await http.get(link.removeprefix(server.url))
            assert page.status_code == 200 and SCRIPT_PATH in page.text
            token = parse_qs(urlsplit(link).query)["token"][0]
            variables = {"token": token}
            verified = await http.post(
                "/graphql",
                json={"query": _js_query("verifyEmail", variables), "variables": variables},
            )
            assert verified.json() == {"data": {"verifyEmail": {"__typename": "Account"}}}


async def _link_in(mail_dir: Path) -> str:
    while True:
        link = await asyncio.to_thread(_link_in_files, mail_dir)
        if link:
            return link
        await asyncio.sleep(0.1)


def _link_in_files(mail_dir: Path) -> str | None:
    for path in sorted(mail_dir.glob("*.eml")):
        with path.open("rb") as file:
            message = BytesParser(policy=email.policy.default).parse(file)
        body = message.get_body(preferencelist=("plain",))
        assert body is not None
        match = re.search(r"https?://\S+/verify-email\?token=\S+", body.get_content())
        if match:
            return match.group(0)
    return None
