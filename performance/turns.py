"""Requests that have done more work give way to those that have done less (bench/RESULTS.md,
isolation).

All the requests of a server process share one event loop. Work on long lists is cut into
slices (`performance.executor`, `performance.rows`, `map_in_slices` below), and the loop runs other
requests between slices. With a plain `asyncio.sleep(0)` there, a small query arriving
during a 1,000-row export still pays one slice of the export at each of its own awaits
(dozens of them), and its database calls compete with the export's.

So the loop favours the requests that have done the least work so far, a classic way to keep
short jobs fast next to long ones (least attained service):

- each request counts its slices of work;
- at each slice boundary, a request *gives way*: it waits while another request in progress
  has done at least `AHEAD_SLICES` fewer slices, and goes on as soon as none has. A small
  query (no slice at all) goes first; an export waits for it;
- requests doing about the same work (a page from each of eight clients) are never more than
  `AHEAD_SLICES` apart: they share the loop as they would without this module;
- a request gives way for `MAX_WAIT_SECONDS` at most, in all. A steady stream of smaller
  requests slows it down by that much at worst; it is never starved. The waiting does not
  count in its GraphQL time budget (`waited()`).

A request is registered by `request()` (the HTTP middleware `performance.request_turns`). Work done
outside a registered request (a test calling a service, a command) never waits.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Iterator, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TypeVar
from weakref import WeakKeyDictionary

T = TypeVar("T")
R = TypeVar("R")

# A request waits for the requests that have done this many slices fewer than it.
AHEAD_SLICES = 10
# The longest a request gives way, in all.
MAX_WAIT_SECONDS = 0.5
# Items handled between two slice boundaries by `map_in_slices`.
ITEMS_PER_SLICE = 50


@dataclass(eq=False, slots=True)
class Running:
    """One request in progress: the slices of work it has done, the seconds it has waited."""

    slices: int = 0
    waited: float = 0.0


@dataclass(slots=True)
class _LoopState:
    """The requests of one event loop in progress, and those waiting for others."""

    running: set[Running] = field(default_factory=set)
    waiters: list[asyncio.Future[None]] = field(default_factory=list)

    def wake(self) -> None:
        for waiter in self.waiters:
            if not waiter.done():
                waiter.set_result(None)
        self.waiters.clear()


_states: WeakKeyDictionary[asyncio.AbstractEventLoop, _LoopState] = WeakKeyDictionary()
_current: ContextVar[Running | None] = ContextVar("espace_running_request", default=None)


def _state() -> _LoopState:
    loop = asyncio.get_running_loop()
    state = _states.get(loop)
    if state is None:
        state = _states[loop] = _LoopState()
    return state


@contextlib.contextmanager
def request() -> Iterator[Running]:
    """Registers the current task's request for the time of the block."""
    state = _state()
    running = Running()
    state.running.add(running)
    token = _current.set(running)
    try:
        yield running
    finally:
        _current.reset(token)
        state.running.discard(running)
        state.wake()


def waited() -> float:
    """Seconds the current request has spent giving way."""
    me = _current.get()
    return me.waited if me is not None else 0.0


def _behind(state: _LoopState, me: Running) -> bool:
    """Whether a request in progress has done `AHEAD_SLICES` slices fewer than `me`."""
    bar = me.slices - AHEAD_SLICES
    return any(other.slices <= bar for other in state.running)


async def give_way() -> None:
    """A slice boundary: counts the slice, waits while requests that have done fewer slices
    are in progress, and lets the event loop run.

    Never call it while holding something a shorter request may need (a transaction, the
    writing database connection): the shorter request would wait for it, and this one for
    the shorter request, until `MAX_WAIT_SECONDS` runs out. `fetch_in_chunks` holds only a
    reading connection, which no one waits for."""
    me = _current.get()
    if me is not None:
        state = _state()
        me.slices += 1
        if state.waiters:  # this slice may have brought `me` close enough to one of them
            state.wake()
        while me.waited < MAX_WAIT_SECONDS and _behind(state, me):
            started = time.perf_counter()
            waiter = asyncio.get_running_loop().create_future()
            state.waiters.append(waiter)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(waiter, timeout=MAX_WAIT_SECONDS - me.waited)
            me.waited += time.perf_counter() - started
    await asyncio.sleep(0)


async def map_in_slices(
    make: Callable[[T], R], items: Sequence[T], per_slice: int = ITEMS_PER_SLICE
) -> list[R]:
    """`[make(item) for item in items]`, with a slice boundary every `per_slice` items."""
    made: list[R] = []
    for start in range(0, len(items), per_slice):
        if start:
            await give_way()
        made.extend(map(make, items[start : start + per_slice]))
    return made
