"""What a dashboard asks of the enrollment history (issue 17): filters, accent-free search,
sorting with stable cursors, paging backward, `updatedAt` and the `viewerCan…` flags.
Through the real app, on the demo data where personas matter."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from models.catalog import CourseSession
from models.enrollments import Enrollment, Trainee
from models.enums import AccessRole, Channel, EnrollmentStatus
from services.search import fold, refresh_search_text
from tests import factories
from tests.demo_personas import demo_tokens
from tests.graphql import gql

PAGE = """
query($first: Int, $after: String, $last: Int, $before: String,
      $filter: EnrollmentFilter, $orderBy: EnrollmentOrder) {
  enrollments(first: $first, after: $after, last: $last, before: $before,
              filter: $filter, orderBy: $orderBy) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node {
      id reference status channel netPriceTotal bookedAt updatedAt
      session { startsOn } courseCode viewerCanCancel viewerCanRequestPostponement
    } }
  }
}
"""


async def _page(client, token, **variables):
    return (await gql(client, PAGE, variables, token=token)).ok()["enrollments"]


async def _all(client, token, **variables) -> list[dict]:
    """Every row, walking the cursors forward two at a time."""
    rows: list[dict] = []
    after = None
    while True:
        page = await _page(client, token, first=2, after=after, **variables)
        rows += [edge["node"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            return rows
        after = page["pageInfo"]["endCursor"]


def test_fold_ignores_case_and_accents():
    assert fold("  Manager une ÉQUIPE  Lefèvre ") == "manager une equipe lefevre"
    assert fold("Œuvre") == "œuvre".replace("œ", "œ")  # ligatures stay one letter


@pytest.fixture
async def shop():
    """Acme Paris with Claire (admin), four orders over two courses, trainees with accents."""
    acme = await factories.company("Acme")
    paris = await factories.establishment(acme, "Acme Paris")
    claire = await factories.account("claire@acme.example")
    await factories.access(claire, paris, AccessRole.ADMIN)
    team = await factories.course_session(code="MGT-101", price="900.00")
    team_course = await team.course
    team_course.title = "Manager une équipe"
    await team_course.save()
    excel = await factories.course_session(code="BUR-010", price="500.00")
    base = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    rows = []
    for n, (session, channel, status, seats) in enumerate(
        [
            (team, Channel.WEB, EnrollmentStatus.VALIDATED, 1),
            (excel, Channel.PHONE, EnrollmentStatus.INVOICED, 3),
            (team, Channel.EMAIL, EnrollmentStatus.CANCELLED, 2),
            (excel, Channel.WEB, EnrollmentStatus.PENDING_VALIDATION, 2),
        ]
    ):
        row = await factories.enrollment(
            registrant_email="claire@acme.example" if n == 0 else f"buyer{n}@acme.example",
            site=paris,
            session=session,
            channel=channel,
            status=status,
            seats=seats,
            booked_at=base + timedelta(days=n),
        )
        rows.append(row)
    await Trainee.create(enrollment=rows[1], first_name="Gaëlle", last_name="Lefèvre")
    await refresh_search_text([rows[1].id])
    return {
        "token": await factories.token_for(claire),
        "ids": [str(r.id) for r in rows],
        "refs": [r.reference for r in rows],
        "team_course": str(team_course.id),
        "team_start": team.starts_on,
    }


async def _refs(client, shop, **filter) -> list[str]:
    page = await _page(client, shop["token"], first=50, filter=filter)
    assert page["totalCount"] == len(page["edges"])
    return [edge["node"]["reference"] for edge in page["edges"]]


async def test_search_ignores_case_and_accents_over_every_searched_field(client, shop):
    refs = shop["refs"]
    assert set(await _refs(client, shop, search="EQUIPE")) == {refs[0], refs[2]}
    assert set(await _refs(client, shop, search="mgt-101")) == {refs[0], refs[2]}
    assert await _refs(client, shop, search="lefevre") == [refs[1]]  # a trainee's name
    assert await _refs(client, shop, search="gaëlle LEFÈVRE") == [refs[1]]
    assert await _refs(client, shop, search="buyer3@") == [refs[3]]
    assert await _refs(client, shop, search=refs[2].lower()) == [refs[2]]
    assert await _refs(client, shop, search="100%") == []  # LIKE wildcards are plain text
    assert len(await _refs(client, shop, search="   ")) == 4


async def test_filters_combine_in_sql(client, shop):
    refs = shop["refs"]
    assert set(await _refs(client, shop, courseId=shop["team_course"])) == {refs[0], refs[2]}
    assert set(await _refs(client, shop, courseCode="bur-010")) == {refs[1], refs[3]}
    assert set(await _refs(client, shop, channel=["WEB"])) == {refs[0], refs[3]}
    assert await _refs(client, shop, channel=["WEB"], courseCode="MGT-101") == [refs[0]]
    # A code longer than any course's (found by tests/test_fuzz.py) names no course.
    assert await _refs(client, shop, courseCode="MGT-101" * 5) == []
    assert await _refs(client, shop, traineeName="gaëlle") == [refs[1]]
    assert await _refs(client, shop, mineOnly=True) == [refs[0]]  # Claire's own order
    start = shop["team_start"].isoformat()
    assert set(await _refs(client, shop, sessionStartsFrom=start, sessionStartsTo=start)) == {
        refs[0],
        refs[2],
    }
    later = (shop["team_start"] + timedelta(days=3650)).isoformat()
    assert await _refs(client, shop, sessionStartsFrom=later) == []


async def test_updated_since_follows_updated_at(client, shop):
    moment = datetime(2030, 1, 1, tzinfo=UTC)
    await Enrollment.filter(id=int(shop["ids"][2])).update(updated_at=moment)
    refs = await _refs(client, shop, updatedSince=moment.isoformat())
    assert refs == [shop["refs"][2]]
    page = await _page(client, shop["token"], first=50, filter={"updatedSince": moment.isoformat()})
    assert page["edges"][0]["node"]["updatedAt"].startswith("2030-01-01")


KEYS = {
    "BOOKED_AT": lambda n: n["bookedAt"],
    "SESSION_START": lambda n: n["session"]["startsOn"],
    "STATUS": lambda n: n["status"],
    "REFERENCE": lambda n: n["reference"],
    "AMOUNT": lambda n: float(n["netPriceTotal"]),
}


@pytest.mark.parametrize("field", list(KEYS))
@pytest.mark.parametrize("direction", ["ASC", "DESC"])
async def test_every_order_is_total_and_walks_with_cursors(client, shop, field, direction):
    order = {"field": field, "direction": direction}
    walked = await _all(client, shop["token"], orderBy=order)
    whole = [
        e["node"] for e in (await _page(client, shop["token"], first=50, orderBy=order))["edges"]
    ]
    assert walked == whole and len(whole) == 4
    key = KEYS[field]
    expected = sorted(whole, key=lambda n: (key(n), int(n["id"])), reverse=direction == "DESC")
    assert whole == expected


async def test_a_cursor_is_refused_under_another_order(client, shop):
    page = await _page(client, shop["token"], first=1)
    result = await gql(
        client,
        PAGE,
        {"first": 1, "after": page["pageInfo"]["endCursor"], "orderBy": {"field": "REFERENCE"}},
        token=shop["token"],
    )
    assert result.codes == ["BAD_USER_INPUT"]
    bad = await gql(client, PAGE, {"first": 1, "after": "bm9wZQ=="}, token=shop["token"])
    assert bad.codes == ["BAD_USER_INPUT"]


async def test_paging_backward_mirrors_paging_forward(client, shop):
    order = {"field": "AMOUNT", "direction": "ASC"}
    forward = await _page(client, shop["token"], first=50, orderBy=order)
    cursors = [e["cursor"] for e in forward["edges"]]
    last_two = await _page(client, shop["token"], last=2, orderBy=order)
    assert [e["cursor"] for e in last_two["edges"]] == cursors[2:]
    assert last_two["pageInfo"]["hasPreviousPage"] is True
    assert last_two["pageInfo"]["hasNextPage"] is False
    earlier = await _page(
        client, shop["token"], last=2, before=last_two["pageInfo"]["startCursor"], orderBy=order
    )
    assert [e["cursor"] for e in earlier["edges"]] == cursors[:2]
    assert earlier["pageInfo"]["hasPreviousPage"] is False
    assert earlier["pageInfo"]["hasNextPage"] is True
    after_first = await _page(client, shop["token"], first=1, after=cursors[0], orderBy=order)
    assert after_first["pageInfo"]["hasPreviousPage"] is True
    both = await gql(client, PAGE, {"first": 1, "last": 1}, token=shop["token"])
    assert both.codes == ["BAD_USER_INPUT"]


async def test_cursors_of_the_first_release_still_work(client, shop):
    import base64

    newest = await Enrollment.get(id=int(shop["ids"][3]))
    old = base64.urlsafe_b64encode(f"{newest.booked_at.isoformat()}|{newest.id}".encode()).decode()
    page = await _page(client, shop["token"], first=1, after=old)
    assert page["edges"][0]["node"]["reference"] == shop["refs"][2]


CANCEL = "mutation($id: ID!) { cancelEnrollment(id: $id) { status } }"
POSTPONE = """mutation($id: ID!, $s: ID!) {
  requestPostponement(id: $id, sessionId: $s) { pendingPostponement { status } }
}"""
FLAGS = "query($id: ID!) { enrollment(id: $id) { viewerCanCancel viewerCanRequestPostponement } }"


async def test_viewer_can_flags_say_what_the_mutations_then_do_for_every_persona(client):
    """For each demo persona and a sample of the orders they see in each status: the flag
    read just before equals whether the mutation is accepted."""
    tokens = await demo_tokens()
    checked = {True: 0, False: 0}
    for name, token in tokens.items():
        page = await _page(client, token, first=100)
        by_status: dict[str, list[dict]] = {}
        for edge in page["edges"]:
            by_status.setdefault(edge["node"]["status"], []).append(edge["node"])
        sample = [n for rows in by_status.values() for n in rows[:2]]
        for node in sample:
            flags = (await gql(client, FLAGS, {"id": node["id"]}, token=token)).ok()["enrollment"]
            enrollment = await Enrollment.get(id=int(node["id"])).prefetch_related("session")
            target = await CourseSession.create(
                course_id=enrollment.session.course_id,
                starts_on=date.today() + timedelta(days=400),
                ends_on=date.today() + timedelta(days=401),
                city="Lille",
                capacity=50,
            )
            postponed = await gql(
                client, POSTPONE, {"id": node["id"], "s": str(target.id)}, token=token
            )
            assert (not postponed.errors) == flags["viewerCanRequestPostponement"], (
                name,
                node,
                postponed.errors,
            )
            checked[flags["viewerCanRequestPostponement"]] += 1
            flags = (await gql(client, FLAGS, {"id": node["id"]}, token=token)).ok()["enrollment"]
            cancelled = await gql(client, CANCEL, {"id": node["id"]}, token=token)
            assert (not cancelled.errors) == flags["viewerCanCancel"], (
                name,
                node,
                cancelled.errors,
            )
            checked[flags["viewerCanCancel"]] += 1
    assert checked[True] > 5 and checked[False] > 5


OBJECTS = "{ enrollments(first: 10) { nodes { course { code } establishment { name } } } }"


async def test_course_and_establishment_as_objects(client, shop):
    nodes = (await gql(client, OBJECTS, token=shop["token"])).ok()["enrollments"]["nodes"]
    assert {n["course"]["code"] for n in nodes} == {"MGT-101", "BUR-010"}
    assert {n["establishment"]["name"] for n in nodes} == {"Acme Paris"}
    # A registrant without an access sees the order, not the establishment.
    buyer = await factories.account("buyer1@acme.example")
    nodes = (await gql(client, OBJECTS, token=await factories.token_for(buyer))).ok()
    assert nodes["enrollments"]["nodes"] == [{"course": {"code": "BUR-010"}, "establishment": None}]
