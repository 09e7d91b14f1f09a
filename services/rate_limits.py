"""Brute-force protection: attempts counted per account (e-mail) and per client address.

Counters live in the `limits` library's storage: in process memory by default, in Redis when
`REDIS_URL` is set so that every worker behind the load balancer shares them. A moving window
is used, so a burst at the edge of a window cannot double the allowance.

Each attempt counts once, whatever the shape of the request: three aliased `logIn` fields in
one GraphQL document are three attempts, because every resolver calls this module.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from limits import RateLimitItem, parse
from limits.aio.storage import Storage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.storage import storage_from_string

from services.errors import RateLimited
from settings import get_settings

KEY_PREFIX = "espace"


@dataclass(frozen=True)
class Limit:
    """A named allowance, e.g. 5 wrong passwords per account per 15 minutes."""

    name: str
    item: RateLimitItem


# Wrong passwords (logIn, and the current password of changePassword/changeEmail).
PASSWORD_FAILURES_PER_ACCOUNT = Limit("password-failures-account", parse("5 per 15 minutes"))
PASSWORD_FAILURES_PER_ADDRESS = Limit("password-failures-address", parse("20 per 15 minutes"))
# requestPasswordReset: each request counts, known address or not.
RESET_REQUESTS_PER_ACCOUNT = Limit("reset-requests-account", parse("3 per hour"))
RESET_REQUESTS_PER_ADDRESS = Limit("reset-requests-address", parse("10 per hour"))
# resetPassword: each use of a link counts.
RESETS_PER_ADDRESS = Limit("resets-address", parse("10 per 15 minutes"))
# signUp: each attempt counts.
SIGN_UPS_PER_ACCOUNT = Limit("sign-ups-account", parse("5 per hour"))
SIGN_UPS_PER_ADDRESS = Limit("sign-ups-address", parse("10 per hour"))


class RateLimiter:
    """The counters of one storage. Keys are (limit name, account e-mail or address)."""

    def __init__(self, storage_uri: str) -> None:
        storage = storage_from_string(storage_uri, key_prefix=KEY_PREFIX)
        assert isinstance(storage, Storage), "an async+ storage URI is required"
        self.storage = storage
        self.strategy = MovingWindowRateLimiter(storage)

    async def retry_after(self, limit: Limit, key: str) -> int:
        stats = await self.strategy.get_window_stats(limit.item, limit.name, key)
        return max(1, math.ceil(stats.reset_time - time.time()))

    async def check(self, *counters: tuple[Limit, str]) -> None:
        """RATE_LIMITED if any counter is exhausted; counts nothing."""
        for limit, key in counters:
            if key and not await self.strategy.test(limit.item, limit.name, key):
                raise RateLimited(await self.retry_after(limit, key), limit=limit.name)

    async def hit(self, *counters: tuple[Limit, str]) -> None:
        """Count one attempt on every counter, or none and RATE_LIMITED if one is exhausted."""
        await self.check(*counters)
        for limit, key in counters:
            if key and not await self.strategy.hit(limit.item, limit.name, key):
                raise RateLimited(await self.retry_after(limit, key), limit=limit.name)

    async def try_hit(self, limit: Limit, key: str) -> bool:
        """Count one use if the allowance has room; False (and nothing counted) when not."""
        return not key or await self.strategy.hit(limit.item, limit.name, key)

    async def record_failure(self, *counters: tuple[Limit, str]) -> None:
        """Count a failed attempt (never raises: the caller reports the failure itself)."""
        for limit, key in counters:
            if key:
                await self.strategy.hit(limit.item, limit.name, key)

    async def clear(self, limit: Limit, key: str) -> None:
        if key:
            await self.strategy.clear(limit.item, limit.name, key)

    async def reset(self) -> None:
        """Forget every counter of this storage (tests; an operator after an incident)."""
        await self.storage.reset()


def storage_uri(redis_url: str | None) -> str:
    """`limits` storage URI: Redis when configured (shared by workers), else memory."""
    if redis_url:
        return redis_url if redis_url.startswith("async+") else f"async+{redis_url}"
    return "async+memory://"


_limiter: RateLimiter | None = None


def get_limiter() -> RateLimiter:
    """The process-wide limiter, built from the settings on first use."""
    global _limiter
    if _limiter is None:
        _limiter = RateLimiter(storage_uri(get_settings().redis_url))
    return _limiter


async def check(*counters: tuple[Limit, str]) -> None:
    await get_limiter().check(*counters)


async def hit(*counters: tuple[Limit, str]) -> None:
    await get_limiter().hit(*counters)


async def try_hit(limit: Limit, key: str) -> bool:
    return await get_limiter().try_hit(limit, key)


async def record_failure(*counters: tuple[Limit, str]) -> None:
    await get_limiter().record_failure(*counters)


async def clear(limit: Limit, key: str) -> None:
    await get_limiter().clear(limit, key)


async def reset() -> None:
    """Empty the counters of the process-wide limiter. Limits themselves are unchanged."""
    await get_limiter().reset()
