"""`performance.turns`: requests that have done more work give way to those that did less
(bench/RESULTS.md, isolation).

Proved on the real event loop, by the order in which things happen, never by how long they
take:

- work outside a registered request never waits and counts nothing;
- a request `AHEAD_SLICES` slices ahead of another in progress waits at its slice boundary
  until that one finishes or catches up; requests closer than that never wait;
- it waits `MAX_WAIT_SECONDS` at most in all, and `waited()` says how long it gave way;
- `map_in_slices` gives `[make(x) for x in items]` with one slice per boundary;
- the time given way does not count in the GraphQL time budget (a fake clock, so that the
  wait lasts "100 seconds" while the budget is 50, whatever the machine);
- every HTTP request through the real app is registered while it runs and unregistered after,
  also when the app answers an error or raises.
"""

from __future__ import annotations

import asyncio
import time
import types
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
import strawberry
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

import performance.executor
import schema.limits
import server
from performance import turns
from performance.executor import EspaceExecutor
from policies.engine import Policy
from settings import get_settings
from tests.loop_turns import loop_turns_during

AHEAD = turns.AHEAD_SLICES


@pytest.fixture(autouse=True)
async def no_request_left_over() -> AsyncIterator[None]:
    """Each test starts and ends with no request registered in the loop."""
    assert not turns._state().running
    yield
    assert not turns._state().running
    assert not turns._state().waiters


@pytest.fixture
def patient(monkeypatch: pytest.MonkeyPatch) -> None:
    """A cap far beyond any test: a request gives way for as long as the test says."""
    monkeypatch.setattr(turns, "MAX_WAIT_SECONDS", 600.0)


async def until(condition: Callable[[], Any], rounds: int = 10_000) -> None:
    """Lets the event loop run until `condition()` holds (a bounded number of rounds)."""
    for _ in range(rounds):
        if condition():
            return
        await asyncio.sleep(0)
    raise AssertionError("the condition never held")


async def spin(rounds: int = 300) -> None:
    """Lets every task that can run run, many times over."""
    for _ in range(rounds):
        await asyncio.sleep(0)


# -- outside a registered request ------------------------------------------------------------


async def test_outside_a_request_give_way_only_lets_the_loop_run_once(patient: None) -> None:
    # A request in progress that has done nothing: a registered request 1 slice ahead of
    # it would wait (AHEAD_SLICES slices ahead). Unregistered work never does.
    close = asyncio.Event()

    async def idle_request() -> None:
        with turns.request():
            await close.wait()

    idle = asyncio.create_task(idle_request())
    await until(lambda: turns._state().running)
    (other,) = turns._state().running
    try:
        for _ in range(3 * AHEAD):
            loop_turns, _ = await loop_turns_during(turns.give_way())
            assert loop_turns == 1
        assert turns.waited() == 0.0
        # Nothing counted: no request of this task, the other one untouched.
        assert turns._current.get() is None
        assert turns._state().running == {other}
        assert other.slices == 0 and other.waited == 0.0
        assert not turns._state().waiters
    finally:
        close.set()
        await idle


# -- waiting for requests that did less ------------------------------------------------------


async def test_a_request_ahead_by_ahead_slices_waits_until_the_other_finishes(
    patient: None,
) -> None:
    order: list[str] = []
    short_may_end = asyncio.Event()
    waited: dict[str, float] = {}

    async def short() -> None:
        with turns.request():
            order.append("short starts")
            await short_may_end.wait()
            order.append("short ends")

    async def long() -> None:
        with turns.request() as me:
            for _ in range(AHEAD + 5):
                await turns.give_way()
                order.append(f"long {me.slices}")
            waited["long"] = turns.waited()

    short_task = asyncio.create_task(short())
    await until(lambda: order)  # the short one is registered
    long_task = asyncio.create_task(long())
    await until(lambda: turns._state().waiters)
    await spin()  # however long the loop runs, the long one stays where it is

    longs = [f"long {n}" for n in range(1, AHEAD)]
    assert order == ["short starts", *longs]
    assert not long_task.done()

    short_may_end.set()
    await asyncio.gather(short_task, long_task)
    after = [f"long {n}" for n in range(AHEAD, AHEAD + 6)]
    assert order == ["short starts", *longs, "short ends", *after]
    assert waited["long"] > 0


