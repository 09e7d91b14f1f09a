"""Links in mails: PUBLIC_URL follows the bound address when not set, and the server answers
the link with the web front end's page (which tests/browser/ drive in a real browser); mail
leaves as soon as an operation that queued it is over."""

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
from models.mail import OutboxMail
from tests import factories
from tests.graphql import gql
from tests.live_server import live_server
from web.frontend import FRONTEND_DIR as FRONTEND

SIGN_UP = """
mutation($email: String!) {
  signUp(email: $email, password: "a long enough passphrase", fullName: "Zoé",
         kind: INDIVIDUAL) { token }
}
"""
WAIT_SECONDS = 30.0  # an upper bound for a failing test, never asserted as a duration


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
            assert page.status_code == 200 and "/assets/app.js" in page.text
            token = parse_qs(urlsplit(link).query)["token"][0]
            verify = (FRONTEND / "operations" / "VerifyEmail.graphql").read_text()
            verified = await http.post(
                "/graphql", json={"query": verify, "variables": {"token": token}}
            )
            assert verified.json()["data"]["verifyEmail"]["emailVerified"] is True


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
