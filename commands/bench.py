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
        help="run the benchmark on a throw-away database and write bench/RESULTS.md",
    )
    parser.add_argument("--repetitions", type=int, default=5, help="rounds of cases 1-2")
    parser.add_argument("--rounds", type=int, default=2, help="rounds of the HTTP cases 4-5")
    parser.add_argument("--no-write", action="store_true", help="do not write bench/RESULTS.md")
    parser.add_argument(
        "--postgres", metavar="URL", help="run on a throw-away database of this PostgreSQL server"
    )
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
    if args.no_write:
        argv.append("--no-write")
    if args.postgres:
        argv += ["--postgres", args.postgres]
    # `python -m bench` in the checkout: bench/ and tests/ (its SQL counter) are found there.
    return subprocess.call([sys.executable, "-m", "bench", *argv], cwd=PROJECT_DIR)
