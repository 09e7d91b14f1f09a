"""Delivering the outbox: SMTP (aiosmtplib) when `SMTP_HOST` is set, `.eml` files otherwise.

Any number of senders may run at once (one background task per server worker, plus
`espace send-mail`). A sender claims a mail with a conditional UPDATE on its attempt counter
before sending it: of two senders that read the same row, only one update matches, so a mail
is never sent twice by two workers. A claim also pushes `next_attempt_at` past a lease, so a
sender that dies mid-send leaves the mail to be retried, never lost. A failed delivery is
retried with exponential backoff, forever: an SMTP server that is down only delays mail.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

import aiosmtplib

from models.mail import OutboxMail
from settings import Settings, get_settings

logger = logging.getLogger("espace.mail")

BATCH_SIZE = 20
LEASE = timedelta(minutes=5)  # a claimed mail is retried after this if its sender vanished
FIRST_RETRY = timedelta(seconds=30)
LONGEST_RETRY = timedelta(hours=1)
POLL_SECONDS = 5.0
SMTP_TIMEOUT_SECONDS = 30.0


@dataclass
class SendReport:
    """What one pass over the outbox did."""

    sent: int = 0
    failed: int = 0


def retry_delay(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min, 4 min, ... capped at one hour."""
    delay = FIRST_RETRY * (2 ** max(attempts - 1, 0))
    return min(delay, LONGEST_RETRY)


def build_message(mail: OutboxMail, settings: Settings) -> EmailMessage:
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = mail.to
    message["Subject"] = mail.subject
    message["Date"] = format_datetime(mail.created_at or datetime.now(UTC))
    # One stable id per outbox row: a receiver can tell a rare re-delivery is the same mail.
    message["Message-ID"] = make_msgid(idstring=f"outbox-{mail.id}", domain="espace")
    message.set_content(mail.text_body)
    if mail.html_body:
        message.add_alternative(mail.html_body, subtype="html")
    return message


async def deliver(message: EmailMessage, mail_id: int, settings: Settings) -> None:
    """Hand one message to the SMTP server, or write it under MAIL_DIR."""
    if settings.smtp_host:
        await aiosmtplib.send(
            message,
            hostname=settings.smtp_host,
            port=settings.smtp_port,
            username=settings.smtp_username,
            password=settings.smtp_password,
            start_tls=settings.smtp_starttls,
            timeout=SMTP_TIMEOUT_SECONDS,
        )
        return
    await asyncio.to_thread(_write_eml, message, mail_id, Path(settings.mail_dir))


def _write_eml(message: EmailMessage, mail_id: int, directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    path = directory / f"{stamp}-{mail_id:08d}.eml"
    temporary = path.with_suffix(".tmp")
    temporary.write_bytes(message.as_bytes())
    os.replace(temporary, path)  # readers never see half a file


async def claim(mail: OutboxMail, moment: datetime) -> bool:
    """Take a mail for this sender: true for exactly one of the senders that try."""
    claimed = await OutboxMail.filter(id=mail.id, sent_at=None, attempts=mail.attempts).update(
        attempts=mail.attempts + 1, next_attempt_at=moment + LEASE
    )
    if claimed:
        mail.attempts += 1
    return bool(claimed)


async def send_due(
    settings: Settings | None = None, *, now: datetime | None = None, limit: int = BATCH_SIZE
) -> SendReport:
    """Send the mails whose time has come (at most `limit`). `now` lets a caller look ahead."""
    settings = settings or get_settings()
    moment = now or datetime.now(UTC)
    report = SendReport()
    due = (
        await OutboxMail.filter(sent_at=None, next_attempt_at__lte=moment)
        .order_by("next_attempt_at", "id")
        .limit(limit)
    )
    for mail in due:
        if not await claim(mail, moment):
            continue  # another sender has it
        try:
            await deliver(build_message(mail, settings), mail.id, settings)
        except Exception as error:
            report.failed += 1
            retry_at = datetime.now(UTC) + retry_delay(mail.attempts)
            logger.warning(
                "mail %s to %s failed (attempt %s), retry at %s: %s",
                mail.id,
                mail.to,
                mail.attempts,
                retry_at.isoformat(),
                error,
            )
            await OutboxMail.filter(id=mail.id, sent_at=None).update(
                next_attempt_at=retry_at, last_error=f"{type(error).__name__}: {error}"[:2000]
            )
            continue
        await OutboxMail.filter(id=mail.id).update(sent_at=datetime.now(UTC), last_error="")
        report.sent += 1
    return report


async def drain(settings: Settings | None = None) -> SendReport:
    """Send everything due now; stop when nothing due is left or every try failed."""
    total = SendReport()
    while True:
        report = await send_due(settings)
        total.sent += report.sent
        total.failed += report.failed
        if report.sent == 0:
            return total


SHUTDOWN_GRACE_SECONDS = 20.0


async def pending_count() -> int:
    return await OutboxMail.filter(sent_at=None).count()


async def run_forever(
    settings: Settings | None = None,
    poll_seconds: float = POLL_SECONDS,
    stop: asyncio.Event | None = None,
) -> None:
    """The in-process sender: a pass over the outbox every few seconds, until `stop` is set
    (between passes) or the task is cancelled."""
    stop = stop or asyncio.Event()
    while not stop.is_set():
        try:
            await drain(settings)
        except asyncio.CancelledError:
            raise
        except Exception:  # the database may be briefly away: keep the loop alive
            logger.exception("mail sender pass failed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=poll_seconds)


@contextlib.asynccontextmanager
async def background_sender(
    settings: Settings | None = None, grace_seconds: float = SHUTDOWN_GRACE_SECONDS
) -> AsyncIterator[asyncio.Task[None]]:
    """Run `run_forever` while the application runs (used by server.py's lifespan).

    On shutdown the pass under way is allowed to finish (up to `grace_seconds`), so a mail
    being handed to the SMTP server is not cut off and sent again after its lease.
    """
    stop = asyncio.Event()
    task = asyncio.create_task(run_forever(settings, stop=stop), name="espace-mail-sender")
    try:
        yield task
    finally:
        stop.set()
        try:
            await asyncio.wait_for(asyncio.shield(task), timeout=grace_seconds)
        except TimeoutError:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        except asyncio.CancelledError:
            task.cancel()
            raise
