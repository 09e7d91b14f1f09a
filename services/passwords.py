"""Password rules and hashing (argon2id).

Rules follow NIST SP 800-63B: 8 to 128 characters, no composition rules, never truncated,
and the most common passwords are refused.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from services.errors import BadUserInput, RateLimited, Reason
from settings import get_settings

T = TypeVar("T")

MIN_LENGTH = 8
MAX_LENGTH = 128
COMMON_PASSWORDS_FILE = Path(__file__).resolve().parent / "data" / "common-passwords.txt"

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters
# Verifications run since the process started (tests count them; an operator may log them).
_verifications = itertools.count()
_verified = 0


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    if not COMMON_PASSWORDS_FILE.exists():
        return frozenset()
    lines = COMMON_PASSWORDS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(
        line.strip().lower() for line in lines if line.strip() and not line.startswith("#")
    )


def check_password_rules(password: str) -> None:
    """Raise BAD_USER_INPUT when the password breaks a rule, naming the rule."""
    if len(password) < MIN_LENGTH:
        raise BadUserInput(
            "The password must have at least {minLength} characters.",
            field="password",
            minLength=MIN_LENGTH,
            reason=Reason.TOO_SHORT,
        )
    if len(password) > MAX_LENGTH:
        raise BadUserInput(
            "The password must have at most {maxLength} characters.",
            field="password",
            maxLength=MAX_LENGTH,
            reason=Reason.TOO_LONG,
        )
    if password.lower() in common_passwords():
        raise BadUserInput(
            "This password is too common; choose another one.",
            field="password",
            reason=Reason.TOO_COMMON,
        )


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    global _verified
    if not password_hash:
        return False
    _verified = next(_verifications) + 1
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return _hasher.hash("not the password of anyone: only burns the same time")


def verify_password_or_waste_time(password_hash: str | None, password: str) -> bool:
    """`verify_password`, but spends the time of a real verification when there is no hash,
    so an unknown e-mail or an account without a password answers as slowly as a wrong
    password (no account enumeration by timing)."""
    if not password_hash:
        verify_password(_dummy_hash(), password)
        return False
    return verify_password(password_hash, password)


def verification_count() -> int:
    """How many argon2 verifications this process has run (dummy ones included)."""
    return _verified


# Each argon2 hash or verification holds about 64 MiB and a core for ~100 ms: at most
# `PASSWORD_HASH_CONCURRENCY` run at once per process, the others wait their turn, for at
# most `PASSWORD_SLOT_WAIT_SECONDS` (then RATE_LIMITED: retry in a second), so that a flood
# of attempts cannot keep a request waiting past its time budget (`schema.limits`).
BUSY_LIMIT = "password-hash-slots"
_slots: tuple[asyncio.AbstractEventLoop, asyncio.Semaphore] | None = None
_running = 0
_peak_running = 0


def peak_running() -> int:
    """The most argon2 computations this process ran at once (tests check the bound)."""
    return _peak_running


def reset_peak_running() -> None:
    global _peak_running
    _peak_running = _running


def _slot() -> asyncio.Semaphore:
    """The semaphore of the running event loop (tests run several loops in one process)."""
    global _slots
    loop = asyncio.get_running_loop()
    if _slots is None or _slots[0] is not loop:
        _slots = (loop, asyncio.Semaphore(get_settings().password_hash_concurrency))
    return _slots[1]


async def _in_a_slot(function: Callable[..., T], *args: Any) -> T:
    """Run `function` in a thread once one of the process's argon2 slots is free. The slot
    is given back when the thread ends, even if the request was cancelled meanwhile (the
    thread cannot be stopped, and still holds its memory)."""
    global _running, _peak_running
    slot = _slot()
    try:
        await asyncio.wait_for(slot.acquire(), get_settings().password_slot_wait_seconds)
    except TimeoutError:
        raise RateLimited(1, limit=BUSY_LIMIT) from None
    _running += 1
    _peak_running = max(_peak_running, _running)

    def give_back(_: object) -> None:
        global _running
        _running -= 1
        slot.release()

    work = asyncio.ensure_future(asyncio.to_thread(function, *args))
    work.add_done_callback(give_back)
    return await asyncio.shield(work)


async def hash_password_async(password: str) -> str:
    """`hash_password` off the event loop, within the process's argon2 slots."""
    return await _in_a_slot(hash_password, password)


async def verify_password_async(password_hash: str | None, password: str) -> bool:
    """`verify_password_or_waste_time` off the event loop, within the argon2 slots."""
    return await _in_a_slot(verify_password_or_waste_time, password_hash, password)
