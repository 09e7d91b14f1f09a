"""`espace migrate` and `espace seed-demo`."""

from __future__ import annotations

import argparse
import asyncio
from datetime import UTC, date, datetime, time

from tortoise import Tortoise
from tortoise.migrations.api.migrate import migrate

from models.database import tortoise_config
from settings import get_settings


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("migrate", help="apply the committed database migrations")
    parser.set_defaults(handler=lambda args: migrate_database())
    parser = subparsers.add_parser(
        "seed-demo",
        help="load the demo data, dated around today (idempotent; run later, it adds the "
        "coming sessions)",
    )
    parser.add_argument(
        "--as-of",
        type=date.fromisoformat,
        default=None,
        metavar="YYYY-MM-DD",
        help="load it as if today were this day (default: today)",
    )
    parser.set_defaults(handler=lambda args: load_demo(args.as_of))


def migrate_database() -> int:
    async def run() -> None:
        try:
            await migrate(config=tortoise_config(get_settings().database_url))
        finally:
            await Tortoise.close_connections()

    asyncio.run(run())
    print("Database migrated.")
    return 0


def load_demo(as_of: date | None = None) -> int:
    from commands.demo_data import seed_demo
    from commands.runner import run_with_database

    now = datetime.combine(as_of, time(12), tzinfo=UTC) if as_of else None
    report = run_with_database(lambda: seed_demo(now))
    print(report)
    return 0
