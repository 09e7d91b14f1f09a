"""`performance.executor.EspaceExecutor` answers exactly what graphql-core's standard executor
answers, only cheaper (bench/RESULTS.md): same data, same keys in the same order, same errors.

Every query here runs twice, through `build_schema()` (EspaceExecutor, what the app serves)
and `build_schema(standard_execution=True)` (Strawberry's own executor), with the same
caller, and the two answers are compared as JSON text, so a key out of order is a failure.
A small schema of our own then feeds bad values to plain fields, where EspaceExecutor reads
attributes directly and must hand every failure back to graphql-core. The last tests cover
the executor's own behaviours: the time budget, field middleware.
"""

from __future__ import annotations

import json
import logging
import types
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from enum import Enum
from typing import Any

import pytest
import strawberry
from starlette.requests import Request
from strawberry.extensions import SchemaExtension

import performance.executor
import schema.limits
import services.documents
from models.documents import Document
from models.enrollments import Enrollment, Invoice, Trainee
from models.enums import AccessRole, DocumentKind, EnrollmentStatus
from performance.executor import EspaceExecutor
from performance.operation_cache import ParsedOnce, ValidatedOnce
from policies.engine import Policy
from schema import build_schema
from schema.context import Context, build_context
from schema.limits import operation_limits
from settings import get_settings
from tests import factories
from tests.graphql import gql

# -- running a query through both executors ------------------------------------------------


def _extensions() -> list[type[SchemaExtension]]:
    """The app's extensions (limits, parse and validation caches), as `server` builds them."""
    return [*operation_limits(get_settings()), ParsedOnce, ValidatedOnce]


ESPACE = build_schema(_extensions())
STANDARD = build_schema(_extensions(), standard_execution=True)


def test_the_two_schemas_differ_only_by_their_executor() -> None:
    assert ESPACE.execution_context_class is EspaceExecutor
    assert not issubclass(STANDARD.execution_context_class or object, EspaceExecutor)
    assert ESPACE.as_str() == STANDARD.as_str()


async def _context(policy: Policy, token: str | None) -> Context:
    """The context the app would build for this bearer token (anonymous without one), with a
    fixed request id: it appears in error extensions, which must compare equal."""
    headers = [(b"authorization", f"Bearer {token}".encode())] if token else []
    request = Request(
        {
            "type": "http",
            "method": "POST",
            "path": "/graphql",
            "headers": headers,
            "client": ("203.0.113.7", 50000),
        }
    )
    context = await build_context(request, policy)
    context.request_id = "same-request"
    return context


def _errors(result: Any) -> list[dict[str, Any]]:
    """Message, locations, path and extensions of each error, in the order reported."""
    return [error.formatted for error in result.errors or []]


def assert_same_answer(espace: Any, standard: Any) -> None:
    # JSON text: equal values with keys in another order fail (GraphQL keeps the query's).
    assert json.dumps(espace.data) == json.dumps(standard.data)
    assert json.dumps(_errors(espace)) == json.dumps(_errors(standard))


async def both(
    policy: Policy, query: str, variables: dict[str, Any] | None = None, token: str | None = None
) -> dict[str, Any]:
    """Runs `query` through both executors (a fresh context each, as two requests would get),
    asserts the answers are identical and returns it as JSON values."""
    espace = await ESPACE.execute(
        query, variable_values=variables, context_value=await _context(policy, token)
    )
    standard = await STANDARD.execute(
        query, variable_values=variables, context_value=await _context(policy, token)
    )
    assert_same_answer(espace, standard)
    return {"data": standard.data, "errors": _errors(standard)}


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """Download links are signed with their expiry time: one clock for both runs, so that
    `downloadUrl` compares exactly instead of only for presence."""
    moment = datetime(2027, 2, 1, 9, 30, tzinfo=UTC)
    monkeypatch.setattr(services.documents, "now", lambda: moment)


# -- the data: Acme Lyon's history ----------------------------------------------------------

GRANTED = [DocumentKind.INVOICE_COPY, DocumentKind.TRAINING_AGREEMENT]
PAGE_ROWS = 45


@dataclass
class Acme:
    site_id: int
    claire: str  # token of Claire, ADMIN of Acme Lyon
    bruno: str  # token of Bruno, STANDARD on Acme Lyon with GRANTED kinds only
    hidden_id: int  # an enrollment of another company, in nobody's history here
    individual_id: int  # Bruno's own enrollment as an individual (all kinds visible to him)


