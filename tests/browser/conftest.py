"""Browser tests: a real `espace serve` (uvicorn, on the test run's SQLite database, so
factories can prepare rows it then reads), real SMTP (aiosmtpd, `mailbox.py`) and Debian's
Chromium driven by Playwright for Python (only its driver: no browser is downloaded).

They run on SQLite only (skipped when DATABASE_URL is PostgreSQL, to save CI time) and are
skipped when `/usr/bin/chromium` or Playwright is missing, saying so. Screenshots of the main
pages go to `var/screenshots/` (git-ignored), one file per test and step.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from settings import VAR_DIR
from tests.browser.mailbox import Mailbox, SmtpCapture
from tests.conftest import IS_POSTGRES
from tests.live_server import LiveServer, live_server

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
if not Path(CHROMIUM).exists():
    CHROMIUM = shutil.which("chromium") or CHROMIUM
SCREENSHOTS = VAR_DIR / "screenshots"

# An upper bound for a failing test on a busy machine (argon2 hashes take a while when five
# test runs share two cores), never asserted as a duration.
WAIT_MS = 20_000

try:
    from playwright.async_api import Browser, BrowserContext, Page, async_playwright, expect

    expect.set_options(timeout=WAIT_MS)
except ImportError:  # pragma: no cover - the dev extras install it
    async_playwright = None  # type: ignore[assignment]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    reason = None
    if IS_POSTGRES:
        reason = "browser tests run on SQLite only"
    elif async_playwright is None:
        reason = "playwright is not installed (pip install -e '.[dev]')"
    elif not Path(CHROMIUM).exists():
        reason = f"no Chromium at {CHROMIUM} (apt-get install -y chromium)"
    if reason is None:
        return
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    capture = SmtpCapture()
    try:
        yield capture.mailbox
    finally:
        capture.stop()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Keeps each phase's report on the test, for the `server` fixture's teardown."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture
def server(tmp_dir: Path, mailbox: Mailbox, request: pytest.FixtureRequest) -> Iterator[LiveServer]:
    """A fresh server for each test (fresh in-memory rate limits), sending mail to `mailbox`.
    When the test failed, the end of the server's log is printed with the failure."""
    with live_server(tmp_dir, **mailbox.settings()) as running:
        yield running
        call = getattr(request.node, "report_call", None)
        if call is not None and call.failed:
            print(f"--- end of the server log ({running.log_path}) ---")
            print(running.log()[-6000:])


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    args = ["--no-sandbox"] if os.geteuid() == 0 else []  # Chromium refuses root otherwise
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=CHROMIUM, args=args)
        yield launched
        await launched.close()


@pytest.fixture
async def context(browser: Browser, server: LiveServer) -> AsyncIterator[BrowserContext]:
    """A fresh browser profile (no token, no language choice) for each test."""
    made = await browser.new_context(base_url=server.url, locale="fr-FR", accept_downloads=True)
    made.set_default_timeout(WAIT_MS)
    yield made
    await made.close()


@pytest.fixture
async def page(context: BrowserContext, request: pytest.FixtureRequest) -> AsyncIterator[Page]:
    opened = await context.new_page()
    problems: list[str] = []
    opened.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    opened.on("console", lambda message: _console(message, problems))
    yield opened
    # A script error or a CSP violation fails the test that caused it.
    assert not problems, "\n".join(problems)


def _console(message: Any, problems: list[str]) -> None:
    text = message.text
    if message.type == "error" and not _expected_http_error(text):
        problems.append(f"console error: {text}")


def _expected_http_error(text: str) -> bool:
    """The browser logs every 4xx answer as an error; the API answers some on purpose
    (a refused GraphQL operation is 200 but a wrong download link is 403)."""
    return bool(re.search(r"status of (400|401|403|404|409|429)", text))


@pytest.fixture
def screenshot(request: pytest.FixtureRequest) -> Any:
    """`await screenshot(page, "history")` writes var/screenshots/<test>-history.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    test_name = request.node.name.removeprefix("test_")

    async def take(target: Page, name: str, *, full_page: bool = True) -> Path:
        path = SCREENSHOTS / f"{test_name}-{name}.png"
        await target.screenshot(path=str(path), full_page=full_page)
        return path

    return take
