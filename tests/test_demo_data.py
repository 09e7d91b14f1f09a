"""The demo data lives in the present: loaded on any day (a fixed clock passed to
`seed_demo`), it has history behind and sessions ahead, its orders hold their seats, and a
persona of the README (Claire) can enrol through GraphQL. `espace doctor` checks the seats.

The enrolment itself runs on the real clock (the API has no other), so the days tried are
today and later ones: sessions ahead of a later day are ahead of today too."""

from __future__ import annotations

import asyncio
import os
import sys
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest

from commands.demo_data import DEMO_PASSWORD, seed_demo
from models.catalog import CourseSession
from models.companies import Establishment
from models.enrollments import Enrollment
from models.enums import EnrollmentStatus
from services.accounts import valid_siret
from services.business_hours import PARIS
from services.catalog import seat_mismatches
from tests.graphql import gql

REPOSITORY = Path(__file__).resolve().parent.parent
LOG_IN = "mutation($e: String!, $p: String!) { logIn(email: $e, password: $p) { token } }"
CATALOG = "{ courses { code sessions { id startsOn city capacity seatsLeft status } } }"
ENROLL = """
mutation($input: EnrollInput!) {
  enroll(input: $input) { reference enrollment { status session { id seatsLeft } } }
}
"""


def _clock(days_from_today: int) -> datetime:
    day = datetime.now(PARIS).date() + timedelta(days=days_from_today)
    return datetime.combine(day, time(10), tzinfo=PARIS).astimezone(UTC)


@pytest.mark.parametrize("days_from_today", [0, 45, 365])
async def test_the_demo_loaded_on_any_day_lets_claire_enrol(client, days_from_today: int):
    now = _clock(days_from_today)
    today = now.astimezone(PARIS).date()
    await seed_demo(now, enrollments=40)

    assert await seat_mismatches() == []
    assert await Enrollment.all().count() == 40
    sessions = await CourseSession.all()
    assert any(s.starts_on < today - timedelta(days=90) for s in sessions)  # history
    assert any(s.starts_on > today + timedelta(days=150) for s in sessions)  # months ahead
    past_orders = await Enrollment.filter(session__starts_on__lte=today).count()
    assert past_orders == 20
    pending = await Enrollment.filter(status=EnrollmentStatus.PENDING_VALIDATION.value)
    sessions_by_id = {s.id: s for s in sessions}
    assert pending and all(
        sessions_by_id[e.session_id].starts_on > today  # type: ignore[attr-defined]
        for e in pending
    )
    assert all(e.booked_at <= now for e in await Enrollment.all())

    catalog = (await gql(client, CATALOG)).ok()["courses"]
    coming = [
        s
        for course in catalog
        if course["code"] == "MGT-101"
        for s in course["sessions"]
        if date.fromisoformat(s["startsOn"]) > today
    ]
    assert coming and any(s["seatsLeft"] < s["capacity"] for s in coming)  # demo orders count
    target = coming[0]

    token = (
        await gql(client, LOG_IN, {"e": "claire.admin@acme.example", "p": DEMO_PASSWORD})
    ).ok()["logIn"]["token"]
    sites = (await gql(client, "{ establishments { id name } }", token=token)).ok()
    (paris_id,) = [e["id"] for e in sites["establishments"] if e["name"] == "Acme Paris"]
    booked = await gql(
        client,
        ENROLL,
        {
            "input": {
                "sessionId": target["id"],
                "establishmentId": paris_id,
                "trainees": [{"firstName": "Léa", "lastName": "Roux"}],
            }
        },
        token=token,
    )
    answer = booked.ok()["enroll"]
    assert answer["enrollment"]["status"] == "PENDING_VALIDATION"
    assert answer["enrollment"]["session"]["seatsLeft"] == target["seatsLeft"] - 1
    assert await seat_mismatches() == []


async def test_seed_demo_run_later_keeps_the_calendar_full_and_adds_no_orders():
    await seed_demo(_clock(0), enrollments=40)
    first = await CourseSession.all().count()
    later = _clock(365)
    report = await seed_demo(later, enrollments=40)
    assert await Enrollment.all().count() == 40
    sessions = await CourseSession.all()
    assert len(sessions) > first
    ahead = [s for s in sessions if s.starts_on > later.date() + timedelta(days=150)]
    assert len(ahead) >= 8  # every course has sessions months ahead of the later day
    assert "sessions" in report
    assert await seat_mismatches() == []


async def test_every_demo_siret_passes_the_siret_check_and_doctor_checks_seats():
    await seed_demo(_clock(0), enrollments=40)
    sirets = await Establishment.all().values_list("siret", flat=True)
    assert len(sirets) == 5
    assert all(valid_siret(str(s)) for s in sirets), sirets

    code, output = await _doctor()
    assert code == 0, output
    assert "seats booked match" in output
    session = await CourseSession.filter(seats_booked__gt=0).order_by("id").first()
    assert session is not None
    await CourseSession.filter(id=session.id).update(seats_booked=session.seats_booked + 2)
    code, output = await _doctor()
    assert code == 1
    assert f"session {session.id}" in output
    assert f"{session.seats_booked + 2} seat(s) booked" in output
    assert f"{session.seats_booked} trainee(s)" in output


async def _doctor() -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        "from commands import main; main()",
        "doctor",
        cwd=REPOSITORY,
        env=dict(os.environ),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    assert process.returncode is not None
    return process.returncode, out.decode() + err.decode()
