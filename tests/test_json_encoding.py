"""GraphQL responses are encoded a slice at a time, yet byte for byte as before.

`performance.json_encoding.encode` must give exactly `orjson.dumps`'s bytes for any JSON value
(generated ones, and GraphQL-shaped ones with long lists at various depths), while letting
the event loop run between slices of long lists, and not at all when there is none. Through
the real app, a page's body and an error's body are exactly orjson's encoding of their
content, with the right headers. `performance.process.tune_for_serving` sets the GIL switch
interval and freezes what start-up loaded out of the garbage collector's reach.
"""

from __future__ import annotations

import gc
import json
import sys
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from models.enums import AccessRole, DocumentKind
from performance import json_encoding
from performance.json_encoding import (
    ITEMS_PER_SLICE,
    LONG_LIST,
    Encoded,
    encode,
    encode_json,
    encoded,
)
from performance.process import SWITCH_INTERVAL_SECONDS, tune_for_serving
from tests import factories
from tests.graphql import gql
from tests.loop_turns import loop_turns_during
from tests.test_query_counts import QUERY, _history

# -- generated values ------------------------------------------------------------------------

# Quotes, backslashes, control characters, non-ASCII and emoji included (no lone surrogates:
# they are not UTF-8, orjson refuses them).
TEXT = st.text(st.characters(codec="utf-8"), max_size=12) | st.sampled_from(
    ['"', "\\", '\\"', "\x00\x1f\n\t", "é", "🎓 façade", "\u2028", ""]
)
LEAVES = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**64 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | TEXT
)
# Lengths on both sides of the thresholds, and a few slices long.
LONG_LENGTHS = st.sampled_from(
    [
        LONG_LIST - 1,
        LONG_LIST,
        LONG_LIST + 1,
        ITEMS_PER_SLICE - 1,
        ITEMS_PER_SLICE,
        ITEMS_PER_SLICE + 1,
        2 * ITEMS_PER_SLICE,
        2 * ITEMS_PER_SLICE + 1,
    ]
) | st.integers(min_value=LONG_LIST, max_value=3 * ITEMS_PER_SLICE + 7)


def _long_lists(children: st.SearchStrategy[Any]) -> st.SearchStrategy[list[Any]]:
    """Long lists, cheap to generate: a few generated items repeated to a long length."""
    return st.tuples(st.lists(children, min_size=1, max_size=4), LONG_LENGTHS).map(
        lambda pair: [pair[0][n % len(pair[0])] for n in range(pair[1])]
    )


JSON_VALUES = st.recursive(
    LEAVES,
    lambda children: (
        st.lists(children, max_size=5)
        | st.dictionaries(TEXT, children, max_size=5)
        | _long_lists(children)
    ),
    max_leaves=40,
)


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(value=JSON_VALUES)
async def test_encode_gives_orjson_s_bytes_for_any_json_value(value: Any) -> None:
    assert await encode(value) == orjson.dumps(value)


# -- hand-written responses --------------------------------------------------------------------


def _graphql_page(rows: int) -> dict[str, Any]:
    """A response shaped like an enrollments page: each node with its 8 documents."""
    return {
        "data": {
            "enrollments": {
                "totalCount": rows,
                "edges": [
                    {
                        "cursor": f"Y3Vyc29yOnt{n}",
                        "node": {
                            "id": f"RW5yb2xsbWVudDo{n}",
                            "reference": f"QC-{n:05d}",
                            "registrantName": 'Zoë "Z" O\\Neil' if n % 3 else None,
                            "netPriceTotal": "855.50",
                            "seats": n % 4,
                            "validated": bool(n % 2),
                            "documents": [
                                {"id": f"RG9j{n}-{k}", "kind": kind.value, "size": 1.5 * k}
                                for k, kind in enumerate(DocumentKind)
                            ],
                        },
                    }
                    for n in range(rows)
                ],
                "pageInfo": {"hasNextPage": False, "endCursor": None},
            }
        },
        "errors": [
            {
                "message": "Not allowed: à vous de voir\n",
                "locations": [{"line": 3, "column": 5}],
                "path": ["enrollments", "edges", 7, "node", "invoices"],
                "extensions": {"code": "FORBIDDEN"},
            }
        ],
        "extensions": {},
    }


HAND_WRITTEN = {
    "graphql page of 1,000 rows": _graphql_page(1000),
    "list of long lists": [list(range(n, n + 3 * ITEMS_PER_SLICE + 1)) for n in range(60)],
    "long list at top level": [{"n": n, "s": 'é\\"'} for n in range(2 * ITEMS_PER_SLICE + 3)],
    "long list in short lists": [[[[list(range(LONG_LIST))]]], [], {}],
    "escaped and non-ASCII keys": {
        'clé "é" \\ \n 🎓': list(range(LONG_LIST)),
        "": {"\u2028\x00": [None] * LONG_LIST, "ok": 1},
    },
    "empty containers": {"a": [], "b": {}, "c": [[], {}], "d": [[]] * LONG_LIST},
    "long list of long lists of dicts": [
        [{"k": [n, m, None]} for m in range(LONG_LIST)] for n in range(ITEMS_PER_SLICE + 1)
    ],
}


@pytest.mark.parametrize("name", list(HAND_WRITTEN))
async def test_encode_gives_orjson_s_bytes_for_graphql_shaped_responses(name: str) -> None:
    value = HAND_WRITTEN[name]
    assert await encode(value) == orjson.dumps(value)


# -- giving way -------------------------------------------------------------------------------