async def test_requests_fewer_than_ahead_slices_apart_never_wait_for_each_other(
    patient: None,
) -> None:
    order: list[str] = []
    waited: dict[str, float] = {}
    a_registered = asyncio.Event()
    b_registered = asyncio.Event()

    async def work(name: str, head_start: int, registered: asyncio.Event) -> None:
        with turns.request() as me:
            registered.set()
            for _ in range(head_start):  # alone, or with the other one ahead: no wait
                await turns.give_way()
                order.append(f"{name} {me.slices}")
            await (b_registered if name == "a" else a_registered).wait()
            for _ in range(3 * AHEAD):
                await turns.give_way()
                order.append(f"{name} {me.slices}")
            waited[name] = turns.waited()

    # `a` does AHEAD_SLICES - 1 slices before `b` exists: it stays just that far ahead.
    a = asyncio.create_task(work("a", AHEAD - 1, a_registered))
    await until(lambda: len(order) == AHEAD - 1)
    b = asyncio.create_task(work("b", 0, b_registered))
    await asyncio.gather(a, b)

    assert waited == {"a": 0.0, "b": 0.0}
    assert not turns._state().waiters
    # Both progressed side by side after the head start: until one of them finished, the
    # slices each did since then never differ by more than 2 (one at a time, in turn).
    shared = [entry.split()[0] for entry in order[AHEAD - 1 :]]
    assert shared.count("a") == shared.count("b") == 3 * AHEAD
    done = {"a": 0, "b": 0}
    for name in shared[: 2 * 3 * AHEAD - 2]:  # up to the moment one of them finished
        done[name] += 1
        assert abs(done["a"] - done["b"]) <= 2, shared


async def test_a_waiting_request_resumes_as_soon_as_the_other_gets_within_ahead_slices(
    patient: None,
) -> None:
    order: list[str] = []
    go = asyncio.Event()
    end = asyncio.Event()
    SHORT_SLICES = 5

    async def short() -> None:
        with turns.request() as me:
            order.append("short starts")
            await go.wait()
            for _ in range(SHORT_SLICES):
                await turns.give_way()
                order.append(f"short {me.slices}")
            await end.wait()  # still in progress, no more work

    async def long() -> None:
        with turns.request() as me:
            for _ in range(AHEAD + SHORT_SLICES + 10):
                await turns.give_way()
                order.append(f"long {me.slices}")

    short_task = asyncio.create_task(short())
    await until(lambda: order)
    long_task = asyncio.create_task(long())
    await until(lambda: turns._state().waiters)
    await spin()
    assert order[-1] == f"long {AHEAD - 1}"

    go.set()
    await until(lambda: f"short {SHORT_SLICES}" in order)
    await spin()
    # The long one went on while the short one progressed, and stopped again once it was
    # AHEAD_SLICES ahead of the short one's 5 slices.
    longs = [int(e.split()[1]) for e in order if e.startswith("long")]
    assert longs == list(range(1, AHEAD + SHORT_SLICES))
    assert order.index("short 1") < order.index(f"long {AHEAD}")
    assert not long_task.done() and turns._state().waiters

    end.set()
    await asyncio.gather(short_task, long_task)
    assert order[-1] == f"long {AHEAD + SHORT_SLICES + 10}"


