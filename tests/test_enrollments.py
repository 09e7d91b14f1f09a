"""The enrollment life cycle through GraphQL, told with personas (rules 2, 5, 9, 13, 14).

Acme has two establishments, Paris and Lyon. Claire is admin of Acme Paris, Samuel has a
standard access to it (invoice copies not included), Rémi is an Acme employee whose only
access is a standard one to Acme Marseille without any document kind: that access proves he
is a member of Acme, so he books for Paris and Lyon without seeing their history. Bruno
works for Boréal, another company. Inès is an individual. Sophie is staff.
"""

from __future__ import annotations

import asyncio
import os
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from models.access import Access
from models.accounts import Account
from models.audit import AuditEntry
from models.catalog import CourseSession
from models.companies import Establishment
from models.enrollments import Enrollment, Invoice, PostponementRequest
from models.enums import AccessRole, AccountKind, Channel, DocumentKind, EnrollmentStatus
from models.mail import OutboxMail
from policies.engine import Policy
from services import enrollments
from services.business_hours import PARIS, add_business_hours
from services.login_sessions import viewer_for_account
from tests import factories
from tests.graphql import GraphQLResult, gql
from tests.test_query_counts import counting_sql

REPOSITORY = Path(__file__).resolve().parent.parent
ENROLL = """
mutation($input: EnrollInput!) {
  enroll(input: $input) {
    reference inYourHistory becameAdmin
    enrollment {
      id status channel seats registrantEmail listPriceTotal netPriceTotal discountSource
      bookedAt expectedValidationBy session { id seatsLeft }
      trainees { firstName lastName }
    }
  }
}
"""
FIELDS = "id status invoicedTotal validatedAt cancelledAt cancelReason"
VALIDATE = f"mutation($id: ID!) {{ validateEnrollment(id: $id) {{ {FIELDS} }} }}"
CANCEL = f"""mutation($id: ID!, $reason: String!) {{
  cancelEnrollment(id: $id, reason: $reason) {{ {FIELDS} }} }}"""
INVOICE = """
mutation($id: ID!, $amount: Decimal!, $final: Boolean!) {
  recordInvoice(id: $id, amount: $amount, final: $final) {
    invoice { number amount total final loyaltyDiscountPercent loyaltyDiscountAmount }
    enrollment { status invoicedTotal invoices { number } }
  }
}
"""
POSTPONE = """
mutation($id: ID!, $sessionId: ID!, $message: String!) {
  requestPostponement(id: $id, sessionId: $sessionId, message: $message) {
    session { id }
    pendingPostponement { id status message requestedSession { id } }
  }
}
"""
ANSWER = """
mutation($requestId: ID!, $approve: Boolean!, $answer: String!) {
  answerPostponement(requestId: $requestId, approve: $approve, answer: $answer) {
    session { id seatsLeft } pendingPostponement { id }
  }
}
"""
OFFLINE = """
mutation($input: OfflineEnrollmentInput!) {
  recordOfflineEnrollment(input: $input) {
    accountCreated registrantBecameAdmin
    enrollment { id status channel registrantEmail establishmentId }
  }
}
"""


@dataclass
class Acme:
    paris: Establishment
    lyon: Establishment
    claire: str
    samuel: str
    remi: str
    remi_account: Account
    bruno: str
    ines: str
    sophie: str
    session: CourseSession


async def _acme() -> Acme:
    acme = await factories.company("Acme")
    paris = await factories.establishment(acme, "Acme Paris")
    lyon = await factories.establishment(acme, "Acme Lyon")
    claire = await factories.account("claire@acme.example", company=acme)
    samuel = await factories.account("samuel@acme.example", company=acme)
    remi = await factories.account("remi@acme.example", company=acme, full_name="Rémi R")
    await factories.access(claire, paris, AccessRole.ADMIN)
    await factories.access(samuel, paris, AccessRole.STANDARD, [DocumentKind.TRAINING_AGREEMENT])
    await factories.access(remi, await factories.establishment(acme, "Acme Marseille"))
    boreal = await factories.company("Boréal")
    bruno = await factories.account("bruno@boreal.example", company=boreal)
    await factories.access(bruno, await factories.establishment(boreal), AccessRole.ADMIN)
    ines = await factories.account("ines@example.com", kind=AccountKind.INDIVIDUAL)
    sophie = await factories.account("sophie@espace.example", is_staff=True)
    # Paris already has an enrollment: nobody becomes its admin by enrolling.
    await factories.enrollment(registrant_email="claire@acme.example", site=paris)
    return Acme(
        paris=paris,
        lyon=lyon,
        claire=await factories.token_for(claire),
        samuel=await factories.token_for(samuel),
        remi=await factories.token_for(remi),
        remi_account=remi,
        bruno=await factories.token_for(bruno),
        ines=await factories.token_for(ines),
        sophie=await factories.token_for(sophie),
        session=await factories.course_session(capacity=10, price="1200.00"),
    )


