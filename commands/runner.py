"""Running a coroutine with the database open, for commands."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

from tortoise import Tortoise

from models.database import ensure_migrated, tortoise_config
from settings import get_settings

T = TypeVar("T")


def run_with_database(work: Callable[[], Awaitable[T]], *, check_migrated: bool = True) -> T:
    """Open the configured database, run `work()`, close the connections."""

    async def wrapper() -> T:
        await Tortoise.init(config=tortoise_config(get_settings().database_url))
        try:
            if check_migrated:
                await ensure_migrated()
            return await work()
        finally:
            await Tortoise.close_connections()

    return asyncio.run(wrapper())
