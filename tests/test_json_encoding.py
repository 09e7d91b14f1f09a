"""GraphQL responses are encoded by orjson (`EspaceGraphQL.encode_json`), and a serving
process is tuned once started (`performance.process`).

Through the real app, a page's body and an error's body are exactly orjson's encoding of their
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

from models.enums import AccessRole, DocumentKind
from performance.process import SWITCH_INTERVAL_SECONDS, tune_for_serving
from tests import factories
from tests.graphql import gql
from tests.test_query_counts import QUERY, _history

# -- through the app -------------------------------------------------------------------------

ROWS = 60


def _assert_orjson_body(response: Any) -> Any:
    """The body is orjson's encoding of what it says (json.loads keeps the keys' order)."""
    assert response.headers["content-type"] == "application/json"
    assert response.headers["content-length"] == str(len(response.content))
    parsed = json.loads(response.content)
    assert response.content == orjson.dumps(parsed)
    return parsed


async def test_a_page_is_served_byte_for_byte_as_orjson_encodes_it(client) -> None:
    site = await factories.establishment(name="Acme Nantes")
    claire = await factories.account("claire@acme.example", full_name='Claire "Clo" Müller')
    await factories.access(claire, site, AccessRole.ADMIN)
    await _history(site, ROWS)
    token = await factories.token_for(claire)

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
