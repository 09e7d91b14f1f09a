"""Brute force: login, reset and sign-up attempts are counted per account and per client
address, one per attempt, however the attempts are packed into requests."""

from __future__ import annotations

import re
import socket
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from starlette.requests import Request

import schema.limits
from models.audit import AuditEntry
from models.mail import OutboxMail
from schema import build_schema
from schema.context import Context
from services import rate_limits
from services.errors import RateLimited
from services.rate_limits import PASSWORD_FAILURES_PER_ACCOUNT, RateLimiter, storage_uri
from tests import factories
from tests.graphql import gql


@pytest.fixture(autouse=True)
async def fresh_rate_limits() -> AsyncIterator[None]:
    await rate_limits.reset()
    yield
    await rate_limits.reset()


@pytest.fixture
async def other_client(app) -> AsyncIterator[httpx.AsyncClient]:
    """A second device, from another client address."""
    transport = httpx.ASGITransport(app=app, client=("198.51.100.9", 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


def aliased_log_ins(attempts: list[tuple[str, str]]) -> str:
    fields = "\n".join(
        f'a{i}: logIn(email: "{email}", password: "{password}") {{ token }}'
        for i, (email, password) in enumerate(attempts)
    )
    return f"mutation {{\n{fields}\n}}"


def codes_by_alias(result, count: int) -> list[str | None]:
    return [result.code_at(f"a{i}") for i in range(count)]


async def execute_directly(policy, query: str):
    """Run a document on the schema's resolvers with a real context, real database and real
    Oso, but without the HTTP app's operation limits (the app refuses more than
    `schema.limits.MAX_ALIASES` aliases before anything runs)."""
    request = Request(
        {
            "type": "http",
            "method": "POST",
            "path": "/graphql",
            "headers": [],
            "client": ("203.0.113.7", 50000),
        }
    )
    return await build_schema().execute(query, context_value=Context(request, policy))


async def test_twenty_aliased_log_ins_each_count_and_the_sixth_is_refused(client, policy):
    claire = await factories.account("claire@acme.example")
    query = aliased_log_ins([(claire.email, f"guess number {i}") for i in range(20)])
    result = await execute_directly(policy, query)
    codes = {error.path[0]: error.extensions["code"] for error in result.errors or []}
    assert [codes.get(f"a{i}") for i in range(20)] == ["UNAUTHENTICATED"] * 5 + [
        "RATE_LIMITED"
    ] * 15
    refused = next(e for e in result.errors if e.path == ["a5"])
    assert refused.extensions["retryAfterSeconds"] > 0
    assert await AuditEntry.filter(action="account.login_failed").count() == 5
    # Within the window, even the right password is refused, here through the HTTP app.
    right = await gql(client, aliased_log_ins([(claire.email, factories.PASSWORD)]))
    assert right.code_at("a0") == "RATE_LIMITED"
    assert right.error_at("a0")["extensions"]["retryAfterSeconds"] > 0


async def test_aliased_log_ins_through_the_app_count_one_attempt_each(client):
    bruno = await factories.account("bruno@boreal.example")
    query = aliased_log_ins([(bruno.email, f"guess number {i}") for i in range(7)])
    result = await gql(client, query)
    assert codes_by_alias(result, 7) == ["UNAUTHENTICATED"] * 5 + ["RATE_LIMITED"] * 2


async def test_the_sixth_wrong_password_in_separate_requests_is_rate_limited(client, other_client):
    claire = await factories.account("claire@acme.example")
    bruno = await factories.account("bruno@boreal.example")
    for attempt in range(5):
        result = await gql(client, aliased_log_ins([(claire.email, f"wrong {attempt}")]))
        assert result.code_at("a0") == "UNAUTHENTICATED"
    sixth = await gql(other_client, aliased_log_ins([(claire.email, "wrong 6")]))
    assert sixth.code_at("a0") == "RATE_LIMITED"
    # Another account is not locked out by Claire's counter.
    assert (await gql(client, aliased_log_ins([(bruno.email, factories.PASSWORD)]))).ok()


async def test_a_successful_log_in_forgives_earlier_mistakes(client):
    claire = await factories.account("claire@acme.example")
    for attempt in range(4):
        await gql(client, aliased_log_ins([(claire.email, f"typo {attempt}")]))
    assert (await gql(client, aliased_log_ins([(claire.email, factories.PASSWORD)]))).ok()
    for attempt in range(5):
        result = await gql(client, aliased_log_ins([(claire.email, f"again {attempt}")]))
        assert result.code_at("a0") == "UNAUTHENTICATED"


async def test_one_address_trying_many_accounts_is_rate_limited_but_owners_get_in(
    client, other_client
):
    """Past the per-address allowance wrong passwords answer RATE_LIMITED, yet the owner of
    another account sharing that address (a NAT, a proxy) still signs in with the right
    password: only the per-account allowance decides for them."""
    codes: list[str | None] = []
    for batch in range(5):
        attempts = [(f"person{batch}-{i}@example.com", "password guess") for i in range(5)]
        codes += codes_by_alias(await gql(client, aliased_log_ins(attempts)), 5)
    assert codes == ["UNAUTHENTICATED"] * 20 + ["RATE_LIMITED"] * 5
    ines = await factories.account("ines@example.com")
    wrong = await gql(client, aliased_log_ins([(ines.email, "not her password")]))
    assert wrong.code_at("a0") == "RATE_LIMITED"
    assert (await gql(client, aliased_log_ins([(ines.email, factories.PASSWORD)]))).ok()
    assert (await gql(other_client, aliased_log_ins([(ines.email, factories.PASSWORD)]))).ok()
    # Ines's own allowance still holds (her right password forgave the failure above).
    for attempt in range(5):
        await gql(client, aliased_log_ins([(ines.email, f"guess {attempt}")]))
    locked = await gql(other_client, aliased_log_ins([(ines.email, factories.PASSWORD)]))
    assert locked.code_at("a0") == "RATE_LIMITED"


async def test_reset_requests_are_limited_per_address_typed(client, other_client):
    await factories.account("ines@example.com")
    query = "mutation {" + " ".join(
        f'r{i}: requestPasswordReset(email: "ines@example.com")' for i in range(4)
    )
    result = await gql(client, query + "}")
    assert [result.code_at(f"r{i}") for i in range(4)] == [None, None, None, "RATE_LIMITED"]
    later = await gql(other_client, 'mutation { requestPasswordReset(email: "ines@example.com") }')
    assert later.code_at("requestPasswordReset") == "RATE_LIMITED"
    unknown = await gql(
        other_client, 'mutation { requestPasswordReset(email: "ghost@example.com") }'
    )
    assert unknown.ok() == {"requestPasswordReset": True}


async def test_sign_ups_and_reset_attempts_are_limited_per_client_address(client, monkeypatch):
    # Ten argon2 hashes in one operation: on a loaded machine they outlast the 10-second
    # budget, which is not what this test is about.
    monkeypatch.setattr(schema.limits, "TIME_BUDGET_SECONDS", 120.0)
    sign_ups = " ".join(
        f's{i}: signUp(email: "p{i}@example.com", password: "a rare passphrase", '
        f'fullName: "P {i}", kind: INDIVIDUAL) {{ token }}'
        for i in range(11)
    )
    result = await gql(client, f"mutation {{ {sign_ups} }}")
    assert [result.code_at(f"s{i}") for i in range(11)] == [None] * 10 + ["RATE_LIMITED"]
    resets = " ".join(
        f'x{i}: resetPassword(token: "forged-{i}", newPassword: "a rare passphrase") {{ token }}'
        for i in range(11)
    )
    result = await gql(client, f"mutation {{ {resets} }}")
    assert [result.code_at(f"x{i}") for i in range(11)] == ["BAD_USER_INPUT"] * 10 + [
        "RATE_LIMITED"
    ]


async def test_wrong_current_passwords_count_like_failed_log_ins(client):
    ines = await factories.account("ines@example.com")
    token = await factories.token_for(ines)
    changes = " ".join(
        f'c{i}: changePassword(currentPassword: "guess {i}", newPassword: "a rare passphrase")'
        for i in range(6)
    )
    result = await gql(client, f"mutation {{ {changes} }}", token=token)
    codes = [result.code_at(f"c{i}") for i in range(6)]
    assert codes == ["BAD_USER_INPUT"] * 5 + ["RATE_LIMITED"]


async def test_reset_forgets_counters_but_keeps_the_limits():
    limiter = rate_limits.get_limiter()
    for _ in range(5):
        await limiter.hit((PASSWORD_FAILURES_PER_ACCOUNT, "zoe@example.com"))
    with pytest.raises(RateLimited):
        await limiter.check((PASSWORD_FAILURES_PER_ACCOUNT, "zoe@example.com"))
    await rate_limits.reset()
    for _ in range(5):
        await limiter.hit((PASSWORD_FAILURES_PER_ACCOUNT, "zoe@example.com"))
    with pytest.raises(RateLimited):
        await limiter.hit((PASSWORD_FAILURES_PER_ACCOUNT, "zoe@example.com"))


def redis_is_up() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5):
            return True
    except OSError:
        return False


@pytest.mark.skipif(not redis_is_up(), reason="no Redis on 127.0.0.1:6379")
async def test_with_redis_two_workers_share_the_counters():
    assert storage_uri(None) == "async+memory://"
    uri = storage_uri("redis://127.0.0.1:6379/0")
    assert uri == "async+redis://127.0.0.1:6379/0"
    worker_a, worker_b = RateLimiter(uri), RateLimiter(uri)
    who = f"{uuid.uuid4().hex}@example.com"  # the Redis database outlives the test run
    try:
        for _ in range(3):
            await worker_a.record_failure((PASSWORD_FAILURES_PER_ACCOUNT, who))
        for _ in range(2):
            await worker_b.record_failure((PASSWORD_FAILURES_PER_ACCOUNT, who))
        with pytest.raises(RateLimited) as refused:
            await worker_a.check((PASSWORD_FAILURES_PER_ACCOUNT, who))
        assert refused.value.extensions["retryAfterSeconds"] > 0
    finally:
        await worker_a.clear(PASSWORD_FAILURES_PER_ACCOUNT, who)
    await worker_b.check((PASSWORD_FAILURES_PER_ACCOUNT, who))


async def test_a_locked_out_person_gets_back_in_with_a_reset_link(client):
    claire = await factories.account("claire@acme.example")
    await gql(client, aliased_log_ins([(claire.email, f"guess {i}") for i in range(6)]))
    locked = await gql(client, aliased_log_ins([(claire.email, factories.PASSWORD)]))
    assert locked.code_at("a0") == "RATE_LIMITED"
    assert (await gql(client, f'mutation {{ requestPasswordReset(email: "{claire.email}") }}')).ok()
    mail = await OutboxMail.get(to=claire.email)
    token = re.search(r"token=([A-Za-z0-9_\-]+)", mail.text_body).group(1)  # type: ignore[union-attr]
    reset = await gql(
        client,
        f'mutation {{ resetPassword(token: "{token}", newPassword: "a rare passphrase") '
        "{ token } }",
    )
    assert reset.ok()
    back = await gql(client, aliased_log_ins([(claire.email, "a rare passphrase")]))
    assert back.ok()["a0"]["token"]
