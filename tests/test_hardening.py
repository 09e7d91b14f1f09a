"""GraphQL hardening: each operation limit just under and just over, request body size, batches,
masked and unmasked errors, production vs development, CORS and security headers."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

import schema.limits
from models.enums import AccessRole
from policies.engine import Policy
from services import catalog
from settings import Settings, get_settings
from tests import factories
from tests.graphql import GraphQLResult, gql
from web.body_limit import MAX_BODY_BYTES, MAX_UPLOAD_BYTES


def settings_for(**changes: Any) -> Settings:
    return get_settings().model_copy(update=changes)


@pytest.fixture
async def prod_client(policy: Policy) -> AsyncIterator[httpx.AsyncClient]:
    """The same app, configured as in production."""
    from server import create_app

    app = create_app(settings_for(environment="prod"), policy, manage_database=False)
    transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="https://espace.test") as client:
        yield client


def refused(result: GraphQLResult, words: str) -> None:
    """Refused before anything ran: no data, one BAD_USER_INPUT naming the limit."""
    assert result.status_code == 200
    assert result.data is None
    assert result.codes == ["BAD_USER_INPUT"], result.errors
    assert words in result.errors[0]["message"]


# -- depth ---------------------------------------------------------------------------------


def nested(levels: int) -> str:
    """`establishments { accesses { establishment { accesses ... { id } } } }`: `levels`
    fields below `establishments`, the last one being `id`."""
    names = [("accesses", "establishment")[level % 2] for level in range(levels - 1)]
    return "{ establishments { " + " { ".join([*names, "id"]) + " }" * levels + " }"


async def test_a_query_ten_levels_deep_is_answered_eleven_is_refused(client):
    claire = await factories.account("claire@acme.example")
    site = await factories.establishment(name="Acme Paris")
    await factories.access(claire, site, AccessRole.ADMIN)
    token = await factories.token_for(claire)

    answered = await gql(client, nested(10), token=token)
    assert answered.ok()["establishments"][0]["accesses"][0]["establishment"]["accesses"]

    refused(await gql(client, nested(11), token=token), "exceeds maximum operation depth of 10")


# -- aliases -------------------------------------------------------------------------------


def aliased(count: int) -> str:
    return "{ " + " ".join(f"c{n}: courses {{ code }}" for n in range(count)) + " }"


async def test_fifteen_aliases_are_answered_sixteen_are_refused(client):
    await factories.course_session(code="MGT-1")
    data = (await gql(client, aliased(15))).ok()
    assert data["c14"] == [{"code": "MGT-1"}]
    refused(await gql(client, aliased(16)), "16 aliases found. Allowed: 15")


# -- tokens --------------------------------------------------------------------------------


def tokens(count: int) -> str:
    """`{ enrollments(filter: {status: [VALIDATED ...]}) { nodes { id } } }` of exactly
    `count` tokens: 19 of structure, the rest enum values in the list."""
    values = " ".join(["VALIDATED"] * (count - 19))
    return "{ enrollments(filter: {status: [" + values + "]}) { nodes { id } } }"


async def test_two_thousand_tokens_are_answered_more_are_refused(client):
    token = await factories.token_for(await factories.account("ines@example.com"))
    answered = await gql(client, tokens(2000), token=token)
    assert answered.ok() == {"enrollments": {"nodes": []}}
    refused(await gql(client, tokens(2001), token=token), "more than 2000 tokens")


# -- directives ----------------------------------------------------------------------------


def directives(count: int) -> str:
    return "{ " + " ".join(["__typename @include(if: true)"] * count) + " }"


async def test_fifty_directives_are_answered_fifty_one_are_refused(client):
    assert (await gql(client, directives(50))).ok() == {"__typename": "Query"}
    result = await gql(client, directives(51))
    refused(result, "more than 50 directives")
    assert result.errors[0]["extensions"]["limit"] == 50


# -- time budget ---------------------------------------------------------------------------


async def test_an_operation_within_its_time_budget_is_answered(client):
    await factories.course_session(code="MGT-1")
    assert (await gql(client, "{ courses { code } }")).ok() == {"courses": [{"code": "MGT-1"}]}


async def test_an_operation_past_its_time_budget_stops_resolving(client, monkeypatch):
    await factories.course_session(code="MGT-1")
    # A budget already spent when execution starts: read per request, so no restart needed.
    monkeypatch.setattr(schema.limits, "TIME_BUDGET_SECONDS", -1.0)
    result = await gql(client, "{ courses { code } }")
    assert result.data is None
    assert result.code_at("courses") == "BAD_USER_INPUT"
    assert "budget" in result.errors[0]["message"]


# -- page size (services/history.py, ruled by the policy) ---------------------------------


async def test_a_page_of_100_is_allowed_101_is_refused_for_a_person_without_access(client):
    ines = await factories.account("ines@example.com")
    token = await factories.token_for(ines)
    query = "query ($n: Int) { enrollments(first: $n) { nodes { id } } }"

    assert (await gql(client, query, {"n": 100}, token)).ok()["enrollments"] == {"nodes": []}
    result = await gql(client, query, {"n": 101}, token)
    assert result.code_at("enrollments") == "BAD_USER_INPUT"
    assert result.error_at("enrollments")["extensions"]["max"] == 100


async def test_an_establishment_admin_gets_100_rows_a_page_too(client):
    """No larger GraphQL pages for dashboards or staff: they export whole histories as files."""
    claire = await factories.account("claire@acme.example")
    await factories.access(claire, await factories.establishment(), AccessRole.ADMIN)
    token = await factories.token_for(claire)
    query = "query ($n: Int) { enrollments(first: $n) { nodes { id } } }"

    assert (await gql(client, query, {"n": 100}, token)).ok()["enrollments"] == {"nodes": []}
    result = await gql(client, query, {"n": 101}, token)
    assert result.error_at("enrollments")["extensions"]["max"] == 100


# -- request bodies and batches ------------------------------------------------------------


def padded_body(size: int) -> bytes:
    """A valid JSON GraphQL request of exactly `size` bytes."""
    empty = json.dumps({"query": "{ __typename }", "variables": {"pad": ""}})
    padding = "x" * (size - len(empty))
    body = json.dumps({"query": "{ __typename }", "variables": {"pad": padding}}).encode()
    assert len(body) == size
    return body


async def test_a_body_of_one_megabyte_is_answered_one_byte_more_is_refused(client):
    headers = {"content-type": "application/json"}
    answered = await client.post("/graphql", content=padded_body(MAX_BODY_BYTES), headers=headers)
    assert answered.status_code == 200
    assert answered.json() == {"data": {"__typename": "Query"}}

    too_big = await client.post(
        "/graphql", content=padded_body(MAX_BODY_BYTES + 1), headers=headers
    )
    assert too_big.status_code == 413


async def test_a_large_body_without_content_length_is_refused_too(client):
    async def chunks() -> AsyncIterator[bytes]:
        body = padded_body(MAX_BODY_BYTES + 10)
        for start in range(0, len(body), 64 * 1024):
            yield body[start : start + 64 * 1024]

    response = await client.post(
        "/graphql", content=chunks(), headers={"content-type": "application/json"}
    )
    assert response.status_code == 413


async def test_a_multipart_upload_may_exceed_one_megabyte(client):
    """Uploads are excepted from the 1 MB limit (they have their own, 20 MB)."""
    operations = json.dumps({"query": "{ __typename }", "variables": {}})
    response = await client.post(
        "/graphql",
        data={"operations": operations, "map": "{}"},
        files={"pad": ("big.bin", b"x" * (MAX_BODY_BYTES + 1), "application/octet-stream")},
        headers={"Apollo-Require-Preflight": "true"},
    )
    assert response.status_code == 200
    assert response.json() == {"data": {"__typename": "Query"}}


async def test_a_multipart_body_past_the_upload_limit_is_refused(client):
    """The upload allowance is a document's 20 MB plus room for the form fields, no more."""
    operations = json.dumps({"query": "{ __typename }", "variables": {}})
    response = await client.post(
        "/graphql",
        data={"operations": operations, "map": "{}"},
        files={"pad": ("big.bin", b"x" * (MAX_UPLOAD_BYTES + 1), "application/octet-stream")},
    )
    assert response.status_code == 413


