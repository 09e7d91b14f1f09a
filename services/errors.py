"""Errors a use case can end with. Each carries the API error code clients rely on."""

from __future__ import annotations

from typing import Any


class ServiceError(Exception):
    """Base class: `code` is the GraphQL `extensions.code`, `extensions` adds details."""

    code = "INTERNAL_SERVER_ERROR"

    def __init__(self, message: str, **extensions: Any) -> None:
        super().__init__(message)
        self.message = message
        self.extensions = extensions


class Unauthenticated(ServiceError):
    code = "UNAUTHENTICATED"

    def __init__(self, message: str = "You must be signed in.", **extensions: Any) -> None:
        super().__init__(message, **extensions)


class Forbidden(ServiceError):
    code = "FORBIDDEN"

    def __init__(self, message: str = "You are not allowed to do this.", **extensions: Any):
        super().__init__(message, **extensions)


class NotFound(ServiceError):
    """Also what a caller gets for a record it may not see: its existence is not revealed."""

    code = "NOT_FOUND"

    def __init__(self, what: str = "Record", **extensions: Any) -> None:
        super().__init__(f"{what} not found.", **extensions)


class BadUserInput(ServiceError):
    code = "BAD_USER_INPUT"


class Conflict(ServiceError):
    code = "CONFLICT"


class RateLimited(ServiceError):
    code = "RATE_LIMITED"

    def __init__(self, retry_after_seconds: int, **extensions: Any) -> None:
        super().__init__(
            f"Too many attempts. Try again in {retry_after_seconds} seconds.",
            retryAfterSeconds=retry_after_seconds,
            **extensions,
        )
