"""The `espace` command line. Each module of this package adds its sub-commands."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from commands import (
    access,
    accounts,
    bench,
    catalog,
    database,
    doctor,
    documents,
    enrollments,
    mail,
    messages,
    policy,
    pricing,
    schema_sdl,
    serve,
)

# Modules with a `register(subparsers)` function, in the order `espace --help` lists them.
MODULES = [
    serve,
    database,
    accounts,
    access,
    mail,
    documents,
    catalog,
    schema_sdl,
    messages,
    policy,
    pricing,
    enrollments,
    doctor,
    bench,
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="espace", description="Espace: the customer space back end."
    )
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in MODULES:
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    parser = build_parser()
    args = parser.parse_args(argv)
    code = args.handler(args)
    sys.exit(code or 0)
