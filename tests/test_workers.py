"""Several workers: `espace serve --workers 2` on PostgreSQL, with rate limits in Redis.

A limit must hold whichever worker answers, and the last-admin rule must hold when two
admins, served by different workers at the same moment, remove each other. Workers are told
apart by the `pid` of the access log line carrying each answer's request id.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from typing import Any

import httpx
import pytest
import redis

from models.access import Access
from models.audit import AuditEntry
from models.enums import AccessRole
from tests import factories
from tests.conftest import IS_POSTGRES
from tests.live_server import LiveServer, live_server

pytestmark = [
    pytest.mark.slow,
    pytest.mark.postgres,
    pytest.mark.skipif(not IS_POSTGRES, reason="several workers need PostgreSQL"),
]

REDIS_URL = "redis://127.0.0.1:6379/7"
MAX_ATTEMPTS = 100
LOG_IN = "mutation ($e: String!, $p: String!) { logIn(email: $e, password: $p) { token } }"
REVOKE = "mutation ($id: ID!) { revokeAccess(accessId: $id) { id } }"


@pytest.fixture
def empty_redis() -> str:
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.flushdb()
    except redis.ConnectionError:
        pytest.fail(
            f"Redis must run at {REDIS_URL} for the several-workers test (.ci/run starts it)"
        )
    return REDIS_URL


async def post(server: LiveServer, query: str, variables: dict[str, Any], token: str = "") -> Any:
    """One request on a fresh connection, so that any worker may take it."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with httpx.AsyncClient(timeout=30) as client:
        return await client.post(
            server.graphql_url, json={"query": query, "variables": variables}, headers=headers
        )


def code(response: httpx.Response) -> str | None:
    errors = response.json().get("errors") or []
    return errors[0]["extensions"]["code"] if errors else None


def worker_of(server: LiveServer) -> dict[str, int]:
    """request id -> pid of the worker that answered it, from the JSON access log lines."""
    pids = {}
    for line in server.log().splitlines():
        try:
            entry = json.loads(line)
        except json.JSONDecodeError:
            continue  # a line being written
        if entry.get("logger") == "espace.access" and entry.get("requestId"):
            pids[entry["requestId"]] = entry["pid"]
    return pids


async def workers_of(server: LiveServer, responses: list[httpx.Response]) -> list[int]:
    """The pids that answered `responses` (each logs its line just after answering)."""
    wanted = [r.headers["x-request-id"] for r in responses]
    for _ in range(100):
        pids = worker_of(server)
        if all(request_id in pids for request_id in wanted):
            return [pids[request_id] for request_id in wanted]
        await asyncio.sleep(0.05)
    raise AssertionError(f"no access log line for {wanted}")


async def both_workers_answer(server: LiveServer) -> None:
    """Wait until each of the two workers has answered a request: the server is up once one
    worker answers, and on a loaded machine the other may still be starting, so a burst sent
    at once would all go to the first one."""
    seen: set[int] = set()
    for _ in range(60):
        responses = await asyncio.gather(*(post(server, "{ __typename }", {}) for _ in range(8)))
        seen.update(await workers_of(server, list(responses)))
        if len(seen) == 2:
            return
        await asyncio.sleep(0.5)
    raise AssertionError("the second worker never answered")


async def test_the_password_limit_holds_across_workers(tmp_dir, empty_redis):
    """Five wrong passwords for an account, whichever workers see them: the next attempts
    are RATE_LIMITED, including on a worker that saw fewer than five failures itself (which
    a per-process limiter would have let through)."""
    ines = await factories.account("ines@example.com")
    with live_server(tmp_dir, workers=2, REDIS_URL=empty_redis) as server:
        answers: list[tuple[int, str | None]] = []
        failures_seen: Counter[int] = Counter()
        proven = False
        for _ in range(MAX_ATTEMPTS):
            response = await post(server, LOG_IN, {"e": ines.email, "p": "wrong password"})
            (pid,) = await workers_of(server, [response])
            answers.append((pid, code(response)))
            if code(response) == "UNAUTHENTICATED":
                failures_seen[pid] += 1
            elif code(response) == "RATE_LIMITED" and failures_seen[pid] < 5:
                proven = True
                break
        codes = [answer for _, answer in answers]
        assert codes[:5] == ["UNAUTHENTICATED"] * 5
        assert set(codes[5:]) == {"RATE_LIMITED"}
        assert proven, "every attempt went to the same worker"


async def test_a_burst_of_wrong_passwords_on_two_workers_verifies_at_most_the_allowance(
    tmp_dir, empty_redis
):
    """40 wrong passwords for one account sent at once to two workers: each attempt is
    reserved in Redis before argon2 runs, so exactly 5 are verified (one audit line each)
    and 35 are RATE_LIMITED (all 40 used to be verified)."""
    ines = await factories.account("ines@example.com")
    # Waiting for argon2 may take seconds on a loaded machine: let it, to count exactly.
    patient = {"PASSWORD_SLOT_WAIT_SECONDS": "300"}
    with live_server(tmp_dir, workers=2, REDIS_URL=empty_redis, **patient) as server:
        await both_workers_answer(server)
        responses = await asyncio.gather(
            *(post(server, LOG_IN, {"e": ines.email, "p": f"wrong {i}"}) for i in range(40))
        )
        codes = Counter(code(response) for response in responses)
        assert codes == {"UNAUTHENTICATED": 5, "RATE_LIMITED": 35}
        assert await AuditEntry.filter(action="account.login_failed").count() == 5
        assert len(set(await workers_of(server, responses))) == 2, "one worker took them all"


async def test_two_admins_removing_each_other_on_two_workers_leave_one_admin(tmp_dir, empty_redis):
    """Rule 8 and the last-admin rule: Claire and Bruno, the only admins, remove each other
    at the same moment, each answered by a different worker. Exactly one removal wins."""
    with live_server(tmp_dir, workers=2, REDIS_URL=empty_redis) as server:
        cross_worker_rounds = 0
        for round_number in range(20):
            site = await factories.establishment()
            claire = await factories.account(f"claire{round_number}@acme.example")
            bruno = await factories.account(f"bruno{round_number}@acme.example")
            claire_access = await factories.access(claire, site, AccessRole.ADMIN)
            bruno_access = await factories.access(bruno, site, AccessRole.ADMIN)
            claire_token = await factories.token_for(claire)
            bruno_token = await factories.token_for(bruno)

            responses = await asyncio.gather(
                post(server, REVOKE, {"id": str(bruno_access.id)}, claire_token),
                post(server, REVOKE, {"id": str(claire_access.id)}, bruno_token),
            )
            codes = [code(r) for r in responses]
            admins = await Access.filter(establishment=site, role=AccessRole.ADMIN.value).count()
            assert admins == 1, codes
            assert codes.count(None) == 1, codes  # one removal wins, the other is refused

            if len(set(await workers_of(server, list(responses)))) == 2:
                cross_worker_rounds += 1
                if cross_worker_rounds == 3:
                    break
        assert cross_worker_rounds >= 1, "both requests always went to the same worker"