async def _seed() -> Acme:
    site = await factories.establishment(name="Acme Lyon")
    claire = await factories.account("claire@acme.example", full_name="Claire Martin")
    bruno = await factories.account("bruno@acme.example", full_name="Bruno Petit")
    await factories.access(claire, site, AccessRole.ADMIN)
    await factories.access(bruno, site, AccessRole.STANDARD, kinds=GRANTED)
    sessions = [await factories.course_session(code=f"MGT-{n}") for n in range(3)]
    start = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)
    statuses = list(EnrollmentStatus)
    await Enrollment.bulk_create(
        [
            Enrollment(
                reference=f"ACME-{n:04d}",
                session=sessions[n % 3],
                establishment=site,
                registrant_email=f"buyer{n % 4}@acme.example",
                registrant_name=f"Buyer {n % 4}" if n % 5 else "",
                channel=["WEB", "PHONE", "EMAIL"][n % 3],
                status=statuses[n % len(statuses)].value,
                seats=1 + n % 3,
                list_price_total=Decimal("900.00") * (1 + n % 3),
                net_price_total=Decimal("855.50") * (1 + n % 3),
                discount_source="FRAMEWORK_AGREEMENT" if n % 4 == 0 else "NONE",
                invoiced_total=Decimal("100.25") if n % 6 == 0 else Decimal("0"),
                booked_at=start + timedelta(hours=7 * n),
                expected_validation_by=start + timedelta(hours=7 * n + 24),
                validated_at=start + timedelta(hours=7 * n + 3) if n % 2 else None,
                cancelled_at=start + timedelta(days=n) if n % 7 == 3 else None,
                cancel_reason="Budget frozen" if n % 7 == 3 else "",
            )
            for n in range(PAGE_ROWS)
        ]
    )
    rows = await Enrollment.filter(establishment=site).order_by("id")
    # Several kinds on many rows, every kind on the first; the bytes are never read here.
    await Document.bulk_create(
        [
            Document(
                enrollment=row,
                kind=kind.value,
                filename=f"{row.reference}-{kind.value.lower()}.pdf",
                size=1000 + i,
                checksum=f"{i:064x}",
                generated=kind == DocumentKind.TRAINING_AGREEMENT,
            )
            for i, row in enumerate(rows)
            for kind in (list(DocumentKind) if i == 0 else list(DocumentKind)[i % 3 :: 2])
        ]
    )
    for row in rows[:6]:
        await Trainee.create(enrollment=row, first_name="Ana", last_name="Lopez")
        await Trainee.create(
            enrollment=row, first_name="Yves", last_name="Roux", email="yves@acme.example"
        )
    for n, row in enumerate(rows[:4]):
        await Invoice.create(
            enrollment=row,
            number=f"F-ACME-{n}",
            amount=Decimal("900.00"),
            loyalty_discount_percent=Decimal("5.00") if n % 2 else Decimal("0"),
            loyalty_discount_amount=Decimal("45.00") if n % 2 else Decimal("0"),
            total=Decimal("855.00") if n % 2 else Decimal("900.00"),
            is_final=n == 3,
        )
    individual = await factories.enrollment(registrant_email=bruno.email)
    for kind in (DocumentKind.EVALUATION, DocumentKind.INVOICE_COPY):
        await factories.document(individual, kind)
    hidden = await factories.enrollment(
        registrant_email="someone@elsewhere.example", site=await factories.establishment()
    )
    return Acme(
        site.id,
        await factories.token_for(claire),
        await factories.token_for(bruno),
        hidden.id,
        individual.id,
    )


def _nodes(answer: dict[str, Any]) -> list[dict[str, Any]]:
    return answer["data"]["enrollments"]["nodes"]


# -- 1. the real schema: same answers --------------------------------------------------------

ENROLLMENT_SCALARS = """
  id reference status channel registrantEmail registrantName establishmentId seats
  listPriceTotal netPriceTotal discountSource invoicedTotal bookedAt expectedValidationBy
  validatedAt cancelledAt cancelReason courseCode courseTitle visibleDocumentKinds
"""
DOCUMENT_SCALARS = "id kind filename contentType size checksum createdAt enrollmentId generated"

