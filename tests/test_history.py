"""The enrollment history, told with personas (rules 4-7, 12).

Acme Paris has an admin (Claire), a standard user who may see invoice copies and
certificates only (Samuel), and a registrant without any access (Rémi). Lyon is another
establishment of Acme, Boréal another company. Inès is an individual customer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from models.enums import AccessRole, DocumentKind, EnrollmentStatus
from tests import factories
from tests.graphql import gql
from tests.policy_oracle import visible_kinds

LIST = """
query($first: Int, $after: String, $filter: EnrollmentFilter) {
  enrollments(first: $first, after: $after, filter: $filter) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { cursor node {
      reference registrantEmail visibleDocumentKinds
      invoiceCopy { kind } trainingAgreement { kind }
      documents { kind }
    } }
  }
}
"""

ONE = """
query($id: ID!) {
  enrollment(id: $id) {
    reference visibleDocumentKinds
    invoiceCopy { kind filename } trainingAgreement { kind } certificateOfAttendance { kind }
    documents { kind }
  }
}
"""


@dataclass
class World:
    claire: str
    samuel: str
    remi: str
    ines: str
    outsider: str
    sophie: str
    paris_by_remi: int
    paris_by_paul: int
    lyon: int
    boreal: int
    ines_own: int
    remi_typed_other_email: int


async def _with_all_documents(enrollment_id_holder) -> None:
    for kind in DocumentKind:
        await factories.document(enrollment_id_holder, kind)


@pytest.fixture
async def world() -> World:
    acme = await factories.company("Acme")
    paris = await factories.establishment(acme, "Acme Paris")
    lyon = await factories.establishment(acme, "Acme Lyon")
    boreal = await factories.establishment(name="Boréal Nantes")

    claire = await factories.account("claire@acme.example")
    samuel = await factories.account("samuel@acme.example")
    remi = await factories.account("remi@acme.example")
    ines = await factories.account("ines@example.com")
    outsider = await factories.account("outsider@example.com")
    sophie = await factories.account("sophie@espace.example", is_staff=True)
    await factories.access(claire, paris, AccessRole.ADMIN)
    await factories.access(
        samuel,
        paris,
        AccessRole.STANDARD,
        [DocumentKind.INVOICE_COPY, DocumentKind.CERTIFICATE_OF_ATTENDANCE],
    )

    base = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    made = []
    for offset, (site, email) in enumerate(
        [
            (paris, "remi@acme.example"),
            (paris, "paul@acme.example"),
            (lyon, "lea@acme.example"),
            (boreal, "bruno@boreal.example"),
            (None, "ines@example.com"),
            (boreal, "remi.perso@example.com"),  # Rémi typed another e-mail (rule 5)
        ]
    ):
        enrollment = await factories.enrollment(
            registrant_email=email, site=site, booked_at=base + timedelta(days=offset)
        )
        await _with_all_documents(enrollment)
        made.append(enrollment.id)

    return World(
        claire=await factories.token_for(claire),
        samuel=await factories.token_for(samuel),
        remi=await factories.token_for(remi),
        ines=await factories.token_for(ines),
        outsider=await factories.token_for(outsider),
        sophie=await factories.token_for(sophie),
        paris_by_remi=made[0],
        paris_by_paul=made[1],
        lyon=made[2],
        boreal=made[3],
        ines_own=made[4],
        remi_typed_other_email=made[5],
    )


async def _references(client, token: str) -> set[str]:
    data = (await gql(client, LIST, {"first": 100}, token=token)).ok()
    return {edge["node"]["registrantEmail"] for edge in data["enrollments"]["edges"]}


async def test_a_registrant_sees_only_the_orders_placed_with_his_login_email(client, world):
    assert await _references(client, world.remi) == {"remi@acme.example"}


async def test_an_order_typed_with_another_email_is_not_in_the_history(client, world):
    result = await gql(client, ONE, {"id": world.remi_typed_other_email}, token=world.remi)
    assert result.data == {"enrollment": None}
    assert result.code_at("enrollment") == "NOT_FOUND"


async def test_the_admin_sees_the_whole_history_of_the_establishment(client, world):
    assert await _references(client, world.claire) == {
        "remi@acme.example",
        "paul@acme.example",
    }


async def test_a_standard_user_sees_the_whole_history_of_the_establishment(client, world):
    assert await _references(client, world.samuel) == {
        "remi@acme.example",
        "paul@acme.example",
    }


async def test_staff_see_everything_and_unrelated_people_nothing(client, world):
    assert len(await _references(client, world.sophie)) == 6
    assert await _references(client, world.outsider) == set()


async def test_an_individual_sees_her_own_orders(client, world):
    assert await _references(client, world.ines) == {"ines@example.com"}


async def test_document_fields_follow_the_policy_and_hidden_kinds_are_null(client, world, policy):
    data = (await gql(client, ONE, {"id": world.paris_by_paul}, token=world.samuel)).ok()
    enrollment = data["enrollment"]
    visible = await visible_kinds(policy, "samuel@acme.example", world.paris_by_paul)
    assert sorted(enrollment["visibleDocumentKinds"]) == visible
    assert 0 < len(visible) < len(DocumentKind)  # the story needs shown and hidden kinds
    for field, kind in [
        ("invoiceCopy", "INVOICE_COPY"),
        ("trainingAgreement", "TRAINING_AGREEMENT"),
        ("certificateOfAttendance", "CERTIFICATE_OF_ATTENDANCE"),
    ]:
        # A hidden kind is simply null, without an error (rule 7).
        assert (enrollment[field] is not None) == (kind in visible), field
        if enrollment[field] is not None:
            assert enrollment[field]["kind"] == kind
    assert sorted(d["kind"] for d in enrollment["documents"]) == visible


async def test_the_admin_and_the_registrant_see_every_document(client, world):
    for token in (world.claire, world.remi):
        data = (await gql(client, ONE, {"id": world.paris_by_remi}, token=token)).ok()
        assert len(data["enrollment"]["visibleDocumentKinds"]) == 8
        assert len(data["enrollment"]["documents"]) == 8
        assert data["enrollment"]["trainingAgreement"] == {"kind": "TRAINING_AGREEMENT"}


async def test_not_issued_yet_is_told_apart_from_not_yours_to_see(client, world):
    fresh = await factories.enrollment(
        registrant_email="remi@acme.example", site=None, status=EnrollmentStatus.VALIDATED
    )
    data = (await gql(client, ONE, {"id": fresh.id}, token=world.remi)).ok()["enrollment"]
    assert data["trainingAgreement"] is None
    assert "TRAINING_AGREEMENT" in data["visibleDocumentKinds"]


async def test_a_document_query_follows_the_same_rule(client, world, policy):
    query = "query($id: ID!) { document(id: $id) { kind } }"
    listing = (await gql(client, ONE, {"id": world.paris_by_paul}, token=world.claire)).ok()
    assert listing["enrollment"]["documents"]
    from models.documents import Document

    visible = await visible_kinds(policy, "samuel@acme.example", world.paris_by_paul)
    hidden = sorted({k.value for k in DocumentKind} - set(visible))
    shown = await Document.get(enrollment_id=world.paris_by_paul, kind=visible[0])
    other = await Document.get(enrollment_id=world.paris_by_paul, kind=hidden[0])
    assert (await gql(client, query, {"id": shown.id}, token=world.samuel)).ok() == {
        "document": {"kind": visible[0]}
    }
    denied = await gql(client, query, {"id": other.id}, token=world.samuel)
    assert denied.data == {"document": None}
    assert denied.code_at("document") == "NOT_FOUND"
    assert (await gql(client, query, {"id": other.id}, token=world.claire)).ok()


async def test_other_establishments_are_not_found(client, world):
    for enrollment_id in (world.lyon, world.boreal):
        result = await gql(client, ONE, {"id": enrollment_id}, token=world.claire)
        assert result.code_at("enrollment") == "NOT_FOUND"


async def test_anonymous_callers_must_sign_in(client, world):
    result = await gql(client, LIST)
    assert result.codes == ["UNAUTHENTICATED"]


async def test_pages_follow_each_other_newest_first_with_a_stable_total(client, world):
    seen: list[str] = []
    after = None
    while True:
        data = (await gql(client, LIST, {"first": 2, "after": after}, token=world.sophie)).ok()[
            "enrollments"
        ]
        assert data["totalCount"] == 6
        seen += [edge["node"]["registrantEmail"] for edge in data["edges"]]
        if not data["pageInfo"]["hasNextPage"]:
            break
        after = data["pageInfo"]["endCursor"]
    assert seen == [
        "remi.perso@example.com",
        "ines@example.com",
        "bruno@boreal.example",
        "lea@acme.example",
        "paul@acme.example",
        "remi@acme.example",
    ]


async def test_filters_narrow_the_list_and_the_total(client, world):
    data = (
        await gql(
            client,
            LIST,
            {"filter": {"search": "paul", "status": ["PENDING_VALIDATION"]}},
            token=world.claire,
        )
    ).ok()["enrollments"]
    assert data["totalCount"] == 1
    assert data["edges"][0]["node"]["registrantEmail"] == "paul@acme.example"
    window = (
        await gql(
            client,
            LIST,
            {"filter": {"from": "2026-03-03T00:00:00Z", "to": "2026-03-05T00:00:00Z"}},
            token=world.sophie,
        )
    ).ok()["enrollments"]
    assert window["totalCount"] == 2


async def test_pages_are_screen_sized_for_everyone(client, world):
    """100 rows at most, whoever asks: whole histories go through the export endpoint."""
    for token in (world.remi, world.claire, world.sophie):
        assert (await gql(client, LIST, {"first": 100}, token=token)).ok()
        too_big = await gql(client, LIST, {"first": 101}, token=token)
        assert too_big.codes == ["BAD_USER_INPUT"]
        assert too_big.error_at("enrollments")["extensions"]["max"] == 100


async def test_a_broken_cursor_is_bad_user_input(client, world):
    result = await gql(client, LIST, {"after": "not-a-cursor"}, token=world.claire)
    assert result.codes == ["BAD_USER_INPUT"]


async def test_a_revoked_access_stops_showing_the_history_at_once(client, world):
    from models.access import Access

    assert await _references(client, world.samuel)
    await Access.filter(account__email="samuel@acme.example").delete()
    assert await _references(client, world.samuel) == set()


def test_only_filters_written_the_same_way_count_as_the_same_condition() -> None:
    """A document kind whose condition is the read condition itself needs no CASE column
    (`services.history.kind_annotations`): the comparison must never say "same" wrongly."""
    from tortoise.expressions import F, Q

    from services.history import _same_condition

    assert _same_condition(
        Q(establishment_id=1) | Q(registrant_email="a@x"),
        Q(establishment_id=1) | Q(registrant_email="a@x"),
    )
    assert not _same_condition(~Q(establishment_id=1), Q(establishment_id=1))  # Q.__eq__ says same
    assert not _same_condition(Q(establishment_id=1), Q(establishment_id=2))
    assert not _same_condition(
        Q(establishment_id=1) | Q(seats=2), Q(establishment_id=1) & Q(seats=2)
    )
    assert not _same_condition(Q(id__in=[1, 2]), Q(id__in=(1, 2)))
    assert not _same_condition(Q(seats=F("id")), Q(seats=F("id")))  # not a plain value