def _request(session: CourseSession, site: Establishment | None, n: int = 1, **extra) -> dict:
    return {
        "input": {
            "sessionId": str(session.id),
            "establishmentId": str(site.id) if site else None,
            "trainees": [{"firstName": f"T{i}", "lastName": "Doe"} for i in range(n)],
            **extra,
        }
    }


async def _enroll(client, world: Acme, token: str, site=None, n: int = 1, **extra) -> dict:
    result = await gql(client, ENROLL, _request(world.session, site, n, **extra), token)
    return result.ok()["enroll"]


def _conflict_status(result: GraphQLResult, field: str) -> str | None:
    assert result.codes == ["CONFLICT"], result.errors
    return result.error_at(field)["extensions"].get("currentStatus")


async def _mails(template: str) -> list[OutboxMail]:
    return await OutboxMail.filter(template=template).order_by("id")


async def test_remi_books_two_trainees_for_acme_paris(client):
    world = await _acme()
    booked = await _enroll(client, world, world.remi, world.paris, n=2)
    enrollment = booked["enrollment"]
    assert booked["inYourHistory"] is True
    assert booked["becameAdmin"] is False
    assert enrollment["status"] == "PENDING_VALIDATION"
    assert enrollment["channel"] == "WEB"
    assert enrollment["seats"] == 2
    assert enrollment["registrantEmail"] == "remi@acme.example"
    assert enrollment["listPriceTotal"] == "2400.00"
    assert enrollment["session"]["seatsLeft"] == 8
    assert [t["firstName"] for t in enrollment["trainees"]] == ["T0", "T1"]
    booked_at = datetime.fromisoformat(enrollment["bookedAt"])
    assert datetime.fromisoformat(enrollment["expectedValidationBy"]) == add_business_hours(
        booked_at, 24
    )
    entry = await AuditEntry.get(action="enrollment.booked")
    assert entry.actor_email == "remi@acme.example"
    assert entry.after["status"] == "PENDING_VALIDATION"


async def test_first_validated_enrollment_of_lyon_makes_remi_its_admin(client):
    world = await _acme()
    first = await _enroll(client, world, world.remi, world.lyon)
    assert first["becameAdmin"] is False  # booking makes nobody admin...
    assert not await Access.exists(account__email="remi@acme.example", establishment=world.lyon)
    claire_in_lyon = await _enroll(client, world, world.claire, world.lyon)
    # ...staff validating the establishment's first enrollment does (rule 9).
    validated = await gql(client, VALIDATE, {"id": first["enrollment"]["id"]}, world.sophie)
    validated.ok()
    access = await Access.get(account__email="remi@acme.example", establishment=world.lyon)
    assert access.role == "ADMIN"
    entry = await AuditEntry.get(action="access.granted_first_enrollment")
    assert (entry.actor_email, entry.establishment_id) == ("sophie@espace.example", world.lyon.id)
    # Now an admin, Rémi sees Lyon's whole history, including Claire's order there...
    listed = await gql(client, "{ enrollments { totalCount } }", token=world.remi)
    assert listed.ok()["enrollments"]["totalCount"] == 2
    # ...while Claire does not become admin of Lyon when her (second) order is validated.
    second = await gql(client, VALIDATE, {"id": claire_in_lyon["enrollment"]["id"]}, world.sophie)
    second.ok()
    assert not await Access.exists(account__email="claire@acme.example", establishment=world.lyon)


async def test_a_company_account_cannot_enrol_for_another_company(client):
    world = await _acme()
    result = await gql(client, ENROLL, _request(world.session, world.paris), world.bruno)
    assert result.codes == ["NOT_FOUND"]
    anonymous = await gql(client, ENROLL, _request(world.session, world.paris))
    assert anonymous.codes == ["UNAUTHENTICATED"]
    assert await Enrollment.filter(session=world.session).count() == 0