async def test_batched_operations_are_refused(client):
    response = await client.post(
        "/graphql", json=[{"query": "{ __typename }"}, {"query": "{ __typename }"}]
    )
    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert error["message"] == "Batching is not enabled"
    assert error["extensions"]["code"] == "BAD_USER_INPUT"


# -- errors --------------------------------------------------------------------------------


async def test_an_unexpected_error_is_masked_with_the_request_id(client, monkeypatch, caplog):
    async def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("connection to db-7.internal:5432 refused")

    monkeypatch.setattr(catalog, "list_courses", broken)
    response = await client.post("/graphql", json={"query": "{ courses { code } }"})
    result = GraphQLResult(response)
    error = result.error_at("courses")
    assert error["message"] == "Internal server error."
    assert error["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    assert error["extensions"]["requestId"] == response.headers["x-request-id"]
    assert "db-7.internal" not in response.text
    # The details are for the server's log only, under the same request id.
    logged = [r for r in caplog.records if r.name == "espace.graphql"]
    assert "db-7.internal" in logged[0].exc_text
    assert response.headers["x-request-id"] in logged[0].getMessage()


async def test_an_expected_error_keeps_its_code_and_message(client):
    result = await gql(client, '{ course(id: "999999") { code } }')
    assert result.code_at("course") == "NOT_FOUND"
    assert result.error_at("course")["message"] == "Course not found."
    assert result.error_at("course")["extensions"]["requestId"]


async def test_a_request_id_from_a_trusted_proxy_is_kept_and_echoed(policy):
    from server import create_app

    settings = get_settings().model_copy(update={"trusted_proxies": ["203.0.113.0/24"]})
    app = create_app(settings, policy, manage_database=False)
    transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as proxy:
        response = await proxy.post(
            "/graphql",
            json={"query": '{ course(id: "999999") { code } }'},
            headers={"X-Request-ID": "front-1234abcd"},
        )
    assert response.headers["x-request-id"] == "front-1234abcd"
    assert response.json()["errors"][0]["extensions"]["requestId"] == "front-1234abcd"


async def test_a_request_id_from_anyone_else_is_replaced(client):
    """No trusted proxy configured (the default): a client cannot choose the id its request
    is logged under."""
    response = await client.post(
        "/graphql",
        json={"query": '{ course(id: "999999") { code } }'},
        headers={"X-Request-ID": "front-1234abcd"},
    )
    assert response.headers["x-request-id"] != "front-1234abcd"
    assert (
        response.json()["errors"][0]["extensions"]["requestId"]
        == (response.headers["x-request-id"])
    )


async def test_a_malformed_request_id_is_replaced(client):
    response = await client.post(
        "/graphql", json={"query": "{ __typename }"}, headers={"X-Request-ID": "bad id\r\n"}
    )
    assert response.headers["x-request-id"] != "bad id"
    assert len(response.headers["x-request-id"]) == 32


# -- production vs development -------------------------------------------------------------


async def test_development_suggests_field_names(client):
    result = await gql(client, "{ mee { id } }")
    assert result.codes == ["BAD_USER_INPUT"]
    assert "Did you mean 'me'?" in result.errors[0]["message"]


async def test_production_does_not_suggest_field_names(prod_client):
    result = await gql(prod_client, "{ mee { id } }")
    assert result.codes == ["BAD_USER_INPUT"]
    assert result.errors[0]["message"] == "Cannot query field 'mee' on type 'Query'."


async def test_production_does_not_suggest_enum_values_in_variables(prod_client):
    query = "query ($s: [EnrollmentStatus!]) { enrollments(filter: {status: $s}) { nodes { id } } }"
    result = await gql(prod_client, query, {"s": ["VALIDATE"]})
    assert result.codes == ["BAD_USER_INPUT"]
    assert "VALIDATE" in result.errors[0]["message"]
    assert "Did you mean" not in result.errors[0]["message"]
    assert "VALIDATED" not in result.errors[0]["message"]


async def test_development_allows_introspection(client):
    result = await gql(client, "{ __schema { queryType { name } } }")
    assert result.ok() == {"__schema": {"queryType": {"name": "Query"}}}


async def test_production_refuses_introspection(prod_client):
    result = await gql(prod_client, "{ __schema { queryType { name } } }")
    assert result.data is None
    assert set(result.codes) == {"BAD_USER_INPUT"}
    assert "introspection has been disabled" in result.errors[0]["message"]
    # __typename is not introspection of the schema: clients rely on it.
    assert (await gql(prod_client, "{ __typename }")).ok() == {"__typename": "Query"}


async def test_development_serves_graphiql_and_get_queries(client):
    page = await client.get("/graphql", headers={"accept": "text/html"})
    assert page.status_code == 200
    assert "graphiql" in page.text.lower()
    assert "unpkg.com" in page.headers["content-security-policy"]
    answered = await client.get("/graphql", params={"query": "{ __typename }"})
    assert answered.json() == {"data": {"__typename": "Query"}}


async def test_production_serves_neither_graphiql_nor_get_queries(prod_client):
    page = await prod_client.get("/graphql", headers={"accept": "text/html"})
    assert "graphiql" not in page.text.lower()
    response = await prod_client.get("/graphql", params={"query": "{ __typename }"})
    assert response.status_code != 200
    assert "data" not in response.text


# -- headers -------------------------------------------------------------------------------


async def test_responses_carry_security_headers(client):
    response = await client.post("/graphql", json={"query": "{ __typename }"})
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["content-security-policy"].startswith("default-src 'none'")
    assert "strict-transport-security" not in response.headers  # dev serves plain HTTP


async def test_production_adds_strict_transport_security(prod_client):
    response = await prod_client.post("/graphql", json={"query": "{ __typename }"})
    assert response.headers["strict-transport-security"].startswith("max-age=31536000")
    assert response.headers["content-security-policy"].startswith("default-src 'none'")


async def test_cors_allows_only_the_configured_origins(policy):
    from server import create_app

    app = create_app(
        settings_for(cors_origins=["https://app.espace.example"]), policy, manage_database=False
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        preflight = {
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type",
        }
        allowed = await client.options(
            "/graphql", headers={"Origin": "https://app.espace.example", **preflight}
        )
        assert allowed.status_code == 200
        assert allowed.headers["access-control-allow-origin"] == "https://app.espace.example"
        assert "authorization" in allowed.headers["access-control-allow-headers"].lower()

        other = await client.options(
            "/graphql", headers={"Origin": "https://evil.example", **preflight}
        )
        assert other.status_code == 400
        assert "access-control-allow-origin" not in other.headers

        answered = await client.post(
            "/graphql",
            json={"query": "{ __typename }"},
            headers={"Origin": "https://app.espace.example"},
        )
        assert answered.headers["access-control-allow-origin"] == "https://app.espace.example"
        assert "x-request-id" in answered.headers["access-control-expose-headers"].lower()


async def test_a_variable_of_the_wrong_shape_is_the_clients_error_not_ours(client):
    """Regression: graphql-core keeps the parse failure of a variable as `original_error`,
    which was masked as INTERNAL_SERVER_ERROR."""
    token = await factories.token_for(await factories.account("ines@example.com"))
    query = "query ($f: DateTime) { enrollments(filter: {from: $f}) { nodes { id } } }"
    result = await gql(client, query, {"f": "next tuesday"}, token)
    assert result.codes == ["BAD_USER_INPUT"]
    assert "$f" in result.errors[0]["message"]


@pytest.mark.parametrize(
    ("document", "variables"),
    [
        (
            'mutation { attachDocument(enrollmentId: "1", kind: INVOICE_COPY, file: "x") { id } }',
            {},
        ),
        (
            "mutation ($f: Upload!) "
            '{ attachDocument(enrollmentId: "1", kind: INVOICE_COPY, file: $f) { id } }',
            {"f": "not a file"},
        ),
    ],
    ids=["literal", "variable"],
)
async def test_an_upload_that_is_not_a_file_part_is_refused_as_bad_input(
    client, document, variables
):
    """Regression found by the fuzzer: a string where a file was expected reached the
    resolver and failed there as INTERNAL_SERVER_ERROR."""
    sophie = await factories.account("sophie.staff@espace.example", is_staff=True)
    result = await gql(client, document, variables, await factories.token_for(sophie))
    assert result.data is None
    assert result.codes == ["BAD_USER_INPUT"]
    assert "multipart" in result.errors[0]["message"]
