"""`espace apply-price-updates [--now]`: framework-agreement changes reach the prices at the
weekend (rule 10)."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "apply-price-updates",
        help="apply queued framework-agreement changes (Saturdays and Sundays only)",
    )
    parser.add_argument(
        "--now",
        action="store_true",
        help="apply them today even on a weekday (staff decision, outside the weekly rhythm)",
    )
    parser.set_defaults(handler=apply_price_updates_command)


def apply_price_updates_command(args: argparse.Namespace) -> int:
    from commands.runner import run_with_database
    from services.pricing import apply_price_updates

    now = datetime.now(UTC)
    run = run_with_database(lambda: apply_price_updates(now=now, force=args.now))
    if run.skipped:  # not an error: a daily cron job simply waits for the weekend
        print("Prices change only on Saturdays and Sundays; nothing applied (use --now to force).")
        return 0
    for agreement in run.applied:
        print(f"{agreement.reference}: discount now {agreement.discount_percent} %")
    print(f"{len(run.applied)} agreement(s) updated.")
    return 0
