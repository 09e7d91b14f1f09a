"""`espace migrate` and `espace seed-demo`."""

from __future__ import annotations

import argparse
import asyncio

from tortoise import Tortoise
from tortoise.migrations.api.migrate import migrate

from models.database import tortoise_config
from settings import get_settings


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("migrate", help="apply the committed database migrations")
    parser.set_defaults(handler=lambda args: migrate_database())
    parser = subparsers.add_parser("seed-demo", help="load the demo data (idempotent)")
    parser.set_defaults(handler=lambda args: load_demo())


def migrate_database() -> int:
    async def run() -> None:
        try:
            await migrate(config=tortoise_config(get_settings().database_url))
        finally:
            await Tortoise.close_connections()

    asyncio.run(run())
    print("Database migrated.")
    return 0


def load_demo() -> int:
    from commands.runner import run_with_database
    from services.demo import seed_demo

    report = run_with_database(seed_demo)
    print(report)
    return 0
