"""Global ids: `node(id:)` and `nodes(ids:)` answer, for every demo persona, exactly what the
type's own query or list answers (same fields, same document-kind nulls), NOT_FOUND for what
the persona cannot read (existence never revealed), BAD_USER_INPUT for a malformed id.

Expectations come from the other queries (`enrollments`, `enrollment(id)`, `document(id)`,
`establishments`, `courses`, `me { accesses }`), never from a list of who may see what."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

import performance.executor
from models.access import Access, Invitation
from models.catalog import Course, CourseSession
from models.companies import Establishment
from models.documents import Document
from models.enrollments import Enrollment, Invoice, PostponementRequest
from schema.node import global_id
from tests.demo_personas import demo_tokens
from tests.graphql import gql

INVOICE = (
    "nodeId id number amount loyaltyDiscountPercent loyaltyDiscountAmount total final issuedAt"
)
POSTPONEMENT = (
    "nodeId id requestedSession { id } message requestStatus: status createdAt answeredAt answer"
)
DOCUMENT = "nodeId id kind filename contentType size checksum createdAt enrollmentId generated"
ENROLLMENT = f"""
  nodeId id reference status channel registrantEmail registrantName establishmentId seats
  listPriceTotal netPriceTotal discountSource invoicedTotal bookedAt expectedValidationBy
  validatedAt cancelledAt cancelReason courseCode courseTitle visibleDocumentKinds updatedAt
  viewerCanCancel viewerCanRequestPostponement
  session {{ nodeId id startsOn city seatsLeft status }}
  documents {{ {DOCUMENT} }}
  invoiceCopy {{ nodeId id }} trainingAgreement {{ nodeId id }} attendanceSheet {{ nodeId id }}
  evaluation {{ nodeId id }} certificateOfAttendance {{ nodeId id }}
  fundingApproval {{ nodeId id }} purchaseOrder {{ nodeId id }} signedQuote {{ nodeId id }}
  trainees {{ firstName lastName }}
  establishment {{ nodeId id name }}
  invoices {{ {INVOICE} }}
  pendingPostponement {{ {POSTPONEMENT} }}
"""
ESTABLISHMENT = "nodeId id siret name address city companyName viewerCanManageAccesses"
ACCESS = (
    "nodeId id role documentKinds createdAt updatedAt account { email } site: establishment { id }"
)
INVITATION = "nodeId id email role documentKinds invitedByEmail createdAt expiresAt"
COURSE = "nodeId id code title summary durationDays listPrice active"
SESSION = (
    "nodeId id startsOn endsOn city capacity seatsLeft sessionStatus: status closedAt cancelledAt"
)

NODE = f"""
query($id: ID!) {{
  node(id: $id) {{
    __typename nodeId id
    ... on Enrollment {{ {ENROLLMENT} }}
    ... on Document {{ {DOCUMENT} }}
    ... on Establishment {{ {ESTABLISHMENT} }}
    ... on Access {{ {ACCESS} }}
    ... on Invitation {{ {INVITATION} }}
    ... on Course {{ {COURSE} }}
    ... on CourseSession {{ {SESSION} }}
    ... on Invoice {{ {INVOICE} }}
    ... on PostponementRequest {{ {POSTPONEMENT} }}
  }}
}}
"""
NODES = NODE.replace("query($id: ID!)", "query($ids: [ID!]!)").replace(
    "node(id: $id)", "nodes(ids: $ids)"
)
PAGE = f"""
query($after: String) {{
  enrollments(first: 100, after: $after) {{
    pageInfo {{ hasNextPage endCursor }}
    nodes {{ {ENROLLMENT} }}
  }}
}}
"""
LISTS = f"""
{{
  establishments {{
    {ESTABLISHMENT}
    accesses {{ {ACCESS} }}
    invitations {{ {INVITATION} }}
  }}
  me {{ accesses {{ {ACCESS} }} }}
  courses(search: "") {{ {COURSE} sessions {{ {SESSION} }} }}
}}
"""
ONE_ENROLLMENT = f"query($id: ID!) {{ enrollment(id: $id) {{ {ENROLLMENT} }} }}"
ONE_DOCUMENT = f"query($id: ID!) {{ document(id: $id) {{ {DOCUMENT} }} }}"


def _without_typename(answer: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in answer.items() if k != "__typename"}


async def _node(client: Any, token: str | None, node_id: str) -> Any:
    return await gql(client, NODE, {"id": node_id}, token=token)


async def _visible(client: Any, token: str) -> dict[str, dict[str, dict[str, Any]]]:
    """What the persona's own queries show, by type and by nodeId."""
    answered = await gql(client, LISTS, token=token)
    assert set(answered.codes) <= {"FORBIDDEN"}  # accesses of a site, for a standard access
    lists = answered.data
    assert lists is not None
    enrollments, after = [], None
    while True:
        page = (await gql(client, PAGE, {"after": after}, token=token)).ok()["enrollments"]
        enrollments += page["nodes"]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    seen: dict[str, dict[str, dict[str, Any]]] = {
        t: {} for t in ("Enrollment", "Document", "Establishment", "Access", "Invitation", "Course")
    }
    seen["CourseSession"] = {}
    seen["Invoice"] = {}
    seen["PostponementRequest"] = {}
    for enrollment in enrollments:
        seen["Enrollment"][enrollment["nodeId"]] = enrollment
        for document in enrollment["documents"]:
            seen["Document"][document["nodeId"]] = document
        for invoice in enrollment["invoices"]:
            seen["Invoice"][invoice["nodeId"]] = invoice
        if enrollment["pendingPostponement"]:
            request = enrollment["pendingPostponement"]
            seen["PostponementRequest"][request["nodeId"]] = request
    for site in lists["establishments"]:
        seen["Establishment"][site["nodeId"]] = {
            k: v for k, v in site.items() if k not in ("accesses", "invitations")
        }
        for access in site["accesses"] or []:
            seen["Access"][access["nodeId"]] = access
        for invitation in site["invitations"] or []:
            seen["Invitation"][invitation["nodeId"]] = invitation
    for access in lists["me"]["accesses"]:
        seen["Access"][access["nodeId"]] = access
    for course in lists["courses"]:
        seen["Course"][course["nodeId"]] = {k: v for k, v in course.items() if k != "sessions"}
        for session in course["sessions"]:
            seen["CourseSession"][session["nodeId"]] = session
    return seen


