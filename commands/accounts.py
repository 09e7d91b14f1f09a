"""`espace create-staff EMAIL`."""

from __future__ import annotations

import argparse
import getpass
import os
import sys


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "create-staff",
        help="create a back-office account (password from a prompt or ESPACE_PASSWORD)",
    )
    parser.add_argument("email")
    parser.add_argument("--name", default="")
    parser.set_defaults(handler=create_staff_command)


def create_staff_command(args: argparse.Namespace) -> int:
    from commands.runner import run_with_database
    from services.errors import ServiceError
    from services.staff import create_staff

    password = os.environ.get("ESPACE_PASSWORD") or getpass.getpass("Password: ")
    try:
        account = run_with_database(lambda: create_staff(args.email, password, args.name))
    except ServiceError as error:
        print(f"error: {error.message}", file=sys.stderr)
        return 2
    print(f"Staff account {account.email} ready.")
    return 0
