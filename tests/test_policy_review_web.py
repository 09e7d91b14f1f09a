"""The policy reviewers' endpoints behind the front end's reviewer page: served in
development (the committed matrix, one decision explained by the engine's trace), absent in
production (404, and the path is never answered with the front end's page)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from models.enums import AccessRole
from policies.engine import Policy
from policies.review.matrix import MATRIX_FILE
from settings import get_settings
from tests import factories


@pytest.fixture
async def prod_client(policy: Policy) -> AsyncIterator[httpx.AsyncClient]:
    from server import create_app

    settings = get_settings().model_copy(update={"environment": "prod"})
    app = create_app(settings, policy, manage_database=False)
    transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="https://espace.test") as client:
        yield client


async def explain(client: httpx.AsyncClient, **question: Any) -> httpx.Response:
    return await client.post("/dev/policy/explain", json=question)


async def test_development_serves_the_committed_matrix(client):
    response = await client.get("/dev/policy/matrix")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/markdown")
    assert response.text == MATRIX_FILE.read_text(encoding="utf-8")


async def test_an_explained_denial_and_an_explained_grant(client):
    site = await factories.establishment(name="Acme Paris")
    admin = await factories.account("admin@acme.example")
    colleague = await factories.account("colleague@acme.example")
    await factories.access(admin, site, AccessRole.ADMIN)
    await factories.access(colleague, site, AccessRole.STANDARD)
    on = f"Establishment:{site.id}"

    denied = await explain(client, email=colleague.email, action="manage_accesses", on=on)
    assert denied.status_code == 200
    assert denied.json()["allowed"] is False
    assert "colleague@acme.example" in denied.json()["text"]
    allowed = await explain(client, email=admin.email, action="manage_accesses", on=on)
    assert allowed.json()["allowed"] is True
    assert ".polar" in allowed.json()["text"]  # the rule that decided, with its file


async def test_a_question_that_cannot_be_asked_is_a_400_saying_why(client):
    site = await factories.establishment()
    unknown = await explain(
        client, email="nobody@example.com", action="read", on=f"Establishment:{site.id}"
    )
    assert unknown.status_code == 400 and "nobody@example.com" in unknown.json()["message"]
    word = await explain(client, email="x@example.com", action="fly", on="Establishment:1")
    assert word.status_code == 400 and "fly" in word.json()["message"]
    malformed = await client.post("/dev/policy/explain", json={"email": "x@example.com"})
    assert malformed.status_code == 400
    form = await client.post(
        "/dev/policy/explain", content=b"{}", headers={"Content-Type": "text/plain"}
    )
    assert form.status_code == 415


async def test_production_serves_neither_the_endpoints_nor_a_page_for_them(prod_client):
    assert (await prod_client.get("/dev/policy/matrix")).status_code == 404
    refused = await explain(prod_client, email="x@example.com", action="read", on="Establishment:1")
    assert refused.status_code in (404, 405)
    page = await prod_client.get("/dev/policy/matrix", headers={"Accept": "text/html"})
    assert "text/html" not in page.headers.get("content-type", "")
