"""Counting how often the event loop lets another task run while something is awaited: the
proof, without any timing, that long work yields (bench/RESULTS.md)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import TypeVar

T = TypeVar("T")


async def loop_turns_during(work: Awaitable[T]) -> tuple[int, T]:
    """How many times a competing task ran while `work` was awaited, and work's result."""
    turns = 0

    async def compete() -> None:
        nonlocal turns
        while True:
            turns += 1
            await asyncio.sleep(0)

    competitor = asyncio.create_task(compete())
    await asyncio.sleep(0)  # let the competitor start
    before = turns
    try:
        result = await work
    finally:
        competitor.cancel()
    return turns - before, result
