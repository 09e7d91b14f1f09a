"""GraphQL over HTTP: `application/graphql-response+json` for the clients that ask for it
(400 without `data` when a request could not be executed), `application/json` as before for
the others; and the GraphQL foundation's audit suite (graphql-http) against a live server."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from settings import PROJECT_DIR
from tests.live_server import live_server
from web.graphql_media import wants_graphql_response

AUDIT_DIR = PROJECT_DIR / "tests" / "graphql_http_audit"
GRAPHQL_RESPONSE = "application/graphql-response+json"


@pytest.mark.parametrize(
    ("accept", "wanted"),
    [
        (GRAPHQL_RESPONSE, True),
        (f"{GRAPHQL_RESPONSE}, application/json", True),
        (f"{GRAPHQL_RESPONSE}, application/json, multipart/mixed", True),  # GraphiQL
        (f"application/json, {GRAPHQL_RESPONSE};q=0.9", False),
        (f"application/json;q=0.5, {GRAPHQL_RESPONSE};q=0.9", True),
        (f"{GRAPHQL_RESPONSE};q=0", False),
        ("application/json", False),
        ("*/*", False),
        ("", False),
        (None, False),
    ],
)
def test_the_accept_header_chooses_the_media_type(accept, wanted):
    assert wants_graphql_response(accept) is wanted


async def post(client, body: dict, accept: str | None):
    headers = {"Accept": accept} if accept else {}
    return await client.post("/graphql", json=body, headers=headers)


REQUEST_ERRORS = [
    pytest.param({"query": "{"}, id="parse"),
    pytest.param({"query": "{ noSuchField }"}, id="validation"),
    pytest.param(
        {"query": "query($id: ID!) { course(id: $id) { code } }", "variables": {"id": []}},
        id="variable coercion",
    ),
]


@pytest.mark.parametrize("body", REQUEST_ERRORS)
async def test_a_request_error_is_a_400_without_data_under_graphql_response_json(client, body):
    response = await post(client, body, GRAPHQL_RESPONSE)

    assert response.status_code == 400
    assert response.headers["content-type"].startswith(GRAPHQL_RESPONSE)
    answer = response.json()
    assert "data" not in answer
    assert answer["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


@pytest.mark.parametrize("accept", ["application/json", None, "*/*"])
@pytest.mark.parametrize("body", REQUEST_ERRORS)
async def test_application_json_clients_get_what_they_got_before(client, body, accept):
    response = await post(client, body, accept)

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    answer = response.json()
    assert answer["data"] is None
    assert answer["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_an_executed_operation_is_a_200_under_graphql_response_json(client):
    fine = await post(client, {"query": "{ courses { code } }"}, GRAPHQL_RESPONSE)
    # A field error is not a request error: the operation ran, `data` is there.
    field_error = await post(client, {"query": '{ document(id: "1") { id } }'}, GRAPHQL_RESPONSE)

    assert fine.status_code == 200
    assert fine.headers["content-type"].startswith(GRAPHQL_RESPONSE)
    assert fine.json() == {"data": {"courses": []}}
    assert field_error.status_code == 200
    assert "data" in field_error.json()
    assert field_error.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


def _audit_available() -> bool:
    return shutil.which("node") is not None and (AUDIT_DIR / "node_modules/graphql-http").exists()


@pytest.mark.slow
@pytest.mark.skipif(
    not _audit_available() and not os.environ.get("CI"),  # CI runs it or fails
    reason="needs node and `npm ci` in tests/graphql_http_audit (.ci/run does both)",
)
def test_the_graphql_http_audit_passes_without_warnings(tmp_dir: Path):
    with live_server(tmp_dir) as server:
        run = subprocess.run(
            ["node", "audit.mjs", server.graphql_url],
            cwd=AUDIT_DIR,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    assert run.returncode == 0, run.stderr
    results = json.loads(run.stdout)
    failed = [r for r in results if r["status"] in ("error", "warn")]

    assert len(results) >= 60
    assert failed == []
