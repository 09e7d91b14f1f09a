"""Staff manage the catalog through GraphQL: courses, sessions, capacity, closing and
cancelling a session. Who may is the policy's business (policies/catalog.polar); these tests
check the mechanism: a persona the policy refuses gets FORBIDDEN, the changes are audited."""

from __future__ import annotations

from datetime import date, timedelta

from models.accounts import Account
from models.audit import AuditEntry
from models.catalog import Course, CourseSession
from models.enrollments import Enrollment, Trainee
from models.enums import EnrollmentStatus
from models.mail import OutboxMail
from policies.engine import Policy, Viewer
from services.catalog import seat_mismatches
from services.login_sessions import viewer_for_account
from tests import factories
from tests.graphql import gql

CREATE_COURSE = """
mutation($input: CourseInput!) {
  createCourse(input: $input) {
    id code title summary listPrice durationDays active sessions { id }
  }
}
"""
UPDATE_COURSE = """
mutation($id: ID!, $input: CourseInput!) {
  updateCourse(id: $id, input: $input) { id code title listPrice active }
}
"""
CREATE_SESSION = """
mutation($courseId: ID!, $input: SessionInput!) {
  createSession(courseId: $courseId, input: $input) {
    id startsOn endsOn city capacity seatsLeft status
  }
}
"""
UPDATE_SESSION = """
mutation($id: ID!, $input: SessionInput!) {
  updateSession(id: $id, input: $input) { id startsOn endsOn city capacity seatsLeft status }
}
"""
CLOSE = "mutation($id: ID!) { closeSession(id: $id) { id status closedAt seatsLeft } }"
CANCEL = """
mutation($id: ID!, $reason: String!) {
  cancelSession(id: $id, reason: $reason) {
    session { id status cancelledAt seatsLeft }
    cancelledEnrollmentCount invoicedEnrollmentCount
  }
}
"""
ENROLL = """
mutation($input: EnrollInput!) {
  enroll(input: $input) { enrollment { id status session { seatsLeft } } }
}
"""


def _soon(days: int = 30) -> str:
    return (date.today() + timedelta(days=days)).isoformat()


async def _staff_token() -> str:
    return await factories.token_for(await factories.account(is_staff=True))


async def _new_course(client, token: str, code: str = "NEW-100") -> dict:
    result = await gql(
        client,
        CREATE_COURSE,
        {
            "input": {
                "code": code,
                "title": "Négocier",
                "summary": "Préparer, conduire, conclure.",
                "listPrice": "1200.00",
                "durationDays": "2",
            }
        },
        token=token,
    )
    return result.ok()["createCourse"]


async def _new_session(client, token: str, course_id: str, capacity: int = 10) -> dict:
    result = await gql(
        client,
        CREATE_SESSION,
        {
            "courseId": course_id,
            "input": {"startsOn": _soon(), "city": "Lyon", "capacity": capacity},
        },
        token=token,
    )
    return result.ok()["createSession"]


async def _enrol(client, session_id: str, seats: int, email: str | None = None) -> dict:
    person = await factories.account(email)
    token = await factories.token_for(person)
    result = await gql(
        client,
        ENROLL,
        {
            "input": {
                "sessionId": session_id,
                "trainees": [{"firstName": "T", "lastName": f"N{i}"} for i in range(seats)],
            }
        },
        token=token,
    )
    return result.ok()["enroll"]["enrollment"]


async def test_staff_create_and_edit_a_course_and_a_session(client, policy: Policy):
    staff = await _staff_token()
    course = await _new_course(client, staff)
    assert course["code"] == "NEW-100" and course["active"] is True
    assert course["durationDays"] == "2.0" and course["listPrice"] == "1200.00"
    session = await _new_session(client, staff, course["id"])
    start = date.fromisoformat(session["startsOn"])
    assert session["endsOn"] == (start + timedelta(days=1)).isoformat()  # the course's length
    assert session["status"] == "OPEN" and session["seatsLeft"] == 10

    edited = await gql(
        client,
        UPDATE_COURSE,
        {"id": course["id"], "input": {"title": "Négocier gagnant", "listPrice": "1300"}},
        token=staff,
    )
    assert edited.ok()["updateCourse"]["title"] == "Négocier gagnant"
    assert edited.ok()["updateCourse"]["listPrice"] == "1300.00"
    moved = await gql(
        client,
        UPDATE_SESSION,
        {"id": session["id"], "input": {"startsOn": _soon(40), "city": "Lille"}},
        token=staff,
    )
    row = moved.ok()["updateSession"]
    assert row["city"] == "Lille" and row["startsOn"] == _soon(40)
    assert row["endsOn"] == _soon(41)  # keeps its length

    actions = await AuditEntry.all().order_by("id").values_list("action", flat=True)
    assert actions == ["course.created", "session.created", "course.updated", "session.updated"]


