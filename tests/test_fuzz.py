"""Fuzzing with schemathesis in GraphQL mode against a live server: every query and mutation of
the committed `schema.graphql`, with generated arguments, once anonymous and once with each
persona's token. No answer may be a 5xx, break the GraphQL response format, or carry an error
code outside the API contract.

Bounded: `FUZZ_EXAMPLES` generated requests per operation and persona (default 8), so it runs
with the rest of the suite; raise it locally for a longer hunt.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import graphql
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st

from commands.schema_sdl import SDL_PATH
from models.enums import AccessRole, DocumentKind, EnrollmentStatus
from tests import factories
from tests.live_server import LiveServer, live_server

pytestmark = pytest.mark.slow

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "8"))
CONTRACT_CODES = {
    "UNAUTHENTICATED",
    "FORBIDDEN",
    "NOT_FOUND",
    "BAD_USER_INPUT",
    "CONFLICT",
    "RATE_LIMITED",
    "INTERNAL_SERVER_ERROR",
}
RESPONSE_KEYS = {"data", "errors", "extensions"}


def _string(text: str) -> graphql.StringValueNode:
    return graphql.StringValueNode(value=text)


# Our custom scalars, as literals. A JSON request cannot carry a file: an Upload argument
# gets a string, which the server must refuse as BAD_USER_INPUT (files come in multipart
# requests, see test_e2e). Amounts: decimal strings, mostly valid, sometimes not.
schemathesis.graphql.scalar("Upload", st.text(max_size=20).map(_string))
schemathesis.graphql.scalar(
    "Decimal",
    st.one_of(
        st.decimals(allow_nan=False, allow_infinity=False, places=2).map(str),
        st.decimals(allow_nan=True, allow_infinity=True).map(str),
        st.text(max_size=12),
    ).map(_string),
)
schemathesis.graphql.scalar("JSON", st.text(max_size=20).map(_string))
schema = schemathesis.graphql.from_path(SDL_PATH)
fuzz_settings = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,  # the same requests on every run: CI failures reproduce
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture(scope="module")
def server(database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with live_server(tmp_path_factory.mktemp("fuzz")) as running:
        yield running
    assert "Traceback" not in running.log(), running.log()


@pytest.fixture
async def tokens() -> dict[str, str]:
    """Claire administers Acme Paris, Samuel has invoice copies there, Sophie is staff; Acme
    has a validated enrollment with two documents, so ids in the low range exist."""
    site = await factories.establishment(name="Acme Paris")
    claire = await factories.account("claire@acme.example")
    samuel = await factories.account("samuel@acme.example")
    sophie = await factories.account("sophie.staff@espace.example", is_staff=True)
    await factories.access(claire, site, AccessRole.ADMIN)
    await factories.access(samuel, site, AccessRole.STANDARD, [DocumentKind.INVOICE_COPY])
    enrollment = await factories.enrollment(
        registrant_email=claire.email, site=site, status=EnrollmentStatus.VALIDATED
    )
    await factories.document(enrollment, DocumentKind.INVOICE_COPY)
    await factories.document(enrollment, DocumentKind.TRAINING_AGREEMENT)
    return {
        "admin": await factories.token_for(claire),
        "standard": await factories.token_for(samuel),
        "staff": await factories.token_for(sophie),
    }


def assert_graphql_response(response: Any) -> None:
    """The GraphQL-over-HTTP response format, and our error contract."""
    assert response.status_code < 500, response.text
    body = response.json()
    assert isinstance(body, dict) and body, response.text
    assert set(body) <= RESPONSE_KEYS, body
    if response.status_code == 200:
        assert "data" in body or "errors" in body, body
    errors = body.get("errors")
    if errors is None:
        assert body.get("data") is not None, body
        return
    assert isinstance(errors, list) and errors, body
    for error in errors:
        assert isinstance(error.get("message"), str) and error["message"], error
        for location in error.get("locations") or []:
            assert set(location) == {"line", "column"}, error
        assert all(isinstance(step, str | int) for step in error.get("path") or []), error
        code = (error.get("extensions") or {}).get("code")
        assert code in CONTRACT_CODES, error
        assert code != "INTERNAL_SERVER_ERROR", error  # a fault we must fix, not an answer


def fuzz(case: Any, server: LiveServer, token: str | None) -> None:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    # Not `call_and_validate`: schemathesis counts every GraphQL error as a failure, while a
    # NOT_FOUND for a generated id or a BAD_USER_INPUT for a generated e-mail is the right
    # answer. What must never happen is checked by `assert_graphql_response`.
    response = case.call(base_url=server.graphql_url, headers=headers)
    assert_graphql_response(response)


@schema.parametrize()
@fuzz_settings
def test_fuzz_anonymous(case: Any, server: LiveServer, tokens: dict[str, str]) -> None:
    fuzz(case, server, None)


@schema.parametrize()
@fuzz_settings
def test_fuzz_as_an_establishment_admin(
    case: Any, server: LiveServer, tokens: dict[str, str]
) -> None:
    fuzz(case, server, tokens["admin"])


@schema.parametrize()
@fuzz_settings
def test_fuzz_as_a_standard_access(case: Any, server: LiveServer, tokens: dict[str, str]) -> None:
    fuzz(case, server, tokens["standard"])


@schema.parametrize()
@fuzz_settings
def test_fuzz_as_staff(case: Any, server: LiveServer, tokens: dict[str, str]) -> None:
    fuzz(case, server, tokens["staff"])
