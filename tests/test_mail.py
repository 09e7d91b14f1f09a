"""The mail outbox and its sender: real SMTP (aiosmtpd on loopback), `.eml` files, retries."""

from __future__ import annotations

import asyncio
import email
import os
import re
import socket
import sys
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from tortoise.transactions import in_transaction

from infra.mail_outbox import TEMPLATE_DIR, queue_mail
from infra.mail_sender import retry_delay, send_due
from models.mail import OutboxMail
from services import rate_limits
from settings import PROJECT_DIR, Settings, get_settings
from tests import factories
from tests.graphql import gql

NEW_PASSWORD = "a long and rare passphrase"


class Inbox:
    """An aiosmtpd handler keeping every message it accepts."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server, session, envelope) -> str:
        message = email.message_from_bytes(envelope.original_content, policy=default_policy)
        self.messages.append(message)  # type: ignore[arg-type]
        return "250 Message accepted"


class SmtpServer:
    """A real SMTP server on a free loopback port, that a test can stop and start again."""

    def __init__(self) -> None:
        self.inbox = Inbox()
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def settings(self) -> Settings:
        return get_settings().model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": self.port})


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture(autouse=True)
async def fresh_rate_limits() -> AsyncIterator[None]:
    await rate_limits.reset()
    yield
    await rate_limits.reset()


def eml_files(directory: Path) -> list[EmailMessage]:
    return [
        email.message_from_bytes(path.read_bytes(), policy=default_policy)  # type: ignore[misc]
        for path in sorted(directory.glob("*.eml"))
    ]


def text_part(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return part.get_content()


def html_part(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("html",))
    assert part is not None
    return part.get_content()


async def test_reset_mail_over_real_smtp_leads_to_a_new_password(client, smtp):
    ines = await factories.account("ines@example.com", language="en")
    asked = await gql(client, 'mutation { requestPasswordReset(email: "ines@example.com") }')
    assert asked.ok() == {"requestPasswordReset": True}

    report = await send_due(smtp.settings())
    assert report.sent == 1
    [message] = smtp.inbox.messages
    assert message["To"] == ines.email
    assert message["Subject"] == "Reset your password"
    body = text_part(message)
    match = re.search(r"https://espace\.test/reset-password\?token=(\S+)", body)
    assert match, body
    assert match.group(0) in html_part(message)

    reset = await gql(
        client,
        "mutation ($t: String!, $p: String!) { resetPassword(token: $t, newPassword: $p) "
        "{ token } }",
        {"t": match.group(1), "p": NEW_PASSWORD},
    )
    assert reset.ok()["resetPassword"]["token"]
    signed_in = await gql(
        client,
        "mutation ($e: String!, $p: String!) { logIn(email: $e, password: $p) "
        "{ account { email } } }",
        {"e": ines.email, "p": NEW_PASSWORD},
    )
    assert signed_in.ok()["logIn"]["account"]["email"] == ines.email


async def test_a_mail_queued_while_smtp_is_down_is_delivered_once_when_it_is_back(smtp):
    settings = smtp.settings()
    smtp.stop()
    await queue_mail("bruno@boreal.example", "password_changed", "fr")

    down = await send_due(settings)
    assert (down.sent, down.failed) == (0, 1)
    mail = await OutboxMail.get(to="bruno@boreal.example")
    assert mail.sent_at is None and mail.attempts == 1 and mail.last_error
    assert (await send_due(settings)).sent == 0  # not before its retry time

    smtp.start()
    later = datetime.now(UTC) + retry_delay(1) + timedelta(seconds=1)
    assert (await send_due(settings, now=later)).sent == 1
    assert (await send_due(settings, now=later + timedelta(hours=2))).sent == 0
    assert len(smtp.inbox.messages) == 1
    assert smtp.inbox.messages[0]["Subject"] == "Votre mot de passe a été modifié"
    mail = await OutboxMail.get(id=mail.id)
    assert mail.sent_at is not None and mail.last_error == ""


async def test_retries_back_off_exponentially_up_to_an_hour():
    delays = [retry_delay(n) for n in range(1, 12)]
    assert delays[:4] == [timedelta(seconds=s) for s in (30, 60, 120, 240)]
    assert delays == sorted(delays)
    assert delays[-1] == timedelta(hours=1)


async def test_two_senders_at_once_send_each_mail_once(smtp):
    for number in range(6):
        await queue_mail(f"person{number}@example.com", "password_changed", "en")
    settings = smtp.settings()
    reports = await asyncio.gather(send_due(settings), send_due(settings), send_due(settings))
    assert sum(r.sent for r in reports) == 6
    assert sorted(m["To"] for m in smtp.inbox.messages) == [
        f"person{n}@example.com" for n in range(6)
    ]
    assert not await OutboxMail.filter(sent_at=None).exists()


async def test_no_mail_leaves_for_a_change_that_was_rolled_back():
    with pytest.raises(RuntimeError):
        async with in_transaction():
            await queue_mail("ines@example.com", "password_changed", "fr")
            raise RuntimeError("the change failed")
    assert not await OutboxMail.exists()


async def test_without_smtp_mail_is_written_as_eml_files(tmp_dir: Path):
    await queue_mail("ines@example.com", "reset_password", "fr", link="https://espace.test/x")
    settings = get_settings().model_copy(update={"mail_dir": tmp_dir, "smtp_host": None})
    assert (await send_due(settings)).sent == 1
    [message] = eml_files(tmp_dir)
    assert message["To"] == "ines@example.com"
    assert message["Subject"] == "Réinitialisation de votre mot de passe"
    assert "https://espace.test/x" in text_part(message)
    assert 'href="https://espace.test/x"' in html_part(message)


async def test_espace_send_mail_drains_the_outbox(tmp_dir: Path):
    await queue_mail("remi@acme.example", "password_changed", "en")
    await queue_mail("claire@acme.example", "password_changed", "fr")
    environment = {**os.environ, "MAIL_DIR": str(tmp_dir)}
    environment.pop("SMTP_HOST", None)
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        "from commands import main; main(['send-mail'])",
        cwd=PROJECT_DIR,
        env=environment,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    assert process.returncode == 0, err.decode()
    assert "2 mail(s) sent" in out.decode()
    assert sorted(m["To"] for m in eml_files(tmp_dir)) == [
        "claire@acme.example",
        "remi@acme.example",
    ]
    assert not await OutboxMail.filter(sent_at=None).exists()


def test_every_mail_has_french_and_english_text_and_html():
    for name in ("reset_password", "set_password", "password_changed", "email_changed"):
        for language in ("fr", "en"):
            text = TEMPLATE_DIR / f"{name}.{language}.txt"
            assert text.read_text(encoding="utf-8").startswith("Subject:"), text
            assert (TEMPLATE_DIR / f"{name}.{language}.html").exists(), name
