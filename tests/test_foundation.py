"""The service runs: health check, migrations, catalog, anonymous `me`, demo data."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
from tortoise import Tortoise
from tortoise.exceptions import IntegrityError
from tortoise.migrations.autodetector import MigrationAutodetector

from models.access import Access
from models.accounts import Account
from models.catalog import Course
from models.companies import Establishment
from models.database import DatabaseNotMigrated, tortoise_config
from models.documents import Document
from models.enrollments import Enrollment
from models.enums import AccessRole, DocumentKind, EnrollmentStatus
from tests import factories
from tests.conftest import IS_POSTGRES
from tests.graphql import gql


async def test_healthz_reports_the_database(client):
    response = await client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["database"]) == ("ok", "up")
    assert body["policy"]["generation"] == 0  # development: the policy in force
    assert body["policy"]["lastRefused"] is None


async def test_me_is_null_when_anonymous(client):
    result = await gql(client, "{ me { id email } }")
    assert result.ok() == {"me": None}


async def test_me_with_an_unknown_token_is_anonymous(client):
    result = await gql(client, "{ me { id } }", token="not-a-real-token")
    assert result.ok() == {"me": None}


async def test_me_returns_the_signed_in_account(client):
    person = await factories.account("Alice@Example.com")
    token = await factories.token_for(person)
    result = await gql(client, "{ me { email kind isStaff phone } }", token=token)
    assert result.ok()["me"] == {
        "email": "alice@example.com",
        "kind": "COMPANY",
        "isStaff": False,
        "phone": "",
    }


async def test_catalog_lists_courses_with_sessions_and_list_prices(client):
    session = await factories.course_session(capacity=12, price="1490.50", code="MGT-1")
    await factories.enrollment(registrant_email="x@example.com", session=session)
    session.seats_booked = 3
    await session.save()
    result = await gql(
        client,
        "{ courses { code listPrice sessions { city capacity seatsLeft startsOn } } }",
    )
    courses = result.ok()["courses"]
    assert courses == [
        {
            "code": "MGT-1",
            "listPrice": "1490.50",
            "sessions": [
                {
                    "city": "Lyon",
                    "capacity": 12,
                    "seatsLeft": 9,
                    "startsOn": session.starts_on.isoformat(),
                }
            ],
        }
    ]


async def test_catalog_search_and_single_course(client):
    a = await factories.course_session(code="ABC-1")
    await factories.course_session(code="XYZ-2")
    found = await gql(client, '{ courses(search: "abc") { code } }')
    assert [c["code"] for c in found.ok()["courses"]] == ["ABC-1"]
    one = await gql(client, "query($id: ID!) { course(id: $id) { code } }", {"id": a.course_id})
    assert one.ok() == {"course": {"code": "ABC-1"}}


async def test_unknown_course_is_null_with_not_found(client):
    result = await gql(client, '{ course(id: "4242") { code } }')
    assert result.data == {"course": None}
    assert result.code_at("course") == "NOT_FOUND"


async def test_malformed_id_is_bad_user_input(client):
    result = await gql(client, '{ course(id: "abc") { code } }')
    assert result.code_at("course") == "BAD_USER_INPUT"


async def test_invalid_query_is_bad_user_input_without_a_500(client):
    response = await client.post("/graphql", json={"query": "{ nope }"})
    assert response.status_code == 200
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_graphiql_is_served_in_dev(client):
    response = await client.get("/graphql", headers={"accept": "text/html"})
    assert response.status_code == 200
    assert "graphiql" in response.text.lower()


# -- database constraints --------------------------------------------------------------


async def test_login_email_is_unique():
    await factories.account("same@example.com")
    with pytest.raises(IntegrityError):
        await Account.create(email="same@example.com")


async def test_siret_is_unique():
    site = await factories.establishment()
    with pytest.raises(IntegrityError):
        await Establishment.create(company_id=site.company_id, siret=site.siret, name="Twin")


async def test_one_access_per_account_and_establishment():
    person = await factories.account()
    site = await factories.establishment()
    await factories.access(person, site, AccessRole.ADMIN)
    with pytest.raises(IntegrityError):
        await Access.create(account=person, establishment=site, role="STANDARD")


async def test_enrollment_reference_is_unique():
    first = await factories.enrollment(registrant_email="a@example.com")
    with pytest.raises(IntegrityError):
        await Enrollment.create(
            reference=first.reference,
            session_id=first.session_id,
            registrant_email="b@example.com",
            channel="WEB",
            seats=1,
            list_price_total=1,
            net_price_total=1,
            booked_at=first.booked_at,
            expected_validation_by=first.expected_validation_by,
        )


async def test_a_document_needs_its_enrollment():
    with pytest.raises(IntegrityError):
        await Document.create(
            enrollment_id=999999, kind="EVALUATION", filename="x.pdf", size=1, checksum="0" * 64
        )


# -- migrations ------------------------------------------------------------------------


async def test_committed_migrations_match_the_models():
    """`tortoise makemigrations` would write nothing: the models and migrations agree."""
    apps_config = tortoise_config("sqlite://:memory:")["apps"]
    detector = MigrationAutodetector(Tortoise.apps, apps_config)
    writers = await detector.changes()
    assert [w.name for w in writers] == [], (
        "run: tortoise -c models.database.TORTOISE_ORM makemigrations"
    )


@pytest.mark.skipif(IS_POSTGRES, reason="uses its own SQLite file")
async def test_server_refuses_an_unmigrated_database():
    """Started on an empty database, the app refuses with the command to run."""
    from server import create_app
    from settings import Settings

    path = Path(tempfile.mkdtemp()) / "empty.sqlite3"
    settings = Settings(database_url=f"sqlite://{path}", secret_key="x")
    app = create_app(settings)
    # Tortoise's context is process-global: keep the test database's connections apart.
    saved = os.environ["DATABASE_URL"]
    try:
        with pytest.raises(DatabaseNotMigrated, match="espace migrate"):
            async with app.router.lifespan_context(app):
                pass
    finally:
        os.environ["DATABASE_URL"] = saved
        await Tortoise.init(config=tortoise_config(saved))


# -- demo data -------------------------------------------------------------------------


async def test_seed_demo_is_idempotent_and_covers_every_status_and_kind():
    from commands.demo_data import seed_demo

    await seed_demo()
    counts = {
        model.__name__: await model.all().count()
        for model in (Account, Establishment, Access, Course, Enrollment, Document)
    }
    await seed_demo()
    again = {
        model.__name__: await model.all().count()
        for model in (Account, Establishment, Access, Course, Enrollment, Document)
    }
    assert again == counts
    assert counts["Enrollment"] == 200
    statuses = set(await Enrollment.all().distinct().values_list("status", flat=True))
    assert statuses == {s.value for s in EnrollmentStatus}
    kinds = set(await Document.all().distinct().values_list("kind", flat=True))
    assert kinds == {k.value for k in DocumentKind}
    channels = set(await Enrollment.all().distinct().values_list("channel", flat=True))
    assert channels == {"WEB", "PHONE", "EMAIL"}
