"""The GraphQL transport: every refusal is a GraphQL error body with
`extensions.code`, cross-site multipart requests are refused, and a document with several
operations must name the one to run."""

from __future__ import annotations

import json

import httpx
import pytest

from models.accounts import Account
from settings import get_settings
from tests.graphql import GraphQLResult
from web.body_limit import MAX_BODY_BYTES

SIGN_UP = (
    'mutation SignUp { signUp(email: "mallory@example.com", password: "a rare passphrase", '
    'fullName: "Mallory", kind: INDIVIDUAL) { token } }'
)


def graphql_error(response, status: int, code: str = "BAD_USER_INPUT") -> str:
    """The single error of a refused request: its message."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"errors"}, body
    [error] = body["errors"]
    assert error["extensions"]["code"] == code, error
    assert isinstance(error["message"], str) and error["message"]
    return error["message"]


def multipart(query: str) -> dict[str, str]:
    return {"operations": json.dumps({"query": query, "variables": {}}), "map": "{}"}


async def test_a_multipart_request_without_a_preflight_header_is_refused(client):
    """A form on another site can post multipart/form-data without a CORS preflight:
    without a header only scripts can set, nothing runs."""
    response = await client.post("/graphql", data=multipart(SIGN_UP), files={"x": ("x", b"x")})
    assert "Apollo-Require-Preflight" in graphql_error(response, 400)
    assert await Account.all().count() == 0


@pytest.mark.parametrize(
    "header", ["Apollo-Require-Preflight", "X-Apollo-Operation-Name", "GraphQL-Require-Preflight"]
)
async def test_a_multipart_request_with_a_preflight_header_runs(client, header):
    response = await client.post(
        "/graphql",
        data=multipart(SIGN_UP),
        files={"x": ("x", b"x")},
        headers={header: "SignUp"},
    )
    assert GraphQLResult(response).ok()["signUp"]["token"]


async def test_the_preflight_headers_are_allowed_by_cors(policy):
    """A front end on an allowed origin may send them (its preflight is accepted)."""
    from server import create_app

    settings = get_settings().model_copy(update={"cors_origins": ["https://front.example"]})
    app = create_app(settings, policy, manage_database=False)
    transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as front:
        response = await front.options(
            "/graphql",
            headers={
                "Origin": "https://front.example",
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "apollo-require-preflight, content-type",
            },
        )
    assert response.status_code == 200, response.text
    assert "apollo-require-preflight" in response.headers["access-control-allow-headers"].lower()


async def test_several_operations_without_operation_name_are_refused(client):
    document = SIGN_UP + " query Other { __typename }"
    response = await client.post("/graphql", json={"query": document})
    result = GraphQLResult(response)
    assert result.codes == ["BAD_USER_INPUT"]
    assert result.errors[0]["extensions"]["field"] == "operationName"
    assert await Account.all().count() == 0
    named = await client.post("/graphql", json={"query": document, "operationName": "Other"})
    assert GraphQLResult(named).ok() == {"__typename": "Query"}


@pytest.mark.parametrize(
    ("content", "status"),
    [
        (b'{"query": "{ __typename }"', 400),  # cut short
        (b"not json at all", 400),
        (b'[{"query": "{ __typename }"}, {"query": "{ __typename }"}]', 400),  # a batch
        (b'{"query": 42}', 400),
        (b'{"query": "\xff"}', 400),  # not UTF-8
        (b"123", 400),
        (b"null", 400),
        (b'"a string"', 400),
        (b'{"query": "{ __typename }", "operationName": 5}', 400),
        (b'{"query": "{ __typename }", "operationName": "\\ud800"}', 400),
        (b'{"query": "{ __typename }", "operationName": "Missing"}', 400),
        (b'{"query": "{ __typename }", "variables": []}', 400),
    ],
    ids=[
        "truncated",
        "garbage",
        "batch",
        "query-not-a-string",
        "not-utf8",
        "number",
        "null",
        "string",
        "name-not-a-string",
        "name-surrogate",
        "name-unknown",
        "variables-not-an-object",
    ],
)
async def test_refused_bodies_get_a_graphql_error_with_a_code(client, content, status):
    response = await client.post(
        "/graphql", content=content, headers={"content-type": "application/json"}
    )
    graphql_error(response, status)


async def test_an_unsupported_content_type_gets_a_graphql_error(client):
    response = await client.post(
        "/graphql", content=b"{ __typename }", headers={"content-type": "text/plain"}
    )
    graphql_error(response, 400)


async def test_a_body_over_the_limit_gets_a_graphql_error_with_a_code(client):
    response = await client.post(
        "/graphql",
        content=b"x" * (MAX_BODY_BYTES + 1),
        headers={"content-type": "application/json"},
    )
    message = graphql_error(response, 413)
    assert str(MAX_BODY_BYTES) in message
    assert response.json()["errors"][0]["extensions"]["limit"] == MAX_BODY_BYTES