async def test_another_registrant_email_leaves_the_enrollment_out_of_ines_history(client):
    world = await _acme()
    booked = await _enroll(client, world, world.ines, registrantEmail="Training@Example.org")
    assert booked["inYourHistory"] is False
    assert booked["enrollment"] is None  # Inès may not see it: not hers by e-mail (rule 5)
    row = await Enrollment.get(reference=booked["reference"])
    assert row.registrant_email == "training@example.org"
    assert row.establishment_id is None
    listed = await gql(client, "{ enrollments { totalCount } }", token=world.ines)
    assert listed.ok()["enrollments"]["totalCount"] == 0


async def test_booking_more_seats_than_left_is_a_conflict(client):
    world = await _acme()
    world.session.capacity = 3
    await world.session.save()
    await _enroll(client, world, world.remi, world.paris, n=2)
    result = await gql(client, ENROLL, _request(world.session, world.paris, 2), world.remi)
    assert result.codes == ["CONFLICT"]
    assert result.error_at("enroll")["extensions"]["seatsLeft"] == 1
    assert (await CourseSession.get(id=world.session.id)).seats_booked == 2


async def test_an_enrollment_walks_every_status_by_the_right_people(client):
    world = await _acme()
    enrollment_id = (await _enroll(client, world, world.remi, world.paris))["enrollment"]["id"]
    by_id = {"id": enrollment_id}

    # Only staff validate; an outsider does not even learn that the enrollment exists.
    assert (await gql(client, VALIDATE, by_id, world.claire)).codes == ["FORBIDDEN"]
    assert (await gql(client, VALIDATE, by_id, world.bruno)).codes == ["NOT_FOUND"]
    # Invoicing before validation skips a step.
    early = await gql(client, INVOICE, {**by_id, "amount": "100", "final": False}, world.sophie)
    assert _conflict_status(early, "recordInvoice") == "PENDING_VALIDATION"

    validated = (await gql(client, VALIDATE, by_id, world.sophie)).ok()["validateEnrollment"]
    assert validated["status"] == "VALIDATED"
    assert validated["validatedAt"] is not None
    [mail] = await _mails("enrollment_validated")
    assert mail.to == "remi@acme.example"
    assert "confirmée" in mail.subject
    again = await gql(client, VALIDATE, by_id, world.sophie)
    assert _conflict_status(again, "validateEnrollment") == "VALIDATED"

    # Invoicing is staff's: the admin of the establishment is refused.
    refused = await gql(client, INVOICE, {**by_id, "amount": "400", "final": False}, world.claire)
    assert refused.codes == ["FORBIDDEN"]
    first = await gql(client, INVOICE, {**by_id, "amount": "400", "final": False}, world.sophie)
    assert first.ok()["recordInvoice"]["enrollment"]["status"] == "PARTIALLY_INVOICED"
    second = await gql(client, INVOICE, {**by_id, "amount": "300", "final": False}, world.sophie)
    assert second.ok()["recordInvoice"]["enrollment"]["status"] == "PARTIALLY_INVOICED"

    # Partly invoiced: no longer cancellable online, by the registrant or the admin.
    for token in (world.remi, world.claire):
        assert (await gql(client, CANCEL, {**by_id, "reason": "x"}, token)).codes == ["FORBIDDEN"]

    last = await gql(client, INVOICE, {**by_id, "amount": "500", "final": True}, world.sophie)
    invoiced = last.ok()["recordInvoice"]
    assert invoiced["enrollment"]["status"] == "INVOICED"
    assert invoiced["enrollment"]["invoicedTotal"] == "1200.00"
    assert [i["number"] for i in invoiced["enrollment"]["invoices"]] == [
        invoiced["invoice"]["number"].rsplit("-", 1)[0] + f"-{n}" for n in (1, 2, 3)
    ]

    # INVOICED is final: nothing moves it any more, not even staff.
    late = await gql(client, CANCEL, {**by_id, "reason": "too late"}, world.sophie)
    assert _conflict_status(late, "cancelEnrollment") == "INVOICED"
    more = await gql(client, INVOICE, {**by_id, "amount": "1", "final": True}, world.sophie)
    assert _conflict_status(more, "recordInvoice") == "INVOICED"

    moves = await AuditEntry.filter(target_type="Enrollment").order_by("id")
    assert [(m.action, (m.before or {}).get("status"), m.after["status"]) for m in moves] == [
        ("enrollment.booked", None, "PENDING_VALIDATION"),
        ("enrollment.validated", "PENDING_VALIDATION", "VALIDATED"),
        ("enrollment.invoiced", "VALIDATED", "PARTIALLY_INVOICED"),
        ("enrollment.invoiced", "PARTIALLY_INVOICED", "PARTIALLY_INVOICED"),
        ("enrollment.invoiced", "PARTIALLY_INVOICED", "INVOICED"),
    ]
    assert {m.actor_email for m in moves[1:]} == {"sophie@espace.example"}


