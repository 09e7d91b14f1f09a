"""`ErrorCode` and `ErrorReason`: the values of `extensions.code` and `extensions.reason`,
listed in the schema with what each one means (from `services.errors`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import strawberry

from services import errors


def _described(enum: type, descriptions: Mapping[Any, str]) -> None:
    for value in enum.__strawberry_definition__.values:  # type: ignore[attr-defined]
        value.description = descriptions[enum(value.value)]


ErrorCode = strawberry.enum(
    errors.Code,
    name="ErrorCode",
    description="The values of `extensions.code` on every GraphQL error. An error also "
    "carries `extensions.reason` (ErrorReason), a `message` in the request's language "
    "(French for `Accept-Language: fr`, English otherwise), `extensions.requestId`, and for "
    "invalid input `extensions.fields`: `[{field, reason, message}]`, one entry per invalid "
    "field (a form answers all its invalid fields in one error). Not returned by any field: "
    "listed here as documentation.",
)
_described(ErrorCode, errors.CODES)

ErrorReason = strawberry.enum(
    errors.Reason,
    name="ErrorReason",
    description="The values of `extensions.reason` (and of `reason` in `extensions.fields`): "
    "why a request was refused, finer than its ErrorCode; each value says which code it "
    "comes with. Match on these, not on messages, which are translated. Not returned by any "
    "field: listed here as documentation.",
)
_described(ErrorReason, errors.REASONS)

ERROR_TYPES = [ErrorCode, ErrorReason]