async def test_an_inactive_course_leaves_the_public_catalog(client):
    staff = await _staff_token()
    course = await _new_course(client, staff)
    await gql(client, UPDATE_COURSE, {"id": course["id"], "input": {"active": False}}, token=staff)
    public = await gql(client, "{ courses { code } }")
    assert public.ok()["courses"] == []
    listed = await gql(client, "{ courses(includeInactive: true) { code active } }", token=staff)
    assert listed.ok()["courses"] == [{"code": "NEW-100", "active": False}]
    customer = await factories.token_for(await factories.account())
    refused = await gql(client, "{ courses(includeInactive: true) { code } }", token=customer)
    assert refused.codes == ["FORBIDDEN"]


async def test_catalog_mutations_are_refused_to_those_the_policy_refuses(client, policy: Policy):
    customer = await factories.account()
    viewer = await _viewer(customer)
    assert not policy.is_allowed(viewer, "manage_catalog", viewer)
    token = await factories.token_for(customer)
    session = await factories.course_session()
    course_id = str(session.course_id)  # type: ignore[attr-defined]
    attempts = [
        (
            CREATE_COURSE,
            {"input": {"code": "X-1", "title": "X", "listPrice": "1", "durationDays": "1"}},
        ),
        (UPDATE_COURSE, {"id": course_id, "input": {"title": "Hacked"}}),
        (
            CREATE_SESSION,
            {"courseId": course_id, "input": {"startsOn": _soon(), "city": "Paris", "capacity": 5}},
        ),
        (UPDATE_SESSION, {"id": str(session.id), "input": {"capacity": 1000}}),
        (CLOSE, {"id": str(session.id)}),
        (CANCEL, {"id": str(session.id), "reason": "no"}),
    ]
    for query, variables in attempts:
        assert (await gql(client, query, variables, token=token)).codes == ["FORBIDDEN"]
        assert (await gql(client, query, variables)).codes == ["UNAUTHENTICATED"]
    assert await Course.filter(title="Hacked").count() == 0
    assert (await CourseSession.get(id=session.id)).status == "OPEN"
    assert await AuditEntry.all().count() == 0


async def _viewer(account: Account) -> Viewer:
    return await viewer_for_account(account)


async def test_bad_input_and_duplicates(client):
    staff = await _staff_token()
    course = await _new_course(client, staff)
    again = await gql(
        client,
        CREATE_COURSE,
        {"input": {"code": "new-100", "title": "X", "listPrice": "1", "durationDays": "1"}},
        token=staff,
    )
    assert again.codes == ["CONFLICT"]
    assert again.errors[0]["extensions"]["reason"] == "CODE_TAKEN"
    bad_price = await gql(
        client,
        CREATE_COURSE,
        {"input": {"code": "B-1", "title": "X", "listPrice": "-5", "durationDays": "1"}},
        token=staff,
    )
    assert bad_price.codes == ["BAD_USER_INPUT"]
    assert bad_price.errors[0]["extensions"]["field"] == "listPrice"
    await _new_session(client, staff, course["id"])
    twice = await gql(
        client,
        CREATE_SESSION,
        {"courseId": course["id"], "input": {"startsOn": _soon(), "city": "Lyon", "capacity": 3}},
        token=staff,
    )
    assert twice.codes == ["CONFLICT"]
    backwards = await gql(
        client,
        CREATE_SESSION,
        {
            "courseId": course["id"],
            "input": {"startsOn": _soon(), "endsOn": _soon(20), "city": "Nice", "capacity": 3},
        },
        token=staff,
    )
    assert backwards.codes == ["BAD_USER_INPUT"]
    assert await CourseSession.all().count() == 1


async def test_capacity_goes_up_and_down_but_never_below_seats_booked(client):
    staff = await _staff_token()
    course = await _new_course(client, staff)
    session = await _new_session(client, staff, course["id"], capacity=5)
    await _enrol(client, session["id"], 3)
    raised = await gql(
        client, UPDATE_SESSION, {"id": session["id"], "input": {"capacity": 8}}, token=staff
    )
    assert raised.ok()["updateSession"]["seatsLeft"] == 5
    lowered = await gql(
        client, UPDATE_SESSION, {"id": session["id"], "input": {"capacity": 3}}, token=staff
    )
    assert lowered.ok()["updateSession"]["seatsLeft"] == 0
    too_low = await gql(
        client, UPDATE_SESSION, {"id": session["id"], "input": {"capacity": 2}}, token=staff
    )
    assert too_low.codes == ["CONFLICT"]
    extensions = too_low.errors[0]["extensions"]
    assert extensions["reason"] == "CAPACITY_BELOW_SEATS_BOOKED"
    assert extensions["seatsBooked"] == 3
    assert (await CourseSession.get(id=int(session["id"]))).capacity == 3