async def test_cancelling_by_registrant_admin_and_the_wrong_people(client):
    world = await _acme()
    mine = (await _enroll(client, world, world.remi, world.paris, n=2))["enrollment"]["id"]
    other = (await _enroll(client, world, world.remi, world.paris))["enrollment"]["id"]

    # Bruno cannot see it; Samuel sees it but a standard access does not cancel.
    assert (await gql(client, CANCEL, {"id": mine, "reason": ""}, world.bruno)).codes == [
        "NOT_FOUND"
    ]
    assert (await gql(client, CANCEL, {"id": mine, "reason": ""}, world.samuel)).codes == [
        "FORBIDDEN"
    ]

    cancelled = await gql(client, CANCEL, {"id": mine, "reason": "Budget cut"}, world.remi)
    body = cancelled.ok()["cancelEnrollment"]
    assert body["status"] == "CANCELLED"
    assert body["cancelReason"] == "Budget cut"
    twice = await gql(client, CANCEL, {"id": mine, "reason": "again"}, world.remi)
    assert _conflict_status(twice, "cancelEnrollment") == "CANCELLED"
    [mail] = await _mails("enrollment_cancelled")
    assert mail.to == "remi@acme.example"
    assert "Budget cut" in mail.text_body
    # The seats came back: 10 - 3 booked + 2 freed.
    assert (await CourseSession.get(id=world.session.id)).seats_booked == 1

    # Claire, admin of Paris, may cancel Rémi's other order.
    by_admin = await gql(client, CANCEL, {"id": other, "reason": ""}, world.claire)
    assert by_admin.ok()["cancelEnrollment"]["status"] == "CANCELLED"
    assert len(await _mails("enrollment_cancelled")) == 2


async def test_an_order_taken_by_phone_is_cancelled_by_staff_only(client):
    world = await _acme()
    phone = await factories.enrollment(
        registrant_email="remi@acme.example", site=world.paris, channel=Channel.PHONE
    )
    by_id = {"id": str(phone.id), "reason": "changed plans"}
    assert (await gql(client, CANCEL, by_id, world.remi)).codes == ["FORBIDDEN"]
    assert (await gql(client, CANCEL, by_id, world.claire)).codes == ["FORBIDDEN"]
    staff = await gql(client, CANCEL, by_id, world.sophie)
    assert staff.ok()["cancelEnrollment"]["status"] == "CANCELLED"


async def test_postponement_is_a_request_that_staff_answer(client):
    world = await _acme()
    enrollment_id = (await _enroll(client, world, world.remi, world.paris, n=2))["enrollment"]["id"]
    later = await CourseSession.create(
        course_id=world.session.course_id,
        starts_on=world.session.starts_on.replace(year=world.session.starts_on.year + 1),
        ends_on=world.session.ends_on.replace(year=world.session.ends_on.year + 1),
        city="Nantes",
        capacity=5,
    )
    ask = {"id": enrollment_id, "sessionId": str(later.id), "message": "Our team is busy"}
    assert (await gql(client, POSTPONE, ask, world.bruno)).codes == ["NOT_FOUND"]
    assert (await gql(client, POSTPONE, ask, world.samuel)).codes == ["FORBIDDEN"]
    asked = (await gql(client, POSTPONE, ask, world.remi)).ok()["requestPostponement"]
    pending = asked["pendingPostponement"]
    assert pending["status"] == "PENDING"
    assert pending["requestedSession"]["id"] == str(later.id)
    assert asked["session"]["id"] == str(world.session.id)  # nothing moves before staff answer
    assert (await gql(client, POSTPONE, ask, world.claire)).codes == ["CONFLICT"]
    [received] = await _mails("postponement_requested")
    assert received.to == "remi@acme.example"

    # The admin sees the pending request in the history list too.
    listed = await gql(
        client, "{ enrollments { nodes { pendingPostponement { message } } } }", token=world.claire
    )
    messages = [n["pendingPostponement"] for n in listed.ok()["enrollments"]["nodes"]]
    assert {"message": "Our team is busy"} in messages

    answer = {"requestId": pending["id"], "approve": True, "answer": "Done"}
    assert (await gql(client, ANSWER, answer, world.remi)).codes == ["FORBIDDEN"]
    moved = (await gql(client, ANSWER, answer, world.sophie)).ok()["answerPostponement"]
    assert moved["session"] == {"id": str(later.id), "seatsLeft": 3}
    assert moved["pendingPostponement"] is None
    assert (await CourseSession.get(id=world.session.id)).seats_booked == 0
    assert (await gql(client, ANSWER, answer, world.sophie)).codes == ["CONFLICT"]
    [told] = await _mails("postponement_answered")
    assert "acceptée" in told.subject


