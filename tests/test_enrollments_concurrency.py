"""Concurrent requests through the HTTP app on PostgreSQL: the last seats of a session are
never overbooked, and one enrollment is cancelled once, with one mail (rules 13, 14)."""

from __future__ import annotations

import asyncio

import pytest

from models.catalog import CourseSession
from models.enrollments import Enrollment
from models.enums import AccessRole
from models.mail import OutboxMail
from tests import factories
from tests.conftest import IS_POSTGRES
from tests.graphql import gql

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not IS_POSTGRES, reason="needs DATABASE_URL to point at PostgreSQL"),
]

ENROLL = """
mutation($input: EnrollInput!) { enroll(input: $input) { enrollment { id } } }
"""
CANCEL = 'mutation($id: ID!) { cancelEnrollment(id: $id, reason: "no") { status } }'


async def test_concurrent_bookings_never_take_more_than_the_last_seats(client):
    """Eight people of eight different establishments race for the last three seats: no lock
    on an establishment serializes them, only the conditional UPDATE of the session."""
    session = await factories.course_session(capacity=12)
    await CourseSession.filter(id=session.id).update(seats_booked=9)  # 3 seats left
    tokens, requests = [], []
    for number in range(8):
        company = await factories.company(f"Company {number}")
        site = await factories.establishment(company)
        person = await factories.account(f"registrant{number}@example.com", company=company)
        await factories.access(person, site, AccessRole.STANDARD)
        tokens.append(await factories.token_for(person))
        requests.append(
            {
                "input": {
                    "sessionId": str(session.id),
                    "establishmentId": str(site.id),
                    "trainees": [{"firstName": "Léa", "lastName": "Martin"}],
                }
            }
        )
    results = await asyncio.gather(
        *(gql(client, ENROLL, v, t) for v, t in zip(requests, tokens, strict=True))
    )
    codes = sorted(tuple(r.codes) for r in results)
    assert codes == [()] * 3 + [("CONFLICT",)] * 5
    assert (await CourseSession.get(id=session.id)).seats_booked == 12
    assert await Enrollment.filter(session=session).count() == 3


async def test_concurrent_cancellations_succeed_once_with_one_mail(client):
    acme = await factories.company("Acme")
    paris = await factories.establishment(acme)
    remi = await factories.account("remi@acme.example", company=acme)
    claire = await factories.account("claire@acme.example", company=acme)
    await factories.access(claire, paris, AccessRole.ADMIN)
    session = await factories.course_session(capacity=10)
    await CourseSession.filter(id=session.id).update(seats_booked=2)
    enrollment = await factories.enrollment(
        registrant_email="remi@acme.example", site=paris, session=session, seats=2
    )
    tokens = [await factories.token_for(remi), await factories.token_for(claire)] * 3
    results = await asyncio.gather(
        *(gql(client, CANCEL, {"id": str(enrollment.id)}, t) for t in tokens)
    )
    succeeded = [r for r in results if not r.errors]
    assert len(succeeded) == 1
    assert sorted(r.codes for r in results if r.errors) == [["CONFLICT"]] * 5
    for refused in (r for r in results if r.errors):
        assert refused.errors[0]["extensions"]["currentStatus"] == "CANCELLED"
    assert await OutboxMail.filter(template="enrollment_cancelled").count() == 1
    assert (await CourseSession.get(id=session.id)).seats_booked == 0


async def test_concurrent_bookings_of_one_account_stay_within_its_limit(client):
    """One unverified account fires eight booking requests at once: its limit of pending
    requests (3 while unverified) holds, because its bookings are serialized."""
    session = await factories.course_session(capacity=50)
    hoarder = await factories.account("hoarder@example.com", verified=False)
    token = await factories.token_for(hoarder)
    request = {
        "input": {
            "sessionId": str(session.id),
            "trainees": [{"firstName": "Léa", "lastName": "Martin"}],
        }
    }
    results = await asyncio.gather(*(gql(client, ENROLL, request, token) for _ in range(8)))
    codes = sorted(tuple(r.codes) for r in results)
    assert codes == [()] * 3 + [("CONFLICT",)] * 5
    reasons = {r.errors[0]["extensions"]["reason"] for r in results if r.errors}
    assert reasons == {"BOOKING_LIMIT"}
    assert await Enrollment.filter(session=session).count() == 3
