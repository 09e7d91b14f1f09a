"""Point the settings at a throw-away directory before anything reads them."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

# Set by `python -m bench --postgres URL` to its throw-away database, so that the HTTP server
# it starts in another process uses the same one.
DATABASE_VARIABLE = "BENCH_DATABASE_URL"


def prepare(directory: Path | None = None) -> Path:
    """Create (or reuse) the bench directory and set the environment the settings read: the
    database is a SQLite file in the directory unless `BENCH_DATABASE_URL` names another."""
    directory = directory or Path(tempfile.mkdtemp(prefix="espace-bench-"))
    directory.mkdir(parents=True, exist_ok=True)
    os.environ["DATABASE_URL"] = os.environ.get(
        DATABASE_VARIABLE, f"sqlite://{directory / 'bench.sqlite3'}"
    )
    os.environ["ENVIRONMENT"] = "prod"  # measured as deployed: no GraphiQL, no introspection
    os.environ["SECRET_KEY"] = "bench-secret-key-not-for-production"
    os.environ["DOCUMENTS_DIR"] = str(directory / "documents")
    os.environ["MAIL_DIR"] = str(directory / "mail")
    os.environ.pop("SMTP_HOST", None)
    os.environ.pop("REDIS_URL", None)
    from settings import get_settings

    get_settings.cache_clear()
    return directory
