"""JSON encoding of GraphQL responses, a slice at a time (bench/RESULTS.md, isolation).

orjson encodes a 1,000-row export (3 MB) in about 6 ms under load, during which no other
request of the process moves. `encode()` gives the same bytes as `orjson.dumps`, but encodes
the long lists found under the response's objects a slice of items at a time, with a slice
boundary (`performance.turns.give_way`) between slices. A response without such a list is
encoded in one `orjson.dumps` call, as before.

`Encoded` carries the bytes from Strawberry's asynchronous `process_result` hook to its
synchronous `encode_json` hook.
"""

from __future__ import annotations

from typing import Any

import orjson

from performance import turns

# A list this long is encoded a slice of items at a time.
LONG_LIST = 32
ITEMS_PER_SLICE = 50


class Encoded(dict[str, Any]):
    """A response (the dict itself, unchanged) with its JSON encoding already made."""

    json: bytes


def _has_long_list(value: Any) -> bool:
    """Whether a long list is reachable through objects alone: where a GraphQL response keeps
    its rows (`data` → field → `edges`). Lists are not searched: walking every row in Python
    would cost ten times what orjson takes to encode it. A short list is encoded whole, the
    items of a long one a slice at a time, each item whole."""
    if isinstance(value, list):
        return len(value) >= LONG_LIST
    if isinstance(value, dict):
        return any(_has_long_list(item) for item in value.values())
    return False


async def _encode(value: Any, parts: list[bytes]) -> None:
    if not _has_long_list(value):
        parts.append(orjson.dumps(value))
    elif isinstance(value, dict):
        parts.append(b"{")
        for index, (key, item) in enumerate(value.items()):
            parts.append(b'"' if not index else b',"')
            parts.append(orjson.dumps(key)[1:])
            parts.append(b":")
            await _encode(item, parts)
        parts.append(b"}")
    else:
        parts.append(b"[")
        for start in range(0, len(value), ITEMS_PER_SLICE):
            if start:
                await turns.give_way()
                parts.append(b",")
            parts.append(orjson.dumps(value[start : start + ITEMS_PER_SLICE])[1:-1])
        parts.append(b"]")


async def encode(value: Any) -> bytes:
    """`orjson.dumps(value)`, byte for byte, letting other requests run between slices."""
    if not _has_long_list(value):
        return orjson.dumps(value)
    parts: list[bytes] = []
    await _encode(value, parts)
    return b"".join(parts)


async def encoded(response: dict[str, Any]) -> Encoded:
    """The response with its encoding, for `encode_json`."""
    result = Encoded(response)
    result.json = await encode(response)
    return result


def encode_json(data: object) -> bytes:
    """Strawberry's `encode_json`: the encoding already made, or orjson's."""
    if type(data) is Encoded:
        return data.json
    if isinstance(data, list) and data and all(type(item) is Encoded for item in data):
        return b"[" + b",".join(item.json for item in data) + b"]"
    return orjson.dumps(data)
