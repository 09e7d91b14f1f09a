"""`espace catalog import FILE.csv [--dry-run]`: load a catalog kept elsewhere.

Columns (header line, ',' or ';' separated, UTF-8): course_code, course_title, list_price,
duration_days, and optionally summary, starts_on, ends_on, city, capacity. One row per
session (the course's columns repeated), or a row without starts_on for a course alone.
Courses are matched by code, sessions by course code + start date + city: importing the same
file again changes nothing. A bad row is reported with its line, column and reason, and
then nothing at all is written.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("catalog", help="manage the course catalog from files")
    actions = parser.add_subparsers(dest="catalog_command", required=True, metavar="ACTION")
    importer = actions.add_parser(
        "import", help="import courses and sessions from a CSV file (idempotent)"
    )
    importer.add_argument("file", type=Path, help="the CSV file")
    importer.add_argument(
        "--dry-run", action="store_true", help="print what would change, write nothing"
    )
    importer.set_defaults(handler=import_command)


def import_command(args: argparse.Namespace) -> int:
    from commands.runner import run_with_database
    from services.catalog import import_catalog

    try:
        text = args.file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        print(f"Cannot read {args.file}: {error}", file=sys.stderr)
        return 2
    report = run_with_database(
        lambda: import_catalog(text, dry_run=args.dry_run, source=args.file.name)
    )
    if report.errors:
        for bad_row in report.errors:
            print(f"{args.file.name}: {bad_row}", file=sys.stderr)
        print(f"{len(report.errors)} bad value(s): nothing imported.", file=sys.stderr)
        return 1
    for change in report.changes:
        print(change)
    if args.dry_run:
        print(f"Dry run, nothing written. Would do: {report.summary}")
    else:
        print(f"Imported: {report.summary}")
    return 0
