"""The two media types of GraphQL over HTTP: `application/json` and
`application/graphql-response+json`.

A client that asks for `application/graphql-response+json` (its `Accept` header prefers it
to `application/json`) gets its answer under that type, and a request that could not be
executed at all (a document that does not parse or validate, variables the schema refuses,
no operation to run) answers 400 without a `data` entry, as the GraphQL over HTTP
specification says. Every other client (no `Accept`, `*/*`, `application/json`) gets
`application/json` with status 200, as before.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from strawberry.types import ExecutionResult

GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON = "application/json"
GRAPHQL_RESPONSE_CONTENT_TYPE = f"{GRAPHQL_RESPONSE}; charset=utf-8"


def _quality(parameters: list[str]) -> float:
    for parameter in parameters:
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "q":
            try:
                return max(0.0, min(1.0, float(value.strip())))
            except ValueError:
                return 0.0
    return 1.0


def accepted(accept: str | None) -> dict[str, float]:
    """The media ranges of an `Accept` header with their quality (`q`, 1 by default)."""
    ranges: dict[str, float] = {}
    for item in (accept or "").split(","):
        media, *parameters = item.split(";")
        media = media.strip().lower()
        if media:
            ranges[media] = max(ranges.get(media, 0.0), _quality(parameters))
    return ranges


def _quality_of(ranges: Mapping[str, float], media: str) -> float:
    """The quality a client gives `media`: its own entry, else `application/*`, else `*/*`."""
    for candidate in (media, media.split("/")[0] + "/*", "*/*"):
        if candidate in ranges:
            return ranges[candidate]
    return 0.0


def wants_graphql_response(accept: str | None) -> bool:
    """Whether the client names `application/graphql-response+json` and prefers it (or
    likes it as much as) `application/json`. A wildcard alone keeps `application/json`."""
    ranges = accepted(accept)
    if GRAPHQL_RESPONSE not in ranges:
        return False
    wanted = ranges[GRAPHQL_RESPONSE]
    return wanted > 0 and wanted >= _quality_of(ranges, JSON)


def is_request_error(result: ExecutionResult) -> bool:
    """A result without any execution: no data, and errors that name no field path (parse,
    validation, variable coercion and operation selection errors never do; an error raised
    by a field always does)."""
    return (
        result.data is None
        and bool(result.errors)
        and all(not error.path for error in result.errors or ())
    )


def without_data(response: dict[str, Any]) -> dict[str, Any]:
    """The response of a request error, under `application/graphql-response+json`."""
    return {key: value for key, value in response.items() if key != "data"}
