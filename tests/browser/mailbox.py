"""A real SMTP server (aiosmtpd on a free loopback port) that keeps every mail the live
server sends, and helpers to wait for one and read the link it carries."""

from __future__ import annotations

import asyncio
import email
import re
import socket
import time
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.policy import default as default_policy
from typing import Any
from urllib.parse import urlsplit

from aiosmtpd.controller import Controller

WAIT_SECONDS = 30.0  # an upper bound for a failing test, never asserted as a duration


@dataclass
class Mail:
    to: str
    subject: str
    text: str

    def link(self, path: str) -> str:
        """The first link of the mail to `path` (e.g. "/verify-email"), as mailed."""
        match = re.search(rf"https?://[^\s]+{re.escape(path)}\?token=[^\s]+", self.text)
        assert match, f"no {path} link in the mail to {self.to}:\n{self.text}"
        return match.group(0)

    def link_path(self, path: str) -> str:
        """The same link without its scheme and host: to open on the test's server."""
        parts = urlsplit(self.link(path))
        return f"{parts.path}?{parts.query}"


@dataclass
class Mailbox:
    """Every mail accepted, in order of arrival."""

    port: int
    mails: list[Mail] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.original_content, policy=default_policy)
        assert isinstance(message, EmailMessage)
        body = message.get_body(preferencelist=("plain",))
        text = body.get_content() if body is not None else ""
        for recipient in envelope.rcpt_tos:
            self.mails.append(Mail(recipient.lower(), str(message["Subject"]), text))
        return "250 Message accepted"

    def to(self, address: str) -> list[Mail]:
        return [mail for mail in self.mails if mail.to == address.lower()]

    async def wait_for(self, address: str, *, subject: str = "", after: int = 0) -> Mail:
        """The first mail to `address` (whose subject contains `subject`) beyond the
        `after` first ones, waiting for it to arrive."""
        deadline = time.monotonic() + WAIT_SECONDS
        while time.monotonic() < deadline:
            found = [mail for mail in self.to(address) if subject in mail.subject]
            if len(found) > after:
                return found[after]
            await asyncio.sleep(0.1)
        got = "\n".join(f"{mail.to}: {mail.subject}" for mail in self.mails)
        raise AssertionError(f"no mail to {address} ({subject!r}); got:\n{got}")

    def settings(self) -> dict[str, str]:
        """The environment that makes a server send its mail here."""
        return {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(self.port)}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class SmtpCapture:
    """Starts the Mailbox's SMTP server; `stop()` ends it."""

    def __init__(self) -> None:
        self.mailbox = Mailbox(port=free_port())
        self.controller = Controller(self.mailbox, hostname="127.0.0.1", port=self.mailbox.port)
        self.controller.start()

    def stop(self) -> None:
        self.controller.stop()
