"""Importing the server or the database wiring does nothing: no settings built (they write
`var/secret_key` in dev), no policy loaded, no app built. Each check runs in a fresh process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent

PROBE = """
import gc, json, sys
import server, models.database
import settings
from oso import Oso
from policies.engine import Policy
print(json.dumps({
    "settings_built": settings.get_settings.cache_info().currsize,
    "engines": sum(isinstance(o, (Policy, Oso)) for o in gc.get_objects()),
    "app_built": server._app is not None,
}))
"""

ON_ACCESS = """
import json
import models.database, server, settings
config = models.database.TORTOISE_ORM
first, second = server.app, server.app
print(json.dumps({
    "apps": sorted(config["apps"]),
    "same_app": first is second,
    "routes": [route.path for route in first.routes],
}))
"""


def _run(code: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "SECRET_KEY"}
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_importing_server_and_database_builds_nothing() -> None:
    seen = _run(PROBE)
    assert seen == {"settings_built": 0, "engines": 0, "app_built": False}


def test_tortoise_config_and_app_are_built_when_read() -> None:
    seen = _run(ON_ACCESS)
    assert seen["apps"] == ["models"]
    assert seen["same_app"] is True  # `uvicorn server:app` gets one app, built once
    assert "/graphql" in seen["routes"]
