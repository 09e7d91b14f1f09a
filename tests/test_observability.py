"""Structured logs with request ids and no secrets; Prometheus metrics when enabled."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from infra.mail_outbox import queue_mail
from models.enums import AccessRole
from policies.engine import Policy
from services import rate_limits
from settings import get_settings
from tests import factories
from tests.graphql import gql
from web.logs import REDACTED, configure_logging

SIGN_UP = """
mutation SignUp($email: String!, $password: String!) {
  signUp(email: $email, password: $password, fullName: "Inès Martin", kind: INDIVIDUAL) {
    token
  }
}
"""
LOG_IN = """
mutation LogIn($email: String!, $password: String!) {
  logIn(email: $email, password: $password) { token account { email } }
}
"""


@pytest.fixture
def log_lines() -> Iterator[io.StringIO]:
    """Configure JSON logging as the server does, into a buffer; restore afterwards."""
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    saved_loggers = {
        name: (logging.getLogger(name).handlers[:], logging.getLogger(name).propagate)
        for name in ("uvicorn", "uvicorn.error")
    }
    access_disabled = logging.getLogger("uvicorn.access").disabled
    buffer = io.StringIO()
    configure_logging("INFO", stream=buffer)
    yield buffer
    root.handlers, level = saved
    root.setLevel(level)
    for name, (handlers, propagate) in saved_loggers.items():
        logging.getLogger(name).handlers = handlers
        logging.getLogger(name).propagate = propagate
    logging.getLogger("uvicorn.access").disabled = access_disabled


def parsed(buffer: io.StringIO) -> list[dict[str, Any]]:
    """Every line must be one JSON object."""
    return [json.loads(line) for line in buffer.getvalue().splitlines()]


async def test_each_request_logs_json_lines_carrying_its_request_id(client, log_lines):
    first = await client.post("/graphql", json={"query": "{ __typename }"})
    second = await client.get("/healthz")

    lines = parsed(log_lines)
    access = [line for line in lines if line["logger"] == "espace.access"]
    assert [(a["method"], a["path"], a["status"]) for a in access] == [
        ("POST", "/graphql", 200),
        ("GET", "/healthz", 200),
    ]
    assert access[0]["requestId"] == first.headers["x-request-id"]
    assert access[1]["requestId"] == second.headers["x-request-id"]
    assert first.headers["x-request-id"] != second.headers["x-request-id"]


async def test_an_unexpected_error_is_logged_as_json_with_its_request_id(
    client, log_lines, monkeypatch
):
    from services import catalog

    async def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(catalog, "list_courses", broken)
    response = await client.post("/graphql", json={"query": "{ courses { code } }"})
    request_id = response.headers["x-request-id"]

    errors = [line for line in parsed(log_lines) if line["level"] == "ERROR"]
    assert len(errors) == 1
    assert errors[0]["requestId"] == request_id
    assert "disk on fire" in errors[0]["exception"]
    assert response.json()["errors"][0]["extensions"]["requestId"] == request_id


async def test_passwords_and_tokens_never_reach_the_logs(client, log_lines):
    await rate_limits.reset()
    password = "Correct-Horse-Battery-42"
    signed_up = await gql(client, SIGN_UP, {"email": "ines@example.com", "password": password})
    token = signed_up.ok()["signUp"]["token"]
    logged_in = await gql(client, LOG_IN, {"email": "ines@example.com", "password": password})
    second_token = logged_in.ok()["logIn"]["token"]
    wrong = await gql(client, LOG_IN, {"email": "ines@example.com", "password": password + "x"})
    assert wrong.code_at("logIn") == "UNAUTHENTICATED"
    await gql(client, "{ me { email } }", token=token)

    text = log_lines.getvalue()
    assert "POST /graphql" in text  # the requests were logged...
    for secret in (password, password + "x", token, second_token):
        assert secret not in text  # ...without what they carried


def test_secret_looking_fields_passed_to_a_log_call_are_redacted(log_lines):
    logging.getLogger("espace.test").warning(
        "careless call",
        extra={"password": "hunter2", "variables": {"token": "abc", "email": "a@b.example"}},
    )
    (line,) = parsed(log_lines)
    assert line["password"] == REDACTED
    assert line["variables"] == {"token": REDACTED, "email": "a@b.example"}
    assert "hunter2" not in log_lines.getvalue()


# -- metrics -------------------------------------------------------------------------------


@pytest.fixture
async def metrics_client(policy: Policy) -> AsyncIterator[httpx.AsyncClient]:
    from server import create_app

    settings = get_settings().model_copy(update={"metrics_enabled": True})
    app = create_app(settings, policy, manage_database=False)
    transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


async def scrape(client: httpx.AsyncClient) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def value(samples: dict, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


async def test_metrics_are_off_unless_enabled(client):
    assert (await client.get("/metrics")).status_code == 404


async def test_metrics_count_operations_errors_and_denials(metrics_client):
    claire = await factories.account("claire@acme.example")
    samuel = await factories.account("samuel@acme.example")
    site = await factories.establishment()
    await factories.access(claire, site, AccessRole.ADMIN)
    access = await factories.access(samuel, site, AccessRole.STANDARD)
    samuel_token = await factories.token_for(samuel)
    before = await scrape(metrics_client)

    for _ in range(2):
        await gql(metrics_client, "query Catalog { courses { code } }")
    missing = await gql(metrics_client, 'query OneCourse { course(id: "999999") { code } }')
    assert missing.code_at("course") == "NOT_FOUND"
    anonymous = await gql(metrics_client, "query History { enrollments { nodes { id } } }")
    assert anonymous.code_at("enrollments") == "UNAUTHENTICATED"
    # A standard access may not revoke accesses (rule 7).
    revoke = "mutation Revoke($id: ID!) { revokeAccess(accessId: $id) { id } }"
    refused = await gql(metrics_client, revoke, {"id": str(access.id)}, samuel_token)
    assert refused.codes == ["FORBIDDEN"]

    after = await scrape(metrics_client)

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta("espace_graphql_operations_total", operation="Catalog") == 2
    assert delta("espace_graphql_operation_seconds_count", operation="Catalog") == 2
    assert delta("espace_graphql_operations_total", operation="Revoke") == 1
    assert delta("espace_graphql_errors_total", code="NOT_FOUND") == 1
    assert delta("espace_graphql_errors_total", code="UNAUTHENTICATED") == 1
    assert delta("espace_graphql_errors_total", code="FORBIDDEN") == 1
    assert delta("espace_authorization_denials_total", code="FORBIDDEN") == 1
    assert delta("espace_authorization_denials_total", code="UNAUTHENTICATED") == 1


async def test_metrics_report_the_outbox_backlog(metrics_client):
    assert value(await scrape(metrics_client), "espace_outbox_backlog") == 0
    await queue_mail("ines@example.com", "reset_password", link="https://espace.test/reset")
    await queue_mail("bruno@boreal.example", "reset_password", link="https://espace.test/reset")
    assert value(await scrape(metrics_client), "espace_outbox_backlog") == 2


async def test_client_chosen_operation_names_cannot_flood_the_labels(metrics_client):
    result = await gql(metrics_client, "query Weird_Name_1 { __typename }")
    assert result.ok()
    junk = "query " + "A" * 100 + " { __typename }"
    assert (await gql(metrics_client, junk)).ok()
    samples = await scrape(metrics_client)
    assert value(samples, "espace_graphql_operations_total", operation="Weird_Name_1") >= 1
    assert value(samples, "espace_graphql_operations_total", operation="other") >= 1
    assert not any("A" * 100 in str(labels) for _, labels in samples)
