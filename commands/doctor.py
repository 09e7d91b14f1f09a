"""`espace doctor`: consistency checks of the data, reported in plain words.

Today it checks that every session's booked seats equal the trainees of its orders that are
not cancelled (bookings, cancellations and postponements move both in one transaction).
Exit code 1 when a check fails.
"""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "doctor", help="check the data is consistent (seats booked against trainees)"
    )
    parser.set_defaults(handler=doctor_command)


def doctor_command(args: argparse.Namespace) -> int:
    from commands.runner import run_with_database
    from services.catalog import seat_mismatches

    mismatches = run_with_database(seat_mismatches)
    if not mismatches:
        print("OK: on every session, the seats booked match the trainees of orders not cancelled.")
        return 0
    for row in mismatches:
        print(
            f"session {row.session_id} ({row.course_code}, {row.starts_on.isoformat()}, "
            f"{row.city}): {row.seats_booked} seat(s) booked, {row.trainees} trainee(s) on "
            "orders not cancelled"
        )
    print(f"{len(mismatches)} session(s) to check.")
    return 1