async def test_staff_record_a_phone_order_for_an_unknown_registrant(client):
    world = await _acme()
    order = {
        "input": {
            "sessionId": str(world.session.id),
            "establishmentId": str(world.lyon.id),
            "trainees": [{"firstName": "Léa", "lastName": "Martin"}],
            "registrantEmail": "Nadia@Acme.example",
            "registrantName": "Nadia Benali",
            "channel": "PHONE",
        }
    }
    assert (await gql(client, OFFLINE, order, world.claire)).codes == ["FORBIDDEN"]
    web = {"input": {**order["input"], "channel": "WEB"}}
    assert (await gql(client, OFFLINE, web, world.sophie)).codes == ["BAD_USER_INPUT"]

    recorded = (await gql(client, OFFLINE, order, world.sophie)).ok()["recordOfflineEnrollment"]
    assert recorded["accountCreated"] is True
    assert recorded["registrantBecameAdmin"] is False  # rule 9 applies at validation
    assert recorded["enrollment"]["channel"] == "PHONE"
    assert recorded["enrollment"]["status"] == "PENDING_VALIDATION"
    nadia = await Account.get(email="nadia@acme.example")
    assert nadia.password_hash is None
    assert nadia.company_id is None  # typing her address proves nothing: no membership
    [link] = await _mails("set_password")
    assert link.to == "nadia@acme.example"
    assert "set-password?token=" in link.text_body

    # A second order for her creates no second account and sends no second link.
    again = (await gql(client, OFFLINE, order, world.sophie)).ok()["recordOfflineEnrollment"]
    assert again["accountCreated"] is False
    assert len(await _mails("set_password")) == 1

    # Staff validate Lyon's first order: Nadia has not proven her address, so she is not
    # admin yet; she becomes admin when she follows her set-password link (rule 9).
    validate = {"id": recorded["enrollment"]["id"]}
    (await gql(client, VALIDATE, validate, world.sophie)).ok()
    assert not await Access.exists(account=nadia)
    reset = "mutation($t: String!) { resetPassword(token: $t, newPassword: $p) { token } }"
    reset = reset.replace("$t: String!)", "$t: String!, $p: String!)")
    token = link.text_body.split("token=")[1].split()[0]
    (await gql(client, reset, {"t": token, "p": "nadia's own long passphrase"})).ok()
    assert (await Access.get(account=nadia, establishment=world.lyon)).role == "ADMIN"


async def test_staff_see_the_overdue_validations(client):
    world = await _acme()
    long_ago = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    overdue = await factories.enrollment(
        registrant_email="remi@acme.example", site=world.paris, booked_at=long_ago
    )
    await factories.enrollment(
        registrant_email="remi@acme.example",
        site=world.paris,
        booked_at=long_ago,
        status=EnrollmentStatus.VALIDATED,
    )
    await _enroll(client, world, world.remi, world.paris)  # just booked: not late yet
    query = "{ overdueValidations { id expectedValidationBy viewerCanCancel } }"
    assert (await gql(client, query, token=world.claire)).codes == ["FORBIDDEN"]
    listed = (await gql(client, query, token=world.sophie)).ok()["overdueValidations"]
    assert [row["id"] for row in listed] == [str(overdue.id)]
    assert listed[0]["viewerCanCancel"] is True  # staff may cancel a pending request


async def test_samuel_does_not_see_invoices_without_invoice_copies(client):
    world = await _acme()
    enrollment_id = (await _enroll(client, world, world.remi, world.paris))["enrollment"]["id"]
    await gql(client, VALIDATE, {"id": enrollment_id}, world.sophie)
    await gql(client, INVOICE, {"id": enrollment_id, "amount": "1200", "final": True}, world.sophie)
    query = "query($id: ID!) { enrollment(id: $id) { status invoices { total } } }"
    seen = {}
    for name in ("remi", "claire", "samuel"):
        result = await gql(client, query, {"id": enrollment_id}, getattr(world, name))
        seen[name] = result.ok()["enrollment"]["invoices"]
    assert seen == {"remi": [{"total": "1200.00"}], "claire": [{"total": "1200.00"}], "samuel": []}


