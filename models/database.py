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


# PostgreSQL session settings of every connection. asyncpg prepares each statement and
# reuses it; after five runs PostgreSQL may switch a prepared statement to a generic plan,
# one plan for every parameter value, chosen on average estimates. For the history's
# queries that is wrong exactly when it matters: a 20,000-row establishment and a 10-row one
# need different plans, and an estimate that goes wrong turned a 0.3 ms page into an 89 ms
# one (issue 20). A custom plan for each run costs its planning (a fraction of a
# millisecond for our statements, within the noise of a request: see tests/test_query_plans.py).
POSTGRES_SETTINGS = {"plan_cache_mode": "force_custom_plan"}


async def keep_session_state(connection: Any) -> None:
    """What the pool runs on a connection given back, after asyncpg itself rolled back any
    open transaction: nothing more. asyncpg's default sends `SELECT pg_advisory_unlock_all();
    CLOSE ALL; UNLISTEN *; RESET ALL;`, one more round trip after every statement Tortoise
    runs (it takes a connection per statement). Espace leaves no session state behind: its
    only advisory lock is taken per transaction (`infra/locks.py`), it opens no cursor that
    outlives a transaction, listens to nothing, and sets its session settings when the
    connection opens (`POSTGRES_SETTINGS`), never by `SET` (tests/test_database_sessions.py)."""


def _connection(database_url: str) -> str | dict[str, Any]:
    """SQLite URLs get `performance.sqlite_readers` (reads beside writes) unless switched off
    (`ESPACE_SQLITE_READERS`); PostgreSQL connections get `POSTGRES_SETTINGS`; others stay as is."""
    from settings import get_settings

    if database_url.startswith("sqlite://"):
        if not get_settings().espace_sqlite_readers:
            return database_url
        connection = expand_db_url(database_url)
        connection["engine"] = "performance.sqlite_readers"
        return connection
    connection = expand_db_url(database_url)
    if connection["engine"] != "tortoise.backends.asyncpg":
        return database_url
    credentials = connection["credentials"]
    credentials["server_settings"] = {**POSTGRES_SETTINGS, **credentials.get("server_settings", {})}
    credentials["reset"] = keep_session_state
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