async def test_a_closed_session_takes_no_more_bookings(client):
    staff = await _staff_token()
    course = await _new_course(client, staff)
    session = await _new_session(client, staff, course["id"])
    await _enrol(client, session["id"], 2)
    closed = await gql(client, CLOSE, {"id": session["id"]}, token=staff)
    row = closed.ok()["closeSession"]
    assert row["status"] == "CLOSED" and row["closedAt"] and row["seatsLeft"] == 0
    person = await factories.token_for(await factories.account())
    refused = await gql(
        client,
        ENROLL,
        {"input": {"sessionId": session["id"], "trainees": [{"firstName": "A", "lastName": "B"}]}},
        token=person,
    )
    assert refused.codes == ["CONFLICT"]
    assert refused.errors[0]["extensions"]["reason"] == "SESSION_CLOSED"
    twice = await gql(client, CLOSE, {"id": session["id"]}, token=staff)
    assert twice.codes == ["CONFLICT"]
    assert await Enrollment.all().count() == 1
    assert (await CourseSession.get(id=int(session["id"]))).seats_booked == 2


async def test_cancelling_a_session_cancels_its_orders_frees_seats_and_mails_each_registrant(
    client,
):
    staff = await _staff_token()
    course = await _new_course(client, staff)
    session = await _new_session(client, staff, course["id"])
    other = await gql(
        client,
        CREATE_SESSION,
        {
            "courseId": course["id"],
            "input": {"startsOn": _soon(60), "city": "Nantes", "capacity": 9},
        },
        token=staff,
    )
    other.ok()
    french = await _enrol(client, session["id"], 2, "anne@example.com")
    english_account = await factories.account("john@example.com", language="en")
    token = await factories.token_for(english_account)
    english = (
        await gql(
            client,
            ENROLL,
            {
                "input": {
                    "sessionId": session["id"],
                    "trainees": [{"firstName": "J", "lastName": "D"}],
                }
            },
            token=token,
        )
    ).ok()["enroll"]["enrollment"]
    invoiced = await factories.enrollment(
        registrant_email="paid@example.com",
        session=await CourseSession.get(id=int(session["id"])),
        status=EnrollmentStatus.INVOICED,
        seats=1,
    )
    await Trainee.create(enrollment=invoiced, first_name="P", last_name="Aid")
    await CourseSession.filter(id=int(session["id"])).update(seats_booked=4)  # its seat

    result = await gql(client, CANCEL, {"id": session["id"], "reason": "Trainer ill"}, token=staff)
    body = result.ok()["cancelSession"]
    assert body["session"]["status"] == "CANCELLED" and body["session"]["cancelledAt"]
    assert body["cancelledEnrollmentCount"] == 2 and body["invoicedEnrollmentCount"] == 1
    rows = {e.id: e for e in await Enrollment.all()}
    assert rows[int(french["id"])].status == "CANCELLED"
    assert rows[int(english["id"])].status == "CANCELLED"
    assert rows[int(english["id"])].cancel_reason == "Trainer ill"
    assert rows[invoiced.id].status == "INVOICED"
    assert (await CourseSession.get(id=int(session["id"]))).seats_booked == 1
    assert await seat_mismatches() == []

    mails = {m.to: m for m in await OutboxMail.filter(template__startswith="session_cancelled")}
    assert set(mails) == {"anne@example.com", "john@example.com", "paid@example.com"}
    assert "annulée sans frais" in mails["anne@example.com"].text_body
    assert "cancelled free of charge" in mails["john@example.com"].text_body
    assert f"{_soon(60)}, in Nantes" in mails["john@example.com"].text_body  # the offer
    assert mails["paid@example.com"].template == "session_cancelled_invoiced"
    audited = await AuditEntry.filter(action="session.cancelled").count()
    assert audited == 1
    assert await AuditEntry.filter(action="enrollment.cancelled").count() == 2

    again = await gql(client, CANCEL, {"id": session["id"], "reason": ""}, token=staff)
    assert again.codes == ["CONFLICT"]
    assert again.errors[0]["extensions"]["reason"] == "SESSION_CANCELLED"
    edit = await gql(
        client, UPDATE_SESSION, {"id": session["id"], "input": {"capacity": 50}}, token=staff
    )
    assert edit.codes == ["CONFLICT"]
