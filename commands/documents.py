"""`espace documents verify`: check every stored document file against its checksum."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from services.documents import VerifyReport


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("documents", help="document storage maintenance")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    verify = actions.add_parser(
        "verify",
        help="check every stored file against its checksum; exit 1 if any is missing or corrupt",
    )
    verify.set_defaults(handler=verify_command)


def print_report(report: VerifyReport, out: TextIO = sys.stdout) -> int:
    """Print a verification report; return the exit code (1 when a file is missing/corrupt)."""
    for problem in report.problems:
        print(
            f"{problem.problem.upper()}: document {problem.document_id} ({problem.checksum})",
            file=out,
        )
    if report.problems:
        print(
            f"{len(report.problems)} of {report.checked} document(s) have a missing or corrupt "
            "file.",
            file=out,
        )
        return 1
    print(f"All {report.checked} document file(s) match their checksum.", file=out)
    return 0


def verify_command(args: argparse.Namespace) -> int:
    from commands.runner import run_with_database
    from services.documents import verify_storage

    return print_report(run_with_database(verify_storage))
