"""`espace bench`: the performance benchmark of the enrollment history (bench/RESULTS.md)."""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

# The benchmark is not installed with the package: it runs from a checkout, whose root holds
# `commands/` (this package) beside `bench/`.
PROJECT_DIR = Path(__file__).resolve().parent.parent


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "bench",
        help="run the benchmark (PostgreSQL by default, see bench/README.md)",
    )
    parser.add_argument("--repetitions", type=int, default=9, help="rounds of in-process cases")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of the series and HTTP cases")
    parser.add_argument("--write", action="store_true", help="regenerate bench/RESULTS.md")
    parser.add_argument("--no-write", action="store_true", help=argparse.SUPPRESS)  # the default
    parser.add_argument("--rebuild", action="store_true", help="load the data set again")
    parser.add_argument("--tiny", action="store_true", help="a few hundred rows, to try it")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--postgres", metavar="URL", help="PostgreSQL server of the bench database")
    where.add_argument("--sqlite", action="store_true", help="run on a SQLite file instead")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    if not (PROJECT_DIR / "bench" / "run.py").is_file():
        print(
            f"espace bench: no bench/ folder in {PROJECT_DIR}. The benchmark is not installed "
            "with the package; run it from a checkout of the repository (an editable install, "
            "`pip install -e .`, or `python -m bench` in the checkout).",
            file=sys.stderr,
        )
        return 2
    argv = ["--repetitions", str(args.repetitions), "--rounds", str(args.rounds)]
    argv += [
        flag
        for flag, wanted in (
            ("--write", args.write),
            ("--rebuild", args.rebuild),
            ("--tiny", args.tiny),
            ("--sqlite", args.sqlite),
        )
        if wanted
    ]
    if args.postgres:
        argv += ["--postgres", args.postgres]
    # `python -m bench` in the checkout: bench/ and tests/ (its SQL counter) are found there.
    return subprocess.call([sys.executable, "-m", "bench", *argv], cwd=PROJECT_DIR)
