"""Test fixtures: a real database (SQLite file by default, PostgreSQL when DATABASE_URL says
so), migrated once per run and emptied after each test; the real ASGI app over httpx.

Run against PostgreSQL with:
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres pytest
A throw-away database is created for the run and dropped at the end.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from tortoise import Tortoise, connections

_TMP = Path(tempfile.mkdtemp(prefix="espace-tests-"))
_SERVER_URL = os.environ.get("DATABASE_URL", "")
IS_POSTGRES = _SERVER_URL.startswith(("postgres://", "postgresql://", "asyncpg://"))
_TEST_DB_NAME = f"espace_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"


def _test_database_url() -> str:
    if IS_POSTGRES:
        base, _, _ = _SERVER_URL.rpartition("/")
        return f"{base}/{_TEST_DB_NAME}"
    return f"sqlite://{_TMP / 'test.sqlite3'}"


# Settings are read from the environment: point everything at throw-away places first.
os.environ["DATABASE_URL"] = _test_database_url()
os.environ["ENVIRONMENT"] = "dev"
os.environ["SECRET_KEY"] = "test-secret-key-not-for-production"
os.environ["DOCUMENTS_DIR"] = str(_TMP / "documents")
os.environ["MAIL_DIR"] = str(_TMP / "mail")
os.environ["PUBLIC_URL"] = "https://espace.test"
os.environ.pop("SMTP_HOST", None)
os.environ.pop("REDIS_URL", None)

from models.database import tortoise_config  # noqa: E402
from policies.engine import Policy  # noqa: E402
from settings import get_settings  # noqa: E402

get_settings.cache_clear()


async def _create_postgres_database() -> None:
    import asyncpg

    dsn = _SERVER_URL.replace("asyncpg://", "postgresql://")
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(f'CREATE DATABASE "{_TEST_DB_NAME}"')
    finally:
        await conn.close()


async def _drop_postgres_database() -> None:
    import asyncpg

    dsn = _SERVER_URL.replace("asyncpg://", "postgresql://")
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{_TEST_DB_NAME}" WITH (FORCE)')
    finally:
        await conn.close()


async def migrate_database(url: str) -> None:
    from tortoise.migrations.api.migrate import migrate

    await migrate(config=tortoise_config(url))
    await Tortoise.close_connections()


@pytest.fixture(scope="session")
async def database() -> AsyncIterator[str]:
    """The migrated test database, opened for the whole run."""
    url = os.environ["DATABASE_URL"]
    if IS_POSTGRES:
        await _create_postgres_database()
    await migrate_database(url)
    await Tortoise.init(config=tortoise_config(url))
    # Open the connection now. Tortoise opens it lazily, under its SQLite lock, inside the
    # first query; a first query cancelled right then (graphql-core cancels a root field's
    # siblings when a non-null one fails) leaves the lock taken and every later query hangs.
    # The server opens it at start-up (`ensure_migrated`), so this only concerns tests.
    await connections.get("default").execute_query("SELECT 1")
    yield url
    await Tortoise.close_connections()
    if IS_POSTGRES:
        await _drop_postgres_database()


async def empty_tables() -> None:
    connection = connections.get("default")
    tables = [model._meta.db_table for model in Tortoise.apps["models"].values()]
    if IS_POSTGRES:
        quoted = ", ".join(f'"{t}"' for t in tables)
        await connection.execute_script(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE")
    else:
        script = "PRAGMA foreign_keys=OFF;"
        script += "".join(f'DELETE FROM "{t}";' for t in tables)
        script += "DELETE FROM sqlite_sequence; PRAGMA foreign_keys=ON;"
        await connection.execute_script(script)


@pytest.fixture(autouse=True)
async def db(database: str) -> AsyncIterator[str]:
    """Every test starts and ends with empty tables and fresh rate-limit counters (all
    test requests come from the same client address)."""
    from services import rate_limits

    await rate_limits.reset()
    yield database
    await empty_tables()
    await rate_limits.reset()


@pytest.fixture(scope="session")
def policy() -> Policy:
    return Policy()


@pytest.fixture
def app(policy: Policy) -> Any:
    from server import create_app

    return create_app(get_settings(), policy, manage_database=False)


@pytest.fixture
async def client(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


@pytest.fixture
def tmp_dir() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="espace-case-", dir=_TMP))
    yield path


# -- document stores -------------------------------------------------------------------------


@contextlib.contextmanager
def settings_env(**values: str | None) -> Iterator[None]:
    """Change environment variables (None removes one) and the settings read from them, for
    the duration of the block."""
    saved = {name: os.environ.get(name) for name in values}
    for name, value in values.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    get_settings.cache_clear()
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        get_settings.cache_clear()


@pytest.fixture(scope="session")
async def s3_server() -> AsyncIterator[Any]:
    """A real S3-compatible server (moto's), started once for the run when a test asks."""
    from infra.storage import close_storages
    from tests.s3_server import running

    with running() as server:
        yield server
        await close_storages()


@pytest.fixture(params=["local", "s3"])
def document_store(request: pytest.FixtureRequest) -> Iterator[str]:
    """Run the test on a local folder, then on the S3 server (a fresh folder or prefix each
    time):
    `pytestmark = pytest.mark.usefixtures("document_store")` in a module runs all its tests
    on both stores."""
    directory = tempfile.mkdtemp(prefix="documents-", dir=_TMP)  # a fresh DOCUMENTS_DIR too
    if request.param == "local":
        with settings_env(DOCUMENTS_URL=None, DOCUMENTS_DIR=directory):
            yield "local"
    else:
        s3 = request.getfixturevalue("s3_server")
        with settings_env(**s3.settings(), DOCUMENTS_DIR=directory):
            yield "s3"
