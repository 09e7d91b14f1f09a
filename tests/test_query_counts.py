"""The enrollment history costs a fixed number of SQL queries and Oso calls, whatever the page
size. A regression here (a query per row, a policy call per row) fails CI long
before anyone notices a slow dashboard. Counts, never timings.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest

from models.documents import Document
from models.enrollments import Enrollment
from models.enums import AccessRole, DocumentKind
from policies.engine import Policy
from settings import get_settings
from tests import factories
from tests.graphql import gql
from tests.policy_oracle import visible_kinds
from tests.sql_counter import counting_sql

QUERY = """
query Page($first: Int) {
  enrollments(first: $first) {
    totalCount
    edges { node {
      id reference status channel registrantEmail registrantName establishmentId seats
      listPriceTotal netPriceTotal discountSource invoicedTotal bookedAt expectedValidationBy
      validatedAt cancelledAt cancelReason courseCode courseTitle
      documents { id kind }
      visibleDocumentKinds
      trainingAgreement { id }
    } }
  }
}
"""

MAX_RESOLVER_QUERIES = 4


async def _history(site: Any, rows: int, prefix: str = "QC") -> None:
    """`rows` enrollments of `site`, each with all eight documents, in a few bulk inserts."""
    session = await factories.course_session()
    start = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    await Enrollment.bulk_create(
        [
            Enrollment(
                reference=f"{prefix}-{n:05d}",
                session=session,
                establishment=site,
                registrant_email=f"buyer{n % 7}@example.com",
                channel="WEB",
                status="VALIDATED",
                seats=1,
                list_price_total=Decimal("900.00"),
                net_price_total=Decimal("900.00"),
                booked_at=start + timedelta(hours=n),
                expected_validation_by=start + timedelta(hours=n + 24),
            )
            for n in range(rows)
        ],
        batch_size=500,
    )
    ids = await Enrollment.filter(establishment=site).values_list("id", flat=True)
    await Document.bulk_create(
        [
            Document(
                enrollment_id=i,
                kind=kind.value,
                filename=f"{i}-{kind.value.lower()}.pdf",
                size=100,
                checksum="0" * 64,
            )
            for i in ids
            for kind in DocumentKind
        ],
        batch_size=1000,
    )


async def _costs(token: str, first: int) -> tuple[int, int, dict[str, Any]]:
    """(SQL queries run by the resolvers, Oso engine calls, data) of one page request, on an
    app with a fresh policy so that nothing is served from a previous request's cache."""
    from server import create_app

    policy = Policy()
    app = create_app(get_settings(), policy, manage_database=False)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        with counting_sql() as lookup:  # the session and viewer lookup every request pays
            assert (await gql(client, "{ __typename }", token=token)).ok()
        with counting_sql() as sql:
            result = await gql(client, QUERY, {"first": first}, token=token)
    data = result.ok()
    return len(sql.statements) - len(lookup.statements), policy.calls, data


@pytest.mark.parametrize("role", [AccessRole.ADMIN, AccessRole.STANDARD])
async def test_a_page_costs_the_same_queries_and_policy_calls_at_any_size(
    role: AccessRole,
) -> None:
    site = await factories.establishment(name="Acme Paris")
    viewer = await factories.account("claire@acme.example")
    kinds = [DocumentKind.INVOICE_COPY, DocumentKind.TRAINING_AGREEMENT]
    await factories.access(viewer, site, role, kinds=kinds)
    await _history(site, 1000)
    token = await factories.token_for(viewer)

    costs = {}
    for first in (10, 50, 100):
        sql, oso, data = await _costs(token, first)
        page = data["enrollments"]
        assert page["totalCount"] == 1000
        assert len(page["edges"]) == first
        node = page["edges"][0]["node"]
        expected = 8 if role == AccessRole.ADMIN else 2
        assert len(node["documents"]) == expected
        assert node["trainingAgreement"] is not None
        costs[first] = (sql, oso)

    assert costs[10] == costs[50] == costs[100], costs
    sql, oso = costs[10]
    assert 1 <= sql <= MAX_RESOLVER_QUERIES, costs
    assert oso >= 1, costs  # the policy really was asked (fresh engine, cold cache)