async def test_enroll_service_sets_the_validation_deadline_on_a_fixed_clock(policy: Policy):
    world = await _acme()
    friday = datetime(2026, 11, 20, 16, 30, tzinfo=PARIS)
    actor = enrollments.Actor(await viewer_for_account(world.remi_account), world.remi_account)
    booking = await enrollments.enroll(
        policy,
        actor,
        enrollments.EnrollmentRequest(
            session_id=world.session.id,
            trainees=[enrollments.TraineeInput("Léa", "Martin")],
            establishment_id=world.paris.id,
        ),
        now=friday,
    )
    row = await Enrollment.get(id=booking.enrollment.id)
    assert row.expected_validation_by == datetime(2026, 11, 23, 16, 30, tzinfo=PARIS)
    assert row.net_price_total == Decimal("1200.00")


async def test_the_overdue_validations_command_lists_late_requests():
    site = await factories.establishment()
    late = await factories.enrollment(
        registrant_email="remi@acme.example",
        site=site,
        booked_at=datetime(2026, 1, 5, 9, 0, tzinfo=UTC),
    )
    await factories.enrollment(registrant_email="remi@acme.example", site=site)
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        "from commands import main; main()",
        "overdue-validations",
        cwd=REPOSITORY,
        env=dict(os.environ),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    assert process.returncode == 0, err.decode()
    lines = out.decode().splitlines()
    assert lines[0].startswith(f"{late.reference}  due 2026-01-06 09:00 UTC")
    assert lines[-1] == "1 overdue validation(s)."


async def test_lists_with_postponements_invoices_and_prices_cost_fixed_queries(client):
    """A page asking for pending postponements and invoices, and the catalog asking for the
    viewer's prices, cost the same number of SQL queries for 2 rows as for 6."""
    world = await _acme()

    async def statements(query: str) -> int:
        with counting_sql() as counter:
            (await gql(client, query, token=world.claire)).ok()
        return len(counter.statements)

    page = "{ enrollments { nodes { pendingPostponement { id } invoices { total } } } }"
    catalog = "{ courses { price { netPrice discountSource } } }"
    small = (await statements(page), await statements(catalog))
    for _ in range(4):
        row = await factories.enrollment(registrant_email="remi@acme.example", site=world.paris)
        await Invoice.create(
            enrollment=row, number=f"F-{row.reference}", amount=1, total=1, is_final=False
        )
        await PostponementRequest.create(enrollment=row, requested_session=world.session)
    assert (await statements(page), await statements(catalog)) == small


async def test_staff_cancel_a_partly_invoiced_order_the_customer_no_longer_can(client):
    world = await _acme()
    partly = await factories.enrollment(
        registrant_email="remi@acme.example",
        site=world.paris,
        status=EnrollmentStatus.PARTIALLY_INVOICED,
    )
    by_id = {"id": str(partly.id), "reason": "Company closed"}
    assert (await gql(client, CANCEL, by_id, world.remi)).codes == ["FORBIDDEN"]
    cancelled = (await gql(client, CANCEL, by_id, world.sophie)).ok()["cancelEnrollment"]
    assert cancelled["status"] == "CANCELLED"
    entry = await AuditEntry.get(action="enrollment.cancelled")
    assert (entry.actor_email, entry.before, entry.after["status"]) == (
        "sophie@espace.example",
        {"status": "PARTIALLY_INVOICED"},
        "CANCELLED",
    )


async def test_before_verifying_her_address_an_enrollment_is_not_said_to_be_in_her_history(
    client,
):
    """The answer to `enroll` follows the policy: an unverified login e-mail has no history
    yet (rules 4, 5), so the booking is not announced as part of it."""
    world = await _acme()
    newcomer = await factories.account(
        "newcomer@example.com", kind=AccountKind.INDIVIDUAL, verified=False
    )
    booked = await _enroll(client, world, await factories.token_for(newcomer))
    assert booked["inYourHistory"] is False
    assert booked["enrollment"] is None
    row = await Enrollment.get(reference=booked["reference"])
    assert row.registrant_email == "newcomer@example.com"