PAGE = (
    "query Page($first: Int, $filter: EnrollmentFilter) {"
    " enrollments(first: $first, filter: $filter) { totalCount"
    " pageInfo { hasNextPage endCursor }"
    " edges { cursor node {"
    + ENROLLMENT_SCALARS
    + " documents { "
    + DOCUMENT_SCALARS
    + " downloadUrl }"
    " } } } }"
)


@pytest.mark.parametrize("who", ["claire", "bruno"])
async def test_a_page_of_every_scalar_is_the_same_for_an_admin_and_a_standard_access(
    policy: Policy, who: str
) -> None:
    acme = await _seed()
    token = getattr(acme, who)
    variables = {"first": 100, "filter": {"establishmentId": str(acme.site_id)}}
    answer = await both(policy, PAGE, variables, token)

    edges = answer["data"]["enrollments"]["edges"]
    assert len(edges) == PAGE_ROWS
    kinds = {k for edge in edges for d in edge["node"]["documents"] for k in [d["kind"]]}
    if who == "bruno":  # the standard access sees only the kinds granted to it
        assert kinds == {k.value for k in GRANTED}
    else:
        assert kinds == {k.value for k in DocumentKind}
    assert all(d["downloadUrl"] for e in edges for d in e["node"]["documents"])


async def test_the_whole_history_without_a_filter_includes_bruno_s_own_enrollment(
    policy: Policy,
) -> None:
    acme = await _seed()
    answer = await both(policy, PAGE, {"first": 100}, acme.bruno)
    nodes = [edge["node"] for edge in answer["data"]["enrollments"]["edges"]]
    own = next(n for n in nodes if n["id"] == str(acme.individual_id))
    assert own["establishmentId"] is None
    assert sorted(d["kind"] for d in own["documents"]) == ["EVALUATION", "INVOICE_COPY"]


QUERIES: dict[str, str] = {
    "nodes and edges": """
      { enrollments(first: 40) {
          nodes { id reference }
          totalCount
          edges { cursor node { reference id } }
          nodes { seats }
      } }""",
    "aliases interleaved with resolver fields": """
      { enrollments(first: 40) { nodes {
          first: reference
          id
          agreement: trainingAgreement { id kind }
          second: reference
          status
          docs: documents { size kind }
          kinds: visibleDocumentKinds
          invoiceCopy { filename }
          seats
          alsoDocs: documents { id }
          registrantName
      } } }""",
    "fragments and inline fragments": """
      fragment Doc on Document { id kind __typename }
      fragment Row on Enrollment { status id ...Kinds }
      fragment Kinds on Enrollment { visibleDocumentKinds }
      { enrollments(first: 40) {
          __typename
          nodes {
            reference
            ...Row
            ... on Enrollment { documents { ...Doc filename } seats }
            ... { courseTitle reference }
            __typename
          }
      } }""",
    "__typename at every level": """
      { __typename
        enrollments(first: 35) { __typename pageInfo { __typename hasNextPage }
          edges { __typename node { __typename id documents { __typename } } } } }""",
    "per-kind documents": """
      { enrollments(first: 50) { nodes {
          reference
          invoiceCopy { id kind filename downloadUrl }
          trainingAgreement { id createdAt }
          attendanceSheet { id }
          evaluation { id size }
          certificateOfAttendance { id generated }
          fundingApproval { id }
          purchaseOrder { checksum }
          signedQuote { id }
      } } }""",
    "session, trainees, invoices and postponement": """
      { enrollments(first: 40) { nodes {
          id
          session { id startsOn endsOn city capacity seatsLeft }
          trainees { firstName lastName email }
          invoices { id number amount loyaltyDiscountPercent loyaltyDiscountAmount total
                     final issuedAt }
          pendingPostponement { id status }
          courseCode
      } } }""",
    "me and the catalog": """
      { me { id email emailVerified fullName kind language isStaff isTrainingManager
             createdAt phone }
        courses { id code title summary durationDays listPrice
                  sessions { id startsOn city capacity seatsLeft }
                  price { listPrice netPrice discountPercent discountSource
                          pricesUpdatedAt } } }""",
    "a record out of reach and a malformed id": """
      query ($hidden: ID!) {
        hidden: enrollment(id: $hidden) { id reference }
        malformed: enrollment(id: "not-a-number") { id }
        courses { code }
      }""",
    "a page too large": "{ courses { code } enrollments(first: 5000) { totalCount } }",
}