async def test_a_long_list_lets_the_loop_run_between_slices() -> None:
    response = {"data": {"items": [{"n": n} for n in range(10 * ITEMS_PER_SLICE)]}}
    turns, body = await loop_turns_during(encode(response))
    assert body == orjson.dumps(response)
    assert turns >= 9  # one between each two of the ten slices


async def test_every_long_list_of_a_page_gives_way() -> None:
    response = _graphql_page(1000)  # 20 slices of edges, each node's documents short
    turns, body = await loop_turns_during(encode(response))
    assert body == orjson.dumps(response)
    assert turns >= 1000 // ITEMS_PER_SLICE - 1


@pytest.mark.parametrize(
    "response",
    [
        {"data": {"items": list(range(LONG_LIST - 1))}, "errors": [{"message": "x"}]},
        _graphql_page(LONG_LIST - 1),
        {"data": None},
    ],
    ids=["short list", "short page", "no data"],
)
async def test_a_response_without_a_long_list_is_encoded_in_one_go(response: Any) -> None:
    turns, body = await loop_turns_during(encode(response))
    assert body == orjson.dumps(response)
    assert turns == 0


# -- Strawberry's two hooks ---------------------------------------------------------------------


async def test_encoded_is_the_response_with_its_bytes() -> None:
    response = _graphql_page(3 * ITEMS_PER_SLICE)
    result = await encoded(response)
    assert type(result) is Encoded
    assert result == response
    assert list(result) == list(response)  # keys in the same order
    assert result.json == orjson.dumps(response)


async def test_encode_json_uses_the_encoding_already_made() -> None:
    first = await encoded(_graphql_page(2))
    second = await encoded({"data": {"items": list(range(2 * ITEMS_PER_SLICE))}})
    assert encode_json(first) is first.json
    batch = encode_json([first, second])
    assert batch == orjson.dumps([dict(first), dict(second)])
    assert json.loads(batch) == [first, second]


@pytest.mark.parametrize(
    "data",
    [
        {"data": {"a": 1}},
        [],
        [{"data": None}, {"data": {"b": [1, 2]}}],
        "text",
        None,
    ],
    ids=["plain dict", "empty list", "list of plain dicts", "string", "null"],
)
def test_encode_json_falls_back_to_orjson(data: Any) -> None:
    assert encode_json(data) == orjson.dumps(data)


async def test_a_list_mixing_encoded_and_plain_responses_is_encoded_in_full() -> None:
    done = await encoded({"data": {"x": "é"}})
    data = [done, {"data": {"y": None}}]
    assert encode_json(data) == orjson.dumps(data)


# -- through the app -------------------------------------------------------------------------

ROWS = 2 * ITEMS_PER_SLICE + 10  # three slices of edges


def _assert_orjson_body(response: Any) -> Any:
    """The body is orjson's encoding of what it says (json.loads keeps the keys' order)."""
    assert response.headers["content-type"] == "application/json"
    assert response.headers["content-length"] == str(len(response.content))
    parsed = json.loads(response.content)
    assert response.content == orjson.dumps(parsed)
    return parsed


async def test_a_long_page_is_served_byte_for_byte_as_orjson_encodes_it(
    client, monkeypatch
) -> None:
    site = await factories.establishment(name="Acme Nantes")
    claire = await factories.account("claire@acme.example", full_name='Claire "Clo" Müller')
    await factories.access(claire, site, AccessRole.ADMIN)
    await _history(site, ROWS)
    token = await factories.token_for(claire)

    made: list[bytes] = []

    async def spying(value: Any) -> bytes:
        made.append(await encode(value))
        return made[-1]

    monkeypatch.setattr(json_encoding, "encode", spying)
    response = await client.post(
        "/graphql",
        json={"query": QUERY, "variables": {"first": ROWS}},
        headers={"Authorization": f"Bearer {token}"},
    )

    assert response.status_code == 200
    parsed = _assert_orjson_body(response)
    page = parsed["data"]["enrollments"]
    assert page["totalCount"] == ROWS
    assert len(page["edges"]) == ROWS
    assert all(len(edge["node"]["documents"]) == len(DocumentKind) for edge in page["edges"])
    assert made == [response.content]  # the sliced encoding is what was served


async def test_an_error_response_is_served_as_orjson_encodes_it(client) -> None:
    claire = await factories.account("claire@acme.example")
    token = await factories.token_for(claire)
    response = await client.post(
        "/graphql",
        json={"query": QUERY, "variables": {"first": 'forty "é" \\'}},
        headers={"Authorization": f"Bearer {token}"},
    )
    parsed = _assert_orjson_body(response)
    assert parsed["data"] is None
    assert parsed["errors"] and "first" in parsed["errors"][0]["message"]
    # The same through the test helper, as a front end would read it.
    result = await gql(client, QUERY, {"first": "many"}, token=token)
    assert result.data is None and result.errors


# -- the serving process ------------------------------------------------------------------------


def test_tune_for_serving_shortens_the_switch_interval_and_freezes_start_up_objects() -> None:
    previous = sys.getswitchinterval()
    frozen = gc.get_freeze_count()
    assert previous != pytest.approx(SWITCH_INTERVAL_SECONDS)  # else this proves nothing
    try:
        tune_for_serving()
        assert sys.getswitchinterval() == pytest.approx(SWITCH_INTERVAL_SECONDS)
        assert gc.get_freeze_count() > frozen
    finally:
        sys.setswitchinterval(previous)
        gc.unfreeze()
    assert gc.get_freeze_count() == 0
