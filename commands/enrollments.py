"""`espace overdue-validations`: booking requests not validated within 24 business hours."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "overdue-validations",
        help="list booking requests still waiting for validation past their deadline",
    )
    parser.set_defaults(handler=overdue_validations_command)


def overdue_validations_command(args: argparse.Namespace) -> int:
    from commands.runner import run_with_database
    from services.enrollments import overdue_rows

    now = datetime.now(UTC)
    rows = run_with_database(lambda: overdue_rows(now=now))
    for row in rows:
        late = now - row.expected_validation_by
        print(
            f"{row.reference}  due {row.expected_validation_by:%Y-%m-%d %H:%M} UTC  "
            f"late {late.total_seconds() / 3600:.0f} h  {row.registrant_email}"
        )
    print(f"{len(rows)} overdue validation(s).")
    return 0