@pytest.mark.parametrize("name", list(QUERIES))
@pytest.mark.parametrize("who", ["claire", "bruno", "signed out"])
async def test_every_kind_of_query_gets_the_same_answer_from_both_executors(
    policy: Policy, name: str, who: str
) -> None:
    acme = await _seed()
    token = {"claire": acme.claire, "bruno": acme.bruno, "signed out": None}[who]
    answer = await both(policy, QUERIES[name], {"hidden": str(acme.hidden_id)}, token)
    # Neither executor may agree on an empty answer by accident.
    assert answer["data"] is not None or answer["errors"]
    if who == "signed out" and "enrollments" in QUERIES[name]:
        assert "UNAUTHENTICATED" in {e["extensions"]["code"] for e in answer["errors"]}


async def test_the_errors_of_a_record_out_of_reach_and_of_a_malformed_id(policy: Policy) -> None:
    acme = await _seed()
    answer = await both(
        policy,
        QUERIES["a record out of reach and a malformed id"],
        {"hidden": str(acme.hidden_id)},
        acme.claire,
    )
    codes = {tuple(e["path"]): e["extensions"]["code"] for e in answer["errors"]}
    assert codes == {("hidden",): "NOT_FOUND", ("malformed",): "BAD_USER_INPUT"}
    assert answer["data"]["hidden"] is None and answer["data"]["courses"]


SKIP_INCLUDE = """
query ($docs: Boolean!, $noRef: Boolean!, $kinds: Boolean!) {
  enrollments(first: 40) {
    totalCount @skip(if: $docs)
    nodes {
      id
      reference @skip(if: $noRef)
      documents @include(if: $docs) { id kind }
      ... @include(if: $kinds) { visibleDocumentKinds invoiceCopy { id } }
      status
      reference @include(if: $kinds)
    }
  }
}
"""


@pytest.mark.parametrize("docs", [True, False])
@pytest.mark.parametrize("no_ref", [True, False])
@pytest.mark.parametrize("kinds", [True, False])
async def test_skip_and_include_give_the_same_selection(
    policy: Policy, docs: bool, no_ref: bool, kinds: bool
) -> None:
    acme = await _seed()
    variables = {"docs": docs, "noRef": no_ref, "kinds": kinds}
    answer = await both(policy, SKIP_INCLUDE, variables, acme.bruno)
    first = _nodes(answer)[0]
    assert ("documents" in first) is docs
    assert ("reference" in first) is (kinds or not no_ref)


async def test_the_same_selection_reached_twice_merges_in_first_seen_order(
    policy: Policy,
) -> None:
    acme = await _seed()
    query = """
      { enrollments(first: 40) { nodes {
          documents { id } status ... on Enrollment { reference documents { kind } } id status
      } } }"""
    answer = await both(policy, query, token=acme.claire)
    assert list(_nodes(answer)[0]) == ["documents", "status", "reference", "id"]
    assert list(_nodes(answer)[0]["documents"][0]) == ["id", "kind"]


# -- 2. plain fields holding bad values --------------------------------------------------------


class Color(Enum):
    RED = "red"
    GREEN = "green"


strawberry.enum(Color)


@strawberry.type
class Item:
    name: str
    note: str | None
    count: int
    color: Color
    colors: list[Color]
    tags: list[str]
    ok: bool

    @strawberry.field
    def label(self) -> str:
        return f"label of {getattr(self, 'name', '?')}"

    @strawberry.field
    def strict_label(self) -> str:
        return f"label of {self.name}"

    @strawberry.field
    def boom(self) -> str | None:
        raise ValueError("boom")


@strawberry.type
class Box:
    """`item` is non-null: a null inside it bubbles up to `Box`'s nullable parent."""

    title: str
    item: Item


GOOD: dict[str, Any] = {
    "name": "widget",
    "note": None,
    "count": 3,
    "color": Color.RED,
    "colors": [Color.GREEN, Color.RED],
    "tags": ["a", "b"],
    "ok": True,
}