async def test_a_request_is_never_blocked_longer_than_max_wait_seconds(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(turns, "MAX_WAIT_SECONDS", 0.01)
    never = asyncio.Event()
    outcome: dict[str, Any] = {}

    async def short_that_never_ends() -> None:
        with turns.request():
            await never.wait()

    short = asyncio.create_task(short_that_never_ends())
    await until(lambda: turns._state().running)
    (short_request,) = turns._state().running

    async def long() -> None:
        with turns.request() as me:
            for _ in range(3 * AHEAD):
                await turns.give_way()
            outcome["slices"] = me.slices
            outcome["waited"] = turns.waited()

    try:
        # A guard against a hang, not a measure: the test fails if the long one is stuck.
        await asyncio.wait_for(long(), timeout=30)
        # The long one is done while the short one is still registered, still at 0 slices.
        assert turns._state().running == {short_request}
        assert not short.done()
    finally:
        never.set()
        await short
    assert outcome["slices"] == 3 * AHEAD
    assert outcome["waited"] > 0


async def test_waited_is_zero_without_a_wait_and_positive_after_one(patient: None) -> None:
    assert turns.waited() == 0.0  # no request at all
    with turns.request():
        for _ in range(3 * AHEAD):  # alone: never waits
            await turns.give_way()
        assert turns.waited() == 0.0

    release = asyncio.Event()

    async def idle_request() -> None:
        with turns.request():
            await release.wait()

    idle = asyncio.create_task(idle_request())
    await until(lambda: turns._state().running)
    with turns.request() as me:
        for _ in range(AHEAD - 1):
            await turns.give_way()
        assert turns.waited() == 0.0
        # The next slice boundary waits: the other request ends once we wait for it.
        releaser = asyncio.create_task(_release_when_waiting(release))
        await turns.give_way()
        await releaser
        assert me.slices == AHEAD
        assert turns.waited() > 0
    await idle


async def _release_when_waiting(release: asyncio.Event) -> None:
    await until(lambda: turns._state().waiters)
    release.set()


# -- map_in_slices ---------------------------------------------------------------------------


@pytest.mark.parametrize("per_slice", [4, turns.ITEMS_PER_SLICE])
@pytest.mark.parametrize("size", ["0", "1", "per_slice", "2*per_slice+3"])
async def test_map_in_slices_makes_every_item_in_order_with_a_slice_per_boundary(
    per_slice: int, size: str
) -> None:
    count = {"0": 0, "1": 1, "per_slice": per_slice, "2*per_slice+3": 2 * per_slice + 3}[size]
    boundaries = {"0": 0, "1": 0, "per_slice": 0, "2*per_slice+3": 2}[size]
    items = [f"item {n}" for n in range(count)]

    def make(item: str) -> tuple[str, int]:
        return (item.upper(), len(item))

    with turns.request() as me:
        made = await turns.map_in_slices(make, items, per_slice)
        assert me.slices == boundaries
    assert made == [make(item) for item in items]


# -- the GraphQL time budget -----------------------------------------------------------------

LINES = 100  # > SLICED_LIST_MIN_LENGTH: completed in slices


@strawberry.type
class Line:
    n: int
    text: str


@strawberry.type
class Lines:
    @strawberry.field
    def lines(self) -> list[Line]:
        return [Line(n=n, text=f"line {n}") for n in range(LINES)]  # type: ignore[misc]


LINES_SCHEMA = strawberry.Schema(query=Lines, execution_context_class=EspaceExecutor)
BUDGET = 50.0
ADVANCE = 100.0  # seconds the fake clock jumps: twice the budget


class FakeClock:
    """The time of both `performance.executor` (monotonic: the budget) and `performance.turns`
    (perf_counter: the time given way). It moves only when a test moves it; the slices of
    the list keep the real perf_counter, so SLICE_SECONDS = 0 still means a slice per row."""

    def __init__(self) -> None:
        self.now = 1_000.0

    def read(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    fake = FakeClock()
    monkeypatch.setattr(
        performance.executor,
        "time",
        types.SimpleNamespace(monotonic=fake.read, perf_counter=time.perf_counter),
    )
    monkeypatch.setattr(turns, "time", types.SimpleNamespace(perf_counter=fake.read))
    monkeypatch.setattr(performance.executor, "SLICE_SECONDS", 0.0)  # a slice per row
    monkeypatch.setattr(schema.limits, "TIME_BUDGET_SECONDS", BUDGET)
    monkeypatch.setattr(turns, "MAX_WAIT_SECONDS", 10 * ADVANCE)
    return fake


async def _long_query() -> tuple[Any, float]:
    """The list inside a registered request: its result and the time it gave way."""
    with turns.request():
        result = await LINES_SCHEMA.execute("{ lines { n text } }")
        return result, turns.waited()


async def test_the_time_given_way_does_not_count_in_the_time_budget(clock: FakeClock) -> None:
    async def short_request_open_for_a_long_time() -> None:
        with turns.request():
            await until(lambda: turns._state().waiters)  # the list waits for us
            clock.now += ADVANCE

    short = asyncio.create_task(short_request_open_for_a_long_time())
    await until(lambda: turns._state().running)
    result, waited = await _long_query()
    await short

    assert waited == pytest.approx(ADVANCE)  # more than the budget, given way
    assert result.errors is None
    assert result.data == {"lines": [{"n": n, "text": f"line {n}"} for n in range(LINES)]}


async def test_the_same_time_spent_without_giving_way_exhausts_the_time_budget(
    clock: FakeClock,
) -> None:
    """The control of the test above: the clock jumps as much while the list is completed
    (another task, not a registered request, runs between two slices)."""
    started = asyncio.Event()
    original = turns.give_way

    async def give_way() -> None:
        started.set()
        await original()

    async def elsewhere() -> None:
        await started.wait()
        clock.now += ADVANCE

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(turns, "give_way", give_way)
        other = asyncio.create_task(elsewhere())
        result, waited = await _long_query()
        await other

    assert waited == 0.0
    assert result.errors
    assert all("budget" in error.message for error in result.errors)
    assert {error.extensions["code"] for error in result.errors} == {"BAD_USER_INPUT"}


# -- registered by the HTTP middleware -------------------------------------------------------


def _seen_by(requests_seen: list[tuple[bool, int]]) -> None:
    current = turns._current.get()
    running = turns._state().running
    requests_seen.append((current is not None and current in running, len(running)))


async def _client_of(
    policy: Policy, monkeypatch: pytest.MonkeyPatch, endpoint: Any, raise_app_exceptions: bool
) -> httpx.AsyncClient:
    monkeypatch.setattr(server, "healthz", endpoint)
    app = server.create_app(get_settings(), policy, manage_database=False)
    transport = httpx.ASGITransport(
        app=app, client=("203.0.113.7", 50000), raise_app_exceptions=raise_app_exceptions
    )
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


@pytest.mark.parametrize("answer", ["ok", "error response"])
async def test_an_http_request_is_registered_while_it_runs_and_unregistered_after(
    policy: Policy, monkeypatch: pytest.MonkeyPatch, answer: str
) -> None:
    seen: list[tuple[bool, int]] = []

    async def endpoint(request: Request) -> Response:
        _seen_by(seen)
        status = 200 if answer == "ok" else 503
        return JSONResponse({"status": answer}, status_code=status)

    async with await _client_of(policy, monkeypatch, endpoint, True) as client:
        response = await client.get("/healthz")
        assert response.status_code == (200 if answer == "ok" else 503)
        assert seen == [(True, 1)]  # this request, registered, the only one
        assert not turns._state().running
        await client.get("/healthz")
    assert seen == [(True, 1), (True, 1)]


@pytest.mark.parametrize("raise_app_exceptions", [True, False])
async def test_a_request_whose_endpoint_raises_is_unregistered_too(
    policy: Policy, monkeypatch: pytest.MonkeyPatch, raise_app_exceptions: bool
) -> None:
    seen: list[tuple[bool, int]] = []

    async def endpoint(request: Request) -> Response:
        _seen_by(seen)
        raise RuntimeError("the endpoint failed")

    async with await _client_of(policy, monkeypatch, endpoint, raise_app_exceptions) as client:
        if raise_app_exceptions:
            with pytest.raises(RuntimeError, match="the endpoint failed"):
                await client.get("/healthz")
        else:
            assert (await client.get("/healthz")).status_code == 500
    assert seen == [(True, 1)]
    assert not turns._state().running


@pytest.mark.parametrize(
    "query", ["{ __typename }", "{ noSuchField }", "{ enrollments(first: -1) { nodes { id } } }"]
)
async def test_a_graphql_request_is_registered_while_it_runs_and_unregistered_after(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch, query: str
) -> None:
    seen: list[tuple[bool, int]] = []
    build_context = server.build_context

    async def spying_build_context(request: Request, policy: Policy) -> Any:
        _seen_by(seen)
        return await build_context(request, policy)

    monkeypatch.setattr(server, "build_context", spying_build_context)
    response = await client.post("/graphql", json={"query": query})
    assert response.status_code in (200, 400)
    assert seen == [(True, 1)]
    assert not turns._state().running
