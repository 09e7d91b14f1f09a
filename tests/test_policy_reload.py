"""Hot reload in development: an edited `.polar` file takes effect without a restart; a broken
one keeps the previous policy and logs the engine's error with file and line."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
from pathlib import Path

import pytest

from models.companies import Establishment
from policies.engine import POLICY_DIR, Grant, Policy, Viewer
from policies.reload import reload_policy, watch_policies
from settings import get_settings

# Samuel, standard user of establishment 7: rule 7 keeps the audit log from him.
SAMUEL = Viewer(
    id=2, email="samuel@acme.example", email_verified=True, accesses=[Grant(1, 7, "STANDARD", [])]
)
SITE = Establishment.construct(_saved_in_db=True, id=7, company_id=1)
STANDARD_READS_AUDIT_LOG = (
    "\n# Test: standard users read the audit log too.\n"
    'allow(viewer: Viewer, "read_audit_log", establishment: Establishment) if\n'
    "  has_access(viewer, establishment.id);\n"
)


@pytest.fixture
def policy_dir(tmp_dir: Path) -> Path:
    copy = tmp_dir / "policies"
    shutil.copytree(POLICY_DIR, copy, ignore=shutil.ignore_patterns("*.py", "__pycache__", "cases"))
    return copy


async def until(condition, seconds: float = 15) -> bool:
    for _ in range(int(seconds / 0.05)):
        if condition():
            return True
        await asyncio.sleep(0.05)
    return condition()


def test_a_valid_change_is_swapped_in(policy_dir: Path) -> None:
    policy = Policy(policy_dir)
    assert not policy.is_allowed(SAMUEL, "read_audit_log", SITE)
    with (policy_dir / "establishments.polar").open("a") as f:
        f.write(STANDARD_READS_AUDIT_LOG)
    assert reload_policy(policy)
    assert policy.generation == 1
    assert policy.is_allowed(SAMUEL, "read_audit_log", SITE)


def test_a_broken_file_keeps_the_previous_policy(
    policy_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    policy = Policy(policy_dir)
    (policy_dir / "establishments.polar").write_text(
        (policy_dir / "establishments.polar").read_text() + STANDARD_READS_AUDIT_LOG.rstrip(";\n")
    )
    with caplog.at_level(logging.ERROR, logger="espace.policy"):
        assert not reload_policy(policy)
    assert policy.generation == 0
    assert not policy.is_allowed(SAMUEL, "read_audit_log", SITE)  # still the old rules
    assert policy.is_allowed(Viewer(id=9, email="s@x", is_staff=True), "read_audit_log", SITE)
    message = caplog.records[-1].getMessage()
    assert "previous policy stays in force" in message
    assert "establishments.polar" in message and "line" in message


async def test_the_watcher_reloads_on_save_and_survives_a_broken_save(
    policy_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    policy = Policy(policy_dir)
    stop, ready = asyncio.Event(), asyncio.Event()
    task = asyncio.create_task(watch_policies(policy, stop=stop, ready=ready, debounce_ms=50))
    try:
        await ready.wait()
        await asyncio.sleep(0.3)  # let the watcher start
        establishments = policy_dir / "establishments.polar"
        good = establishments.read_text() + STANDARD_READS_AUDIT_LOG
        establishments.write_text(good)
        assert await until(lambda: policy.is_allowed(SAMUEL, "read_audit_log", SITE))
        generation = policy.generation

        with caplog.at_level(logging.ERROR, logger="espace.policy"):
            (policy_dir / "broken.polar").write_text(
                'allow(viewer: Viewer, "read", x: Account) if\n'
            )
            assert await until(
                lambda: any("broken.polar" in r.getMessage() for r in caplog.records)
            )
        assert policy.generation == generation
        assert policy.is_allowed(SAMUEL, "read_audit_log", SITE)  # the last good policy serves
    finally:
        stop.set()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def test_the_dev_server_watches_its_policy(policy_dir: Path) -> None:
    from server import create_app

    settings = get_settings()
    assert settings.is_dev
    policy = Policy(policy_dir)
    app = create_app(settings, policy, manage_database=False)
    async with app.router.lifespan_context(app):
        await asyncio.sleep(0.5)  # the watcher starts with the server
        with (policy_dir / "establishments.polar").open("a") as f:
            f.write(STANDARD_READS_AUDIT_LOG)
        assert await until(lambda: policy.generation > 0)
    assert policy.is_allowed(SAMUEL, "read_audit_log", SITE)