async def test_a_warm_policy_answers_pages_without_asking_oso_again() -> None:
    from server import create_app

    site = await factories.establishment()
    samuel = await factories.account("samuel@acme.example")
    await factories.access(samuel, site, AccessRole.STANDARD, kinds=[DocumentKind.EVALUATION])
    await _history(site, 30)
    token = await factories.token_for(samuel)
    policy = Policy()
    app = create_app(get_settings(), policy, manage_database=False)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        assert (await gql(client, QUERY, {"first": 20}, token=token)).ok()
        cold = policy.calls
        data = (await gql(client, QUERY, {"first": 20}, token=token)).ok()
    assert cold >= 1
    # Nothing is asked again: the page size needs no decision, the filters are cached.
    assert policy.calls == cold
    # The page shows what the policy lets Samuel read (every kind exists on every row).
    node = data["enrollments"]["edges"][0]["node"]
    enrollment = await Enrollment.get(reference=node["reference"])
    allowed = await visible_kinds(Policy(), "samuel@acme.example", enrollment.id)
    assert "EVALUATION" in allowed  # the kind his access lists
    assert sorted(d["kind"] for d in node["documents"]) == allowed


async def test_plain_fields_of_a_page_are_read_without_a_resolver_call(monkeypatch) -> None:
    """The executor reads every scalar of a page directly (`performance.executor`): graphql-core's
    per-field path (a resolve info per field) runs only for fields with code of their own or
    an object type. If a Strawberry upgrade or a new field middleware silently turned the
    fast path off, the page would cost several times more and this would fail."""
    from graphql import get_named_type, is_leaf_type

    from performance.executor import EspaceExecutor
    from server import create_app

    site = await factories.establishment()
    claire = await factories.account("claire@acme.example")
    await factories.access(claire, site, AccessRole.ADMIN)
    await _history(site, 40)
    token = await factories.token_for(claire)

    resolved: list[str] = []
    build_resolve_info = EspaceExecutor.build_resolve_info

    def counting(self: Any, field: Any, nodes: Any, parent: Any, path: Any) -> Any:
        if is_leaf_type(get_named_type(field.type)):
            resolved.append(f"{parent.name}.{nodes[0].name.value}")
        return build_resolve_info(self, field, nodes, parent, path)

    monkeypatch.setattr(EspaceExecutor, "build_resolve_info", counting)
    app = create_app(get_settings(), Policy(), manage_database=False)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        data = (await gql(client, QUERY, {"first": 40}, token=token)).ok()

    assert len(data["enrollments"]["edges"]) == 40
    # Only `totalCount`, which has code of its own (the count, run only when selected).
    assert resolved == ["EnrollmentConnection.totalCount"]


SCREEN = """
query Screen($first: Int, $site: ID) {
  enrollments(first: $first, filter: {establishmentId: $site}) {
    edges { node { id reference status documents { kind } visibleDocumentKinds } }
    pageInfo { hasNextPage endCursor }
  }
}
"""
COUNTED = SCREEN.replace("pageInfo {", "totalCount pageInfo {")


async def _statements(
    client: httpx.AsyncClient, query: str, variables: dict[str, Any], token: str
) -> list[str]:
    """The SQL statements of one whole request (the caller's lookup included)."""
    with counting_sql() as sql:
        assert (await gql(client, query, variables, token=token)).ok()
    return sql.statements


async def test_a_page_is_counted_only_when_total_count_is_selected(client) -> None:
    site = await factories.establishment()
    claire = await factories.account("claire@acme.example")
    await factories.access(claire, site, AccessRole.ADMIN)
    await _history(site, 30)
    token = await factories.token_for(claire)
    variables = {"first": 10, "site": str(site.id)}

    turning = await _statements(client, SCREEN, variables, token)
    assert not [s for s in turning if "COUNT(" in s.upper()], turning
    counted = await _statements(client, COUNTED, variables, token)
    counts = [s for s in counted if "COUNT(" in s.upper()]
    assert len(counts) == 1, counted
    # The count reads the enrollment table alone: none of the page's joins or CASE columns.
    assert " JOIN " not in counts[0] and " CASE " not in counts[0], counts[0]
    assert (await gql(client, COUNTED, variables, token=token)).ok()["enrollments"][
        "totalCount"
    ] == 30


async def test_a_screen_of_rows_costs_the_same_statements_whatever_the_sizes(client) -> None:
    """A whole request for a 10-row page (the caller's session, account and accesses
    included): the same few statements for a small and a large establishment, for 10 and 100
    rows. One statement identifies the caller, one reads the page, one its documents."""
    small, large = await factories.establishment(), await factories.establishment()
    claire = await factories.account("claire@acme.example")
    await factories.access(claire, small, AccessRole.ADMIN)
    await factories.access(claire, large, AccessRole.STANDARD, kinds=[DocumentKind.INVOICE_COPY])
    await _history(small, 12, "S")
    await _history(large, 400, "L")
    token = await factories.token_for(claire)

    costs = {}
    for site in (small, large):
        for first in (10, 100):
            statements = await _statements(
                client, SCREEN, {"first": first, "site": str(site.id)}, token
            )
            costs[(site.id, first)] = len(statements)
    assert set(costs.values()) == {3}, costs
