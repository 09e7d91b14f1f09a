"""Hot reload of the policy in development: edit a `.polar` file, the server uses it.

`watch_policies` watches the policy directory (watchfiles). On a change it loads the whole
new set of files into a fresh engine first; only when that succeeds does it swap it in
(`Policy.swap`, atomic, clears the filter cache). A broken file keeps the previous policy
and logs the engine's error, which names the file and line.

`with_policy_reload(lifespan, policy)` wraps an application lifespan so the watcher runs for
as long as the server does (server.py uses it in dev only).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from policies.engine import Policy, PolicyError, RefusedEdit, build_oso, policy_files

logger = logging.getLogger("espace.policy")


def reload_policy(policy: Policy, directory: Path | None = None) -> bool:
    """Validate the files of `directory` and swap them in; False (and the policy unchanged)
    when they do not load."""
    directory = directory or policy.directory
    try:
        oso = build_oso(policy_files(directory))
    except PolicyError as error:
        policy.last_refused = RefusedEdit(datetime.now(UTC), str(error))
        logger.error(
            "policy not reloaded, the previous policy stays in force (generation %d): %s",
            policy.generation,
            error,
        )
        return False
    policy.swap(oso)
    logger.info("policy reloaded from %s (generation %d)", directory, policy.generation)
    return True


def _is_policy_file(_change: Any, path: str) -> bool:
    return path.endswith(".polar")


async def watch_policies(
    policy: Policy,
    directory: Path | None = None,
    *,
    stop: asyncio.Event | None = None,
    ready: asyncio.Event | None = None,
    debounce_ms: int = 200,
) -> None:
    """Reload `policy` each time a `.polar` file of `directory` changes, until `stop`."""
    from watchfiles import awatch

    directory = directory or policy.directory
    if ready is not None:
        ready.set()
    async for _changes in awatch(
        directory,
        watch_filter=_is_policy_file,
        stop_event=stop,
        debounce=debounce_ms,
        recursive=False,
    ):
        reload_policy(policy, directory)


def with_policy_reload(
    lifespan: Callable[[Any], contextlib.AbstractAsyncContextManager[None]], policy: Policy
) -> Callable[[Any], contextlib.AbstractAsyncContextManager[None]]:
    """The same lifespan, with the policy watcher running alongside it."""

    @contextlib.asynccontextmanager
    async def reloading(app: Any) -> AsyncIterator[None]:
        stop = asyncio.Event()
        task = asyncio.create_task(watch_policies(policy, stop=stop))
        logger.info("watching %s for policy changes", policy.directory)
        try:
            async with lifespan(app):
                yield
        finally:
            stop.set()
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    return reloading
