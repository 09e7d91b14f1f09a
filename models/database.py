"""Database wiring: the Tortoise configuration and the migration state check."""

from __future__ import annotations

from typing import Any

from tortoise.backends.base.config_generator import expand_db_url
from tortoise.connection import get_connection
from tortoise.migrations.executor import MigrationExecutor

from models import MODEL_MODULES

APP_LABEL = "models"
MIGRATIONS_MODULE = "models.migrations"


class DatabaseNotMigrated(RuntimeError):
    """The database schema is behind the committed migrations."""


def tortoise_config(database_url: str) -> dict[str, Any]:
    """The Tortoise configuration for one database URL (sqlite://… or postgres://…)."""
    return {
        "connections": {"default": _connection(database_url)},
        "apps": {
            APP_LABEL: {
                "models": MODEL_MODULES,
                "default_connection": "default",
                "migrations": MIGRATIONS_MODULE,
            }
        },
        "use_tz": True,
        "timezone": "UTC",
    }


def _connection(database_url: str) -> str | dict[str, Any]:
    """SQLite URLs get `performance.sqlite_readers` (reads beside writes); others stay as is."""
    from settings import get_settings

    if not database_url.startswith("sqlite://") or not get_settings().espace_sqlite_readers:
        return database_url
    connection = expand_db_url(database_url)
    connection["engine"] = "performance.sqlite_readers"
    return connection


def _default_config() -> dict[str, Any]:
    from settings import get_settings

    return tortoise_config(get_settings().database_url)


def __getattr__(name: str) -> Any:
    """`TORTOISE_ORM`, built when read (by `tortoise -c models.database.TORTOISE_ORM
    makemigrations`), so importing this module neither reads settings nor writes `var/`."""
    if name == "TORTOISE_ORM":
        return _default_config()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


async def pending_migrations() -> list[str]:
    """Names of the committed migrations not yet applied to the connected database."""
    executor = MigrationExecutor(
        get_connection("default"),
        {APP_LABEL: {"models": MODEL_MODULES, "migrations": MIGRATIONS_MODULE}},
    )
    plan = await executor.plan(None)
    return [
        f"{step.migration.app_label}.{step.migration.name}" for step in plan if not step.backward
    ]


async def ensure_migrated() -> None:
    """Refuse to serve a database whose schema is behind the code."""
    pending = await pending_migrations()
    if pending:
        raise DatabaseNotMigrated(
            "The database is not migrated (pending: "
            + ", ".join(pending)
            + "). Run `espace migrate` first."
        )
