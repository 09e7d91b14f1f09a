"""`espace send-mail`: deliver the mail outbox now (the server also does it in the background)."""

from __future__ import annotations

import argparse
import sys


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "send-mail",
        help="deliver every mail waiting in the outbox (SMTP, or .eml files under MAIL_DIR)",
    )
    parser.set_defaults(handler=send_mail_command)


def send_mail_command(args: argparse.Namespace) -> int:
    from commands.runner import run_with_database
    from infra.mail_sender import SendReport, drain, pending_count

    async def work() -> tuple[SendReport, int]:
        report = await drain()
        return report, await pending_count()

    report, pending = run_with_database(work)
    print(f"{report.sent} mail(s) sent, {report.failed} failed, {pending} waiting.")
    if report.failed:
        print("Failed mails are retried later with backoff; see the log.", file=sys.stderr)
        return 1
    return 0