BAD_VALUES: dict[str, dict[str, Any]] = {
    "none in a non-null str": {"name": None},
    "an int in a str": {"name": 42},
    "a bool in a str": {"name": False},
    "a float in a str": {"name": 1.5},
    "a str in an int": {"count": "three"},
    "a numeric str in an int": {"count": "3"},
    "a float in an int": {"count": 2.5},
    "a whole float in an int": {"count": 2.0},
    "a bool in an int": {"count": True},
    "an int out of range": {"count": 2**31},
    "a negative int out of range": {"count": -(2**31) - 1},
    "an int in a bool": {"ok": 1},
    "a str in a bool": {"ok": "yes"},
    "a bad enum value": {"color": "BLUE"},
    "an enum's raw value": {"color": "red"},
    "an enum's name": {"color": "RED"},
    "none in an enum": {"color": None},
    "a list of enums with None": {"colors": [Color.RED, None]},
    "a list of enums with a bad value": {"colors": [Color.RED, "BLUE"]},
    "None for a list": {"colors": None},
    "an int for a list": {"tags": 7},
    "a tuple for a list": {"tags": ("x", "y")},
    "a set of one for a list": {"tags": {"only"}},
    "an int in a list of str": {"tags": ["a", 5]},
    "None in a list of str": {"tags": ["a", None]},
    "an int in a nullable str": {"note": 12},
    "an object in a nullable str": {"note": object()},
    "a list in a str": {"name": ["x"]},
    "an object in a str": {"name": object()},
}
# Values graphql-core serializes without an error (`str(42)`, `int("3")`, ...).
ACCEPTED = {
    "an int in a str",
    "a bool in a str",
    "a float in a str",
    "a numeric str in an int",
    "a whole float in an int",
    "a bool in an int",
    "an enum's raw value",
    "a tuple for a list",
    "a set of one for a list",
    "an int in a nullable str",
    "an int in a bool",
    "an int in a list of str",
}
MISSING: dict[str, list[str]] = {
    "a missing str": ["name"],
    "a missing nullable str": ["note"],
    "a missing enum list": ["colors"],
    "every attribute missing": list(GOOD),
}


def _item(case: str | None) -> types.SimpleNamespace:
    values = dict(GOOD)
    if case in BAD_VALUES:
        values.update(BAD_VALUES[case])
    for attribute in MISSING.get(case or "", []):
        del values[attribute]
    return types.SimpleNamespace(**values)


@strawberry.type
class Query:
    @strawberry.field
    def item(self, case: str | None = None) -> Item | None:
        return _item(case)  # type: ignore[return-value]

    @strawberry.field
    def box(self, case: str | None = None) -> Box | None:
        return types.SimpleNamespace(title="box", item=_item(case))  # type: ignore[return-value]

    @strawberry.field
    def items(self, size: int, bad: list[int], case: str) -> list[Item] | None:
        return [_item(case if i in bad else None) for i in range(size)]  # type: ignore[misc]

    @strawberry.field
    def maybe_items(self, size: int, bad: list[int], case: str) -> list[Item | None]:
        return [_item(case if i in bad else None) for i in range(size)]  # type: ignore[misc]

    @strawberry.field
    async def later_items(self, size: int, bad: list[int], case: str) -> list[Item] | None:
        return [_item(case if i in bad else None) for i in range(size)]  # type: ignore[misc]


OWN_ESPACE = strawberry.Schema(query=Query, execution_context_class=EspaceExecutor)
OWN_STANDARD = strawberry.Schema(query=Query)

ITEM_FIELDS = "name note count color colors tags ok"
CASES = [*BAD_VALUES, *MISSING]