async def _every_id() -> dict[str, list[int]]:
    models: dict[str, Any] = {
        "Enrollment": Enrollment,
        "Document": Document,
        "Establishment": Establishment,
        "Access": Access,
        "Invitation": Invitation,
        "Course": Course,
        "CourseSession": CourseSession,
        "Invoice": Invoice,
        "PostponementRequest": PostponementRequest,
    }
    return {
        name: list(await model.all().values_list("id", flat=True)) for name, model in models.items()
    }


async def test_node_answers_what_the_lists_answer_and_not_found_otherwise(client):
    tokens = await demo_tokens()
    # The demo has no postponement waiting: one on the first enrollment of an establishment.
    enrollment = await Enrollment.filter(establishment_id__not_isnull=True).order_by("id").first()
    assert enrollment is not None
    await PostponementRequest.create(enrollment=enrollment, message="Later, please.")
    # Nor an invitation waiting: one to the same establishment, by nobody in particular.
    await Invitation.create(
        establishment_id=enrollment.establishment_id,
        email="new.colleague@example.com",
        role="STANDARD",
        document_kinds=["INVOICE_COPY"],
        token_hash="0" * 64,
        expires_at=datetime.now(UTC) + timedelta(days=7),
    )
    every = await _every_id()
    checked = {"seen": 0, "not found": 0}
    seen_types: set[str] = set()
    for name, token in tokens.items():
        seen = await _visible(client, token)
        assert seen["Course"] and seen["CourseSession"]
        for type_name, numbers in every.items():
            for start in range(0, len(numbers), 100):
                chunk = numbers[start : start + 100]
                ids = [global_id(type_name, number) for number in chunk]
                answer = await gql(client, NODES, {"ids": ids}, token=token)
                assert answer.data is not None, answer.errors[:2]
                for index, (number, node_id) in enumerate(zip(chunk, ids, strict=True)):
                    node = answer.data["nodes"][index]
                    code = answer.code_at("nodes", index)
                    where = (name, type_name, number)
                    if node_id in seen[type_name]:
                        assert code is None and node is not None, where
                        assert (node["__typename"], node["id"]) == (type_name, str(number))
                        expected = seen[type_name][node_id]
                        assert {k: node[k] for k in expected} == expected, where
                        checked["seen"] += 1
                        seen_types.add(type_name)
                    elif type_name == "Access":
                        # Accesses show in establishments' lists and in `me`: any other is
                        # NOT_FOUND, or shown as the policy's `read` of accesses allows.
                        assert code in ("NOT_FOUND", None), where
                    else:
                        # The lists show all a persona may read of these types: the rest is
                        # NOT_FOUND, exactly as for a row that does not exist.
                        assert node is None and code == "NOT_FOUND", where
                        checked["not found"] += 1
        # One at a time too: the same answer as through `nodes`.
        for type_name in ("Enrollment", "Document"):
            for number in every[type_name][:3]:
                node_id = global_id(type_name, number)
                one = await _node(client, token, node_id)
                if node_id in seen[type_name]:
                    expected = seen[type_name][node_id]
                    assert {k: one.ok()["node"][k] for k in expected} == expected
                else:
                    missing = await _node(client, token, global_id(type_name, 2**31 - 1))
                    assert one.data == missing.data == {"node": None}
                    assert one.body["errors"][0]["message"] == missing.body["errors"][0]["message"]
                    assert one.codes == missing.codes == ["NOT_FOUND"]
    assert checked["seen"] > 100 and checked["not found"] > 100
    assert seen_types == set(every)


