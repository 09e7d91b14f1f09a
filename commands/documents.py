"""`espace documents verify` and `espace documents migrate --to URL`: the document store
(`DOCUMENTS_URL`, a local folder or an S3-compatible bucket) against the document rows."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, TextIO, TypeVar

if TYPE_CHECKING:
    from services.document_storage import MigrateReport, VerifyReport

T = TypeVar("T")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("documents", help="document storage maintenance")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    verify = actions.add_parser(
        "verify",
        help="check every document's stored object against its checksum and list orphaned "
        "objects; exit 1 if any is missing or corrupt",
    )
    verify.add_argument(
        "--remove-orphans",
        action="store_true",
        help="remove the objects that no document names",
    )
    verify.set_defaults(handler=verify_command)
    migrate = actions.add_parser(
        "migrate",
        help="copy every document's object from the configured store to another one "
        "(resumable: what is already there is skipped), then verify the copy",
    )
    migrate.add_argument(
        "--to",
        required=True,
        metavar="URL",
        help="the target store: s3://BUCKET/PREFIX (with the S3_* and AWS_* settings) or "
        "file:///PATH",
    )
    migrate.set_defaults(handler=migrate_command)


def print_report(report: VerifyReport, out: TextIO = sys.stdout) -> int:
    """Print a verification report; return the exit code (1 when an object is missing or
    corrupt; orphaned objects are listed but harmless)."""
    for problem in report.problems:
        print(
            f"{problem.problem.upper()}: document {problem.document_id} ({problem.checksum})",
            file=out,
        )
    for orphan in report.orphans:
        print(f"ORPHANED: object {orphan.checksum} ({orphan.size} bytes)", file=out)
    if report.orphans:
        if report.removed_orphans:
            print(f"{report.removed_orphans} orphaned object(s) removed.", file=out)
        else:
            print(
                f"{len(report.orphans)} object(s) in {report.store} that no document names "
                "(remove them with --remove-orphans).",
                file=out,
            )
    if report.problems:
        print(
            f"{len(report.problems)} of {report.checked} document(s) have a missing or corrupt "
            f"object in {report.store}.",
            file=out,
        )
        return 1
    print(f"All {report.checked} document file(s) match their checksum.", file=out)
    return 0


def print_migration(report: MigrateReport, out: TextIO = sys.stdout) -> int:
    """Print a migration report and the verification of the target; return the exit code."""
    print(f"From {report.source} to {report.target}:", file=out)
    for checksum, why in report.failed:
        print(f"NOT COPIED: object {checksum}: {why}", file=out)
    print(
        f"{report.copied} object(s) copied, {report.present} already there, "
        f"{len(report.failed)} not copied.",
        file=out,
    )
    assert report.verify is not None
    verified = print_report(report.verify, out)
    return 1 if report.failed or verified else 0


def _run(work: Callable[[], Awaitable[T]]) -> T:
    """`work()` with the database open; the store connections closed afterwards."""
    from commands.runner import run_with_database
    from infra.storage import close_storages

    async def work_then_close() -> T:
        try:
            return await work()
        finally:
            await close_storages()

    return run_with_database(work_then_close)


def verify_command(args: argparse.Namespace) -> int:
    from services.document_storage import verify_storage

    return print_report(_run(lambda: verify_storage(remove_orphans=args.remove_orphans)))


def migrate_command(args: argparse.Namespace) -> int:
    from infra.storage import get_storage, storage_for_url
    from services.document_storage import migrate_storage
    from settings import get_settings

    settings = get_settings()
    source = get_storage(settings)
    target = storage_for_url(args.to, settings)
    if target.url == source.url:
        print(f"The target {target.url} is the configured store itself.", file=sys.stderr)
        return 2
    return print_migration(_run(lambda: migrate_storage(source, target)))
