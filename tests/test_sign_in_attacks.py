"""Sign-in under attack: password attempts reserved before verifying, even when
they all arrive at once; the same argon2 work whether the e-mail is known or not; a bounded
number of argon2 computations at once; client addresses from trusted proxies only.

Work is counted (`services.passwords.verification_count`), never timed.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator

import httpx
import pytest

import schema.limits
from models.accounts import Account
from models.audit import AuditEntry
from services import passwords
from settings import get_settings
from tests import factories
from tests.graphql import GraphQLResult, gql
from tests.live_server import live_server

LOG_IN = "mutation ($e: String!, $p: String!) { logIn(email: $e, password: $p) { token } }"
CHANGE_PASSWORD = "mutation ($c: String!) { changePassword(currentPassword: $c, newPassword: $c) }"
CHANGE_EMAIL = (
    "mutation ($c: String!) { changeEmail(password: $c, newEmail: "
    '"other@example.com", acknowledgeHistoryChange: true) { confirmed } }'
)
BURST = 40
ALLOWANCE = 5  # services.rate_limits.PASSWORD_FAILURES_PER_ACCOUNT


@pytest.fixture(autouse=True)
def patient(monkeypatch: pytest.MonkeyPatch) -> None:
    """On a loaded machine a burst may wait seconds for argon2: let it, so that answers are
    counted exactly (waiting too long is tested on its own below)."""
    monkeypatch.setattr(get_settings(), "password_slot_wait_seconds", 300.0)
    monkeypatch.setattr(schema.limits, "TIME_BUDGET_SECONDS", 300.0)


def first_code(result: GraphQLResult) -> str | None:
    return result.codes[0] if result.codes else None


async def test_a_burst_of_wrong_passwords_verifies_at_most_the_allowance(client):
    """40 wrong passwords for one account sent at once: 5 are verified and answered
    UNAUTHENTICATED, 35 are RATE_LIMITED without any argon2 work (the old check-then-count
    verified all 40)."""
    claire = await factories.account("claire@acme.example")
    before = passwords.verification_count()
    results = await asyncio.gather(
        *(gql(client, LOG_IN, {"e": claire.email, "p": f"guess {i}"}) for i in range(BURST))
    )
    codes = Counter(first_code(result) for result in results)
    assert codes == {"UNAUTHENTICATED": ALLOWANCE, "RATE_LIMITED": BURST - ALLOWANCE}
    assert passwords.verification_count() - before == ALLOWANCE
    assert await AuditEntry.filter(action="account.login_failed").count() == ALLOWANCE


@pytest.mark.parametrize(
    ("document", "wrong_code"),
    [(CHANGE_PASSWORD, "BAD_USER_INPUT"), (CHANGE_EMAIL, "BAD_USER_INPUT")],
    ids=["changePassword", "changeEmail"],
)
async def test_a_burst_of_wrong_current_passwords_verifies_at_most_the_allowance(
    client, document, wrong_code
):
    ines = await factories.account("ines@example.com")
    token = await factories.token_for(ines)
    before = passwords.verification_count()
    results = await asyncio.gather(
        *(gql(client, document, {"c": f"guess number {i}"}, token=token) for i in range(20))
    )
    codes = Counter(first_code(result) for result in results)
    assert codes == {wrong_code: ALLOWANCE, "RATE_LIMITED": 20 - ALLOWANCE}
    assert passwords.verification_count() - before == ALLOWANCE
    assert await AuditEntry.filter(action="account.password_check_failed").count() == ALLOWANCE


async def test_a_right_current_password_forgives_earlier_mistakes(client):
    """The check is reserved like a log-in: a right password gives the allowance back, so
    an owner changing their password repeatedly is never refused."""
    ines = await factories.account("ines@example.com")
    token = await factories.token_for(ines)
    for _ in range(ALLOWANCE + 2):
        result = await gql(client, CHANGE_PASSWORD, {"c": factories.PASSWORD}, token=token)
        assert result.ok() == {"changePassword": True}


async def test_unknown_and_known_e_mails_cost_the_same_argon2_work(client):
    """One verification whatever the e-mail: known with a wrong password, unknown (against
    a dummy hash; it used to skip it and answer in 5 ms instead of 150), or known without a
    password yet."""
    claire = await factories.account("claire@acme.example")
    await Account.create(email="no.password@example.com", full_name="No Password")
    costs = {}
    for email in (claire.email, "nobody@example.com", "no.password@example.com"):
        before = passwords.verification_count()
        result = await gql(client, LOG_IN, {"e": email, "p": "a wrong password"})
        assert result.codes == ["UNAUTHENTICATED"]
        assert result.errors[0]["message"] == "Wrong e-mail or password."
        costs[email] = passwords.verification_count() - before
    assert set(costs.values()) == {1}, costs


async def test_argon2_runs_in_a_bounded_number_of_slots(client):
    """Six log-ins of six accounts at once: every one is verified, never more than
    PASSWORD_HASH_CONCURRENCY at the same moment (each holds ~64 MiB)."""
    people = [await factories.account(f"person{i}@example.com") for i in range(6)]
    passwords.reset_peak_running()
    before = passwords.verification_count()
    results = await asyncio.gather(
        *(gql(client, LOG_IN, {"e": p.email, "p": factories.PASSWORD}) for p in people)
    )
    assert all(result.ok()["logIn"]["token"] for result in results)
    assert passwords.verification_count() - before == 6
    assert passwords.peak_running() == get_settings().password_hash_concurrency


# -- client addresses and trusted proxies ---------------------------------------------------


@pytest.fixture
async def behind_proxy(policy) -> AsyncIterator[httpx.AsyncClient]:
    """The app configured to trust 10.0.0.0/8, reached from the proxy 10.1.2.3."""
    from server import create_app

    settings = get_settings().model_copy(update={"trusted_proxies": ["10.0.0.0/8"]})
    app = create_app(settings, policy, manage_database=False)
    transport = httpx.ASGITransport(app=app, client=("10.1.2.3", 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as proxy:
        yield proxy


async def failed_from(client: httpx.AsyncClient, forwarded_for: str) -> str:
    """The client address a failed log-in is recorded under."""
    await AuditEntry.all().delete()
    await gql(
        client,
        LOG_IN,
        {"e": "nobody@example.com", "p": "a wrong password"},
        **{"X-Forwarded-For": forwarded_for},
    )
    entry = await AuditEntry.get(action="account.login_failed")
    return entry.client_address


async def test_forwarded_addresses_are_believed_from_trusted_proxies_only(client, behind_proxy):
    assert await failed_from(client, "198.51.100.20") == "203.0.113.7"  # not a proxy
    assert await failed_from(behind_proxy, "198.51.100.20") == "198.51.100.20"
    # The address the proxy saw, not one the client prepended.
    assert await failed_from(behind_proxy, "6.6.6.6, 198.51.100.21") == "198.51.100.21"


async def test_clients_behind_one_proxy_are_limited_separately(behind_proxy):
    """Through a trusted proxy, one client's wrong passwords do not count against another
    client's address."""
    for index in range(20):
        await gql(
            behind_proxy,
            LOG_IN,
            {"e": f"person{index}@example.com", "p": "password guess"},
            **{"X-Forwarded-For": "198.51.100.20"},
        )
    ines = await factories.account("ines@example.com")
    other = await gql(
        behind_proxy,
        LOG_IN,
        {"e": ines.email, "p": "not her password"},
        **{"X-Forwarded-For": "198.51.100.99"},
    )
    assert other.codes == ["UNAUTHENTICATED"]  # not RATE_LIMITED: another client
    same = await gql(
        behind_proxy,
        LOG_IN,
        {"e": ines.email, "p": "not her password"},
        **{"X-Forwarded-For": "198.51.100.20"},
    )
    assert same.codes == ["RATE_LIMITED"]