async def own_both(query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    espace = await OWN_ESPACE.execute(query, variable_values=variables)
    standard = await OWN_STANDARD.execute(query, variable_values=variables)
    assert_same_answer(espace, standard)
    return {"data": standard.data, "errors": _errors(standard)}


async def test_good_plain_values_are_read_the_same() -> None:
    answer = await own_both("{ item { label " + ITEM_FIELDS + " } }")
    assert answer == {
        "data": {
            "item": {
                "label": "label of widget",
                "name": "widget",
                "note": None,
                "count": 3,
                "color": "RED",
                "colors": ["GREEN", "RED"],
                "tags": ["a", "b"],
                "ok": True,
            }
        },
        "errors": [],
    }


@pytest.mark.parametrize("case", CASES)
async def test_a_bad_plain_value_gets_the_standard_answer_and_error(case: str) -> None:
    answer = await own_both(
        "query ($case: String) { item(case: $case) { " + ITEM_FIELDS + " } }", {"case": case}
    )
    # Also in another order, with aliases and a resolver field between them.
    await own_both(
        "query ($case: String) { item(case: $case) { ok again: tags label colors n: name"
        " count note color name } }",
        {"case": case},
    )
    # Neither executor may agree on "no error" by accident (or report one for a good value).
    assert bool(answer["errors"]) is (case not in ACCEPTED), answer


@pytest.mark.parametrize(
    "case", ["none in a non-null str", "a str in an int", "a bad enum value", "a missing str"]
)
async def test_a_null_in_a_non_null_plain_field_bubbles_to_the_nearest_nullable_parent(
    case: str,
) -> None:
    answer = await own_both(
        "query ($case: String) { box(case: $case) { title item { name count color } } }",
        {"case": case},
    )
    assert answer["data"] == {"box": None}
    [error] = answer["errors"]
    assert error["path"][:2] == ["box", "item"]


@pytest.mark.parametrize("field", ["items", "maybeItems", "laterItems"])
@pytest.mark.parametrize(
    "case", ["none in a non-null str", "an int out of range", "a list of enums with None"]
)
async def test_a_few_bad_items_of_a_list_of_40_get_the_standard_answer(
    field: str, case: str
) -> None:
    query = (
        "query ($bad: [Int!]!, $case: String!) { "
        + field
        + "(size: 40, bad: $bad, case: $case) { label "
        + ITEM_FIELDS
        + " } }"
    )
    answer = await own_both(query, {"bad": [3, 17, 39], "case": case})
    if field == "maybeItems":  # nullable items: only the bad ones are null
        items = answer["data"]["maybeItems"]
        assert [i for i, item in enumerate(items) if item is None] == [3, 17, 39]
    else:  # non-null items: the whole list is null
        assert answer["data"] == {field: None}
    assert answer["errors"]
    # And the good list, for completeness.
    good = await own_both(query, {"bad": [], "case": case})
    assert len(good["data"][field]) == 40 and not good["errors"]


@pytest.mark.parametrize("value", ["abc", {"a": 1}])
async def test_a_string_or_a_mapping_in_a_list_field_is_not_a_list(value: Any) -> None:
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(BAD_VALUES, "not a list", {"tags": value})
        answer = await own_both('{ item(case: "not a list") { name tags } }')
    assert answer["data"] == {"item": None}


async def test_errors_of_plain_fields_and_resolvers_are_reported_in_query_order() -> None:
    answer = await own_both('{ item(case: "an object in a nullable str") { note boom } }')
    assert [e["path"] for e in answer["errors"]] == [["item", "note"], ["item", "boom"]]


async def test_the_first_failing_non_null_field_is_the_one_reported() -> None:
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(MISSING, "no name", ["name"])
        answer = await own_both('{ item(case: "no name") { name strictLabel } }')
    assert [e["path"] for e in answer["errors"]] == [["item", "name"]]


# -- 3. the time budget ------------------------------------------------------------------------


class _TickingClock:
    """Stands for the `time` module in `performance.executor`: `monotonic` advances one second per
    call, so the budget runs out after a known number of checks whatever the machine."""

    def __init__(self) -> None:
        self.ticks = 0.0
        self.perf_counter = __import__("time").perf_counter

    def monotonic(self) -> float:
        self.ticks += 1.0
        return self.ticks


def _budget_errors(result: Any) -> list[dict[str, Any]]:
    return [e for e in result.errors if "budget" in e["message"]]


async def test_a_budget_spent_before_execution_answers_null_data_and_bad_user_input(
    client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    acme = await _seed()
    monkeypatch.setattr(schema.limits, "TIME_BUDGET_SECONDS", -1.0)
    result = await gql(client, "{ enrollments(first: 40) { nodes { id } } }", token=acme.claire)
    assert result.status_code == 200
    assert result.data is None
    assert result.codes == ["BAD_USER_INPUT"]
    assert result.errors[0]["extensions"]["timeBudgetSeconds"] == -1.0


async def test_a_budget_running_out_in_the_middle_of_a_long_page_is_bad_user_input_not_a_crash(
    client: Any, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    acme = await _seed()
    clock = _TickingClock()
    monkeypatch.setattr(performance.executor, "time", clock)
    # 60 checks: the root field, the page, and a few of its 45 rows.
    monkeypatch.setattr(schema.limits, "TIME_BUDGET_SECONDS", 60.0)
    query = "{ enrollments(first: 100) { totalCount nodes { id reference invoiceCopy { id } } } }"
    with caplog.at_level(logging.ERROR):
        result = await gql(client, query, token=acme.claire)

    assert result.status_code == 200
    assert clock.ticks > 61  # the clock was read after the budget ran out
    assert result.data is None  # `nodes` is [Enrollment!]!: a null row nulls the page
    assert set(result.codes) == {"BAD_USER_INPUT"}
    assert result.errors == _budget_errors(result)
    stopped_at = [e["path"] for e in result.errors]
    assert all(path[:2] == ["enrollments", "nodes"] for path in stopped_at)
    # Stopped in the middle: neither on the first row nor on the whole page.
    assert 0 < stopped_at[0][2] < PAGE_ROWS - 1
    assert "Traceback" not in caplog.text and not caplog.records


async def test_a_budget_running_out_in_a_list_of_nullable_items_nulls_the_rest_only() -> None:
    clock = _TickingClock()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(performance.executor, "time", clock)
        patch.setattr(schema.limits, "TIME_BUDGET_SECONDS", 30.0)
        result = await OWN_ESPACE.execute(
            '{ maybeItems(size: 100, bad: [], case: "") { name label } }'
        )
    items = (result.data or {})["maybeItems"]
    assert len(items) == 100
    done = [item is not None for item in items]
    # The first rows answered, then each row after the budget is null with its error.
    assert done[0] and not done[-1] and done == sorted(done, reverse=True)
    assert {e.extensions["code"] for e in result.errors or []} == {"BAD_USER_INPUT"}
    assert len(result.errors or []) >= done.count(False)


# -- 4. field middleware sees every field ------------------------------------------------------


@strawberry.type
class Row:
    a: str
    b: int
    c: bool
    d: str | None
    e: list[str]


@strawberry.type
class Rows:
    @strawberry.field
    def rows(self) -> list[Row]:
        return [Row(a=f"row {i}", b=i, c=i % 2 == 0, d=None, e=["x", "y"]) for i in range(1000)]


def counting_extension(seen: list[tuple[str, ...]]) -> type[SchemaExtension]:
    class CountFields(SchemaExtension):
        """A field middleware: records the path of every field resolved."""

        def resolve(self, _next: Any, root: Any, info: Any, *args: Any, **kwargs: Any) -> Any:
            seen.append(tuple(str(key) for key in info.path.as_list()))
            return _next(root, info, *args, **kwargs)

    return CountFields


async def test_a_field_middleware_sees_every_field_with_either_executor(policy: Policy) -> None:
    acme = await _seed()
    seen_espace: list[tuple[str, ...]] = []
    seen_standard: list[tuple[str, ...]] = []
    espace = build_schema([counting_extension(seen_espace)])
    standard = build_schema([counting_extension(seen_standard)], standard_execution=True)
    query = QUERIES["aliases interleaved with resolver fields"]
    results = [
        await schema_.execute(query, context_value=await _context(policy, acme.bruno))
        for schema_ in (espace, standard)
    ]
    assert_same_answer(*results)
    assert len(seen_espace) == len(seen_standard) > 40 * 11
    assert sorted(seen_espace) == sorted(seen_standard)
    # Plain fields of the rows are among them (the direct read would have skipped them).
    assert ("enrollments", "nodes", "39", "seats") in seen_espace


async def test_a_field_middleware_on_a_small_schema_sees_every_plain_field() -> None:
    seen_espace: list[tuple[str, ...]] = []
    seen_standard: list[tuple[str, ...]] = []
    espace = strawberry.Schema(
        query=Rows,
        extensions=[counting_extension(seen_espace)],
        execution_context_class=EspaceExecutor,
    )
    standard = strawberry.Schema(query=Rows, extensions=[counting_extension(seen_standard)])
    results = [await s.execute("{ rows { a b e } }") for s in (espace, standard)]
    assert_same_answer(*results)
    assert len(seen_espace) == len(seen_standard) == 1 + 1000 * 3
