"""`espace import-training-managers CSV`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "import-training-managers",
        help="import the training managers known in our records (CSV: email,siret,full_name); "
        "they become admins of their establishments (rule 9)",
    )
    parser.add_argument("csv", type=Path, help="CSV file with a header line email,siret,full_name")
    parser.set_defaults(handler=import_training_managers_command)


def import_training_managers_command(args: argparse.Namespace) -> int:
    from commands.runner import run_with_database
    from services.access import import_training_managers

    try:
        text = args.csv.read_text(encoding="utf-8-sig")
    except OSError as error:
        print(f"error: cannot read {args.csv}: {error.strerror}", file=sys.stderr)
        return 2
    report = run_with_database(lambda: import_training_managers(text))
    if report.errors:
        for line in report.errors:
            print(f"error: {line}", file=sys.stderr)
        print("Nothing was imported.", file=sys.stderr)
        return 2
    print(
        f"Training managers: {report.created} new, {report.updated} updated, "
        f"{report.unchanged} unchanged. Admin accesses granted: {report.accesses_granted}."
    )
    return 0