async def test_node_of_an_enrollment_and_a_document_equals_their_own_query(client):
    tokens = await demo_tokens()
    compared = 0
    for token in tokens.values():
        seen = await _visible(client, token)
        for node_id, enrollment in list(seen["Enrollment"].items())[:8]:
            own = (await gql(client, ONE_ENROLLMENT, {"id": enrollment["id"]}, token=token)).ok()
            node = (await _node(client, token, node_id)).ok()["node"]
            assert _without_typename(node) == own["enrollment"]
            compared += 1
        for node_id, document in list(seen["Document"].items())[:8]:
            own = (await gql(client, ONE_DOCUMENT, {"id": document["id"]}, token=token)).ok()
            node = (await _node(client, token, node_id)).ok()["node"]
            assert _without_typename(node) == own["document"]
    assert compared > 20


async def test_nodes_keeps_the_order_and_reports_each_missing_one_at_its_index(client):
    tokens = await demo_tokens()
    seen = await _visible(client, tokens["samuel"])
    readable = list(seen["Enrollment"])[:2]
    unreadable = [
        global_id("Enrollment", n)
        for n in await Enrollment.all().values_list("id", flat=True)
        if global_id("Enrollment", n) not in seen["Enrollment"]
    ]
    assert readable and unreadable
    ids = [readable[0], unreadable[0], "not-an-id", readable[1]]
    answer = await gql(client, NODES, {"ids": ids}, token=tokens["samuel"])
    nodes = answer.data["nodes"]
    assert [n and n["nodeId"] for n in nodes] == [readable[0], None, None, readable[1]]
    assert answer.code_at("nodes", 1) == "NOT_FOUND"
    assert answer.code_at("nodes", 2) == "BAD_USER_INPUT"
    too_many = await gql(client, NODES, {"ids": readable * 51}, token=tokens["samuel"])
    assert too_many.codes == ["BAD_USER_INPUT"]


def _encoded(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


@pytest.mark.parametrize(
    "value",
    [
        "42",  # a type's own id is not a global id
        "not base64 at all!",
        _encoded("Enrollment"),  # no id
        _encoded("Enrollment:abc"),
        _encoded("Enrollment:0"),
        _encoded("Enrollment:99999999999"),
        _encoded("NoSuchType:1"),
        _encoded("PageInfo:1"),  # a type that is not a Node
    ],
)
async def test_a_malformed_global_id_is_bad_user_input(client, value):
    answer = await _node(client, None, value)
    assert answer.data == {"node": None}
    assert answer.codes == ["BAD_USER_INPUT"]
    assert answer.errors[0]["extensions"]["reason"] == "INVALID_ID"


async def test_signed_out_node_answers_as_the_types_own_query(client):
    tokens = await demo_tokens()
    seen = await _visible(client, tokens["claire"])
    enrollment = next(iter(seen["Enrollment"].values()))
    own = await gql(client, ONE_ENROLLMENT, {"id": enrollment["id"]})
    node = await _node(client, None, enrollment["nodeId"])
    assert node.data == {"node": None} and own.data == {"enrollment": None}
    assert node.codes == own.codes
    course = next(iter(seen["Course"]))
    assert (await _node(client, None, course)).ok()["node"]["nodeId"] == course


async def test_lists_of_node_types_stay_on_the_direct_path(client, monkeypatch):
    """Implementing `Node` gives a type an `is_type_of` check; the executor still completes
    its list items directly instead of item by item through graphql-core."""
    tokens = await demo_tokens()
    calls = []
    standard = performance.executor.EspaceExecutor.complete_list_item_value

    def counted(self: Any, *args: Any, **kwargs: Any) -> Any:
        calls.append(args[0])
        return standard(self, *args, **kwargs)

    monkeypatch.setattr(performance.executor.EspaceExecutor, "complete_list_item_value", counted)
    answer = await gql(
        client,
        "{ enrollments(first: 50) { nodes { id reference } } courses { id } }",
        token=tokens["claire"],
    )
    assert answer.ok()["enrollments"]["nodes"] and answer.ok()["courses"]
    assert calls == []


async def test_node_answers_the_same_through_both_executors(client, policy):
    """`EspaceExecutor` answers `node`/`nodes` (objects behind an interface, errors at list
    indexes) exactly as graphql-core's standard executor does."""
    from tests.test_execution import both

    tokens = await demo_tokens()
    for name in ("claire", "samuel", "ines"):
        seen = await _visible(client, tokens[name])
        ids = [
            *list(seen["Enrollment"])[:40],
            global_id("Enrollment", 2**31 - 1),
            "not-an-id",
            *list(seen["Document"])[:20],
            *list(seen["Course"])[:3],
            *list(seen["CourseSession"])[:3],
            *list(seen["Establishment"]),
            *list(seen["Access"]),
        ]
        answer = await both(policy, NODES, {"ids": ids}, tokens[name])
        assert len(answer["data"]["nodes"]) == len(ids)
        assert [e["path"] for e in answer["errors"]] == [
            ["nodes", i] for i, node in enumerate(answer["data"]["nodes"]) if node is None
        ]
        single = await both(policy, NODE, {"id": ids[0]}, tokens[name])
        assert single["data"]["node"] == answer["data"]["nodes"][0]