@pytest.mark.slow
async def test_espace_serve_believes_forwarded_headers_only_when_told(tmp_dir):
    """`espace serve` used to let uvicorn believe any X-Forwarded-For from 127.0.0.1."""
    forged = {"X-Forwarded-For": "198.51.100.66", "X-Request-ID": "chosen-by-client-1"}
    for trusted, expected in (("", "127.0.0.1"), ("127.0.0.1", "198.51.100.66")):
        await AuditEntry.all().delete()
        with live_server(tmp_dir, TRUSTED_PROXIES=trusted) as server:
            async with httpx.AsyncClient(timeout=30) as http:
                response = await http.post(
                    server.graphql_url,
                    json={"query": LOG_IN, "variables": {"e": "x@example.com", "p": "wrong!"}},
                    headers=forged,
                )
        assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
        entry = await AuditEntry.get(action="account.login_failed")
        assert entry.client_address == expected
        assert (response.headers["x-request-id"] == "chosen-by-client-1") == bool(trusted)


async def test_a_log_in_waiting_too_long_for_argon2_is_told_to_retry(client, monkeypatch):
    """When every argon2 slot stays taken (a flood), a log-in waits at most
    PASSWORD_SLOT_WAIT_SECONDS, then answers RATE_LIMITED (retry in a second) without verifying,
    rather than running out of its time budget after its session was opened."""
    claire = await factories.account("claire@acme.example")
    monkeypatch.setattr(get_settings(), "password_slot_wait_seconds", 0.05)
    slots = passwords._slot()
    taken = 0
    while not slots.locked():
        await slots.acquire()
        taken += 1
    before = passwords.verification_count()
    try:
        busy = await gql(client, LOG_IN, {"e": claire.email, "p": factories.PASSWORD})
    finally:
        for _ in range(taken):
            slots.release()
    assert busy.codes == ["RATE_LIMITED"]
    assert busy.errors[0]["extensions"]["limit"] == passwords.BUSY_LIMIT
    assert busy.errors[0]["extensions"]["retryAfterSeconds"] == 1
    assert passwords.verification_count() == before
    assert (await gql(client, LOG_IN, {"e": claire.email, "p": factories.PASSWORD})).ok()
