"""Prices (rules 10, 11): framework-agreement discounts show only after a first validated
enrollment and change only at the weekend; loyalty passes show only on invoices.

Acme has a framework agreement (15 %); Rémi places its orders. Boréal has a loyalty pass
(10 %); Bruno places its orders. Sophie is staff.
"""

from __future__ import annotations

import asyncio
import os
import sys
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

from models.companies import Company, FrameworkAgreement, LoyaltyPass
from models.enums import AccessRole, EnrollmentStatus
from services import pricing
from tests import factories
from tests.graphql import gql

PRICES = """
{ courses { code price { listPrice netPrice discountPercent discountSource pricesUpdatedAt } } }
"""
REPOSITORY = Path(__file__).resolve().parent.parent
ENROLL = """
mutation($input: EnrollInput!) {
  enroll(input: $input) { enrollment { id listPriceTotal netPriceTotal discountSource } }
}
"""
VALIDATE = "mutation($id: ID!) { validateEnrollment(id: $id) { status } }"
INVOICE = """
mutation($id: ID!, $amount: Decimal!) {
  recordInvoice(id: $id, amount: $amount, final: true) {
    invoice { amount loyaltyDiscountPercent loyaltyDiscountAmount total }
    enrollment { status invoicedTotal invoices { total } }
  }
}
"""
WEDNESDAY = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
FRIDAY_NIGHT_IN_PARIS = datetime(2026, 11, 27, 22, 30, tzinfo=UTC)  # 23:30 in Paris
SATURDAY_IN_PARIS = datetime(2026, 11, 27, 23, 30, tzinfo=UTC)  # 00:30 on Saturday in Paris


async def _company_with_registrant(name: str, email: str):
    company = await factories.company(name)
    site = await factories.establishment(company, f"{name} Paris")
    person = await factories.account(email, company=company)
    await factories.access(person, site, AccessRole.ADMIN)
    return company, site, await factories.token_for(person)


async def _price(client, token: str | None) -> dict:
    result = await gql(client, PRICES, token=token)
    [course] = [c for c in result.ok()["courses"] if c["code"] == "PRICED"]
    return course["price"]


def _enroll_input(session, site) -> dict:
    return {
        "input": {
            "sessionId": str(session.id),
            "establishmentId": str(site.id),
            "trainees": [{"firstName": "Léa", "lastName": "Martin"}],
        }
    }


async def _acme_agreement(percent: str = "15.00") -> FrameworkAgreement:
    acme = await Company.get(name="Acme")
    return await FrameworkAgreement.create(
        company=acme, reference="AC-ACME", discount_percent=Decimal(percent)
    )


async def test_framework_price_appears_only_after_the_first_validation(client):
    _, paris, remi = await _company_with_registrant("Acme", "remi@acme.example")
    _, _, bruno = await _company_with_registrant("Boréal", "bruno@boreal.example")
    await _acme_agreement()
    session = await factories.course_session(price="1200.00", code="PRICED")
    sophie = await factories.token_for(await factories.account(is_staff=True))
    list_price = {
        "listPrice": "1200.00",
        "netPrice": "1200.00",
        "discountPercent": "0",
        "discountSource": "NONE",
        "pricesUpdatedAt": None,
    }

    # Before any validated enrollment, Rémi sees and pays the list price.
    assert await _price(client, remi) == list_price
    first = (await gql(client, ENROLL, _enroll_input(session, paris), remi)).ok()
    assert first["enroll"]["enrollment"]["netPriceTotal"] == "1200.00"
    assert first["enroll"]["enrollment"]["discountSource"] == "NONE"
    assert await _price(client, remi) == list_price  # placed, not validated yet

    await gql(client, VALIDATE, {"id": first["enroll"]["enrollment"]["id"]}, sophie)
    discounted = await _price(client, remi)
    assert discounted["netPrice"] == "1020.00"
    assert discounted["discountSource"] == "FRAMEWORK_AGREEMENT"
    assert Decimal(discounted["discountPercent"]) == Decimal(15)
    second = (await gql(client, ENROLL, _enroll_input(session, paris), remi)).ok()
    assert second["enroll"]["enrollment"] == {
        "id": second["enroll"]["enrollment"]["id"],
        "listPriceTotal": "1200.00",
        "netPriceTotal": "1020.00",
        "discountSource": "FRAMEWORK_AGREEMENT",
    }

    # Other companies and anonymous visitors keep the list price.
    assert await _price(client, bruno) == list_price
    assert await _price(client, None) == list_price


async def test_loyalty_discount_shows_on_the_invoice_only(client):
    boreal, site, bruno = await _company_with_registrant("Boréal", "bruno@boreal.example")
    await LoyaltyPass.create(
        company=boreal,
        discount_percent=Decimal("10.00"),
        valid_from=date(2020, 1, 1),
        valid_until=date(2099, 12, 31),
    )
    session = await factories.course_session(price="1200.00", code="PRICED")
    sophie = await factories.token_for(await factories.account(is_staff=True))

    assert (await _price(client, bruno))["netPrice"] == "1200.00"
    booked = (await gql(client, ENROLL, _enroll_input(session, site), bruno)).ok()
    enrollment = booked["enroll"]["enrollment"]
    assert (enrollment["netPriceTotal"], enrollment["discountSource"]) == ("1200.00", "NONE")

    await gql(client, VALIDATE, {"id": enrollment["id"]}, sophie)
    invoiced = await gql(client, INVOICE, {"id": enrollment["id"], "amount": "1200"}, sophie)
    body = invoiced.ok()["recordInvoice"]
    assert body["invoice"] == {
        "amount": "1200.00",
        "loyaltyDiscountPercent": "10.00",
        "loyaltyDiscountAmount": "120.00",
        "total": "1080.00",
    }
    assert body["enrollment"]["status"] == "INVOICED"
    assert body["enrollment"]["invoicedTotal"] == "1080.00"
    seen = await gql(
        client,
        "query($id: ID!) { enrollment(id: $id) { invoices { loyaltyDiscountAmount total } } }",
        {"id": enrollment["id"]},
        bruno,
    )
    assert seen.ok()["enrollment"]["invoices"] == [
        {"loyaltyDiscountAmount": "120.00", "total": "1080.00"}
    ]


async def test_agreement_changes_reach_prices_only_at_the_weekend(client):
    _, paris, remi = await _company_with_registrant("Acme", "remi@acme.example")
    agreement = await _acme_agreement("15.00")
    session = await factories.course_session(price="1000.00", code="PRICED")
    validated = await factories.enrollment(
        registrant_email="remi@acme.example",
        site=paris,
        status=EnrollmentStatus.VALIDATED,
        session=session,
    )
    validated.validated_at = WEDNESDAY
    await validated.save()

    await pricing.queue_agreement_change(
        agreement.company_id,
        Decimal("20"),
        actor=None,
        now=WEDNESDAY,
    )
    assert (await _price(client, remi))["netPrice"] == "850.00"  # queued, not applied

    for weekday in (WEDNESDAY, FRIDAY_NIGHT_IN_PARIS):
        run = await pricing.apply_price_updates(now=weekday)
        assert run.skipped and not run.applied
    assert (await _price(client, remi))["netPrice"] == "850.00"

    run = await pricing.apply_price_updates(now=SATURDAY_IN_PARIS)
    assert [a.id for a in run.applied] == [agreement.id]
    price = await _price(client, remi)
    assert price["netPrice"] == "800.00"
    assert datetime.fromisoformat(price["pricesUpdatedAt"]) == SATURDAY_IN_PARIS
    stored = await FrameworkAgreement.get(id=agreement.id)
    assert stored.pending_discount_percent is None
    # A second run the same weekend has nothing left to apply.
    assert (await pricing.apply_price_updates(now=SATURDAY_IN_PARIS)).applied == []


async def test_staff_may_force_an_update_on_a_weekday():
    await factories.company("Acme")
    agreement = await _acme_agreement("15.00")
    await pricing.queue_agreement_change(
        agreement.company_id,
        Decimal("12.5"),
        actor=None,
        now=WEDNESDAY,
    )
    run = await pricing.apply_price_updates(now=WEDNESDAY, force=True)
    assert not run.skipped
    stored = await FrameworkAgreement.get(id=agreement.id)
    assert stored.discount_percent == Decimal("12.50")
    assert stored.prices_updated_at == WEDNESDAY


async def test_the_command_applies_queued_changes_with_now():
    await factories.company("Acme")
    agreement = await _acme_agreement("15.00")
    await pricing.queue_agreement_change(
        agreement.company_id,
        Decimal("18"),
        actor=None,
        now=WEDNESDAY,
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        "from commands import main; main()",
        "apply-price-updates",
        "--now",
        cwd=REPOSITORY,
        env=dict(os.environ),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    assert process.returncode == 0, err.decode()
    assert "AC-ACME: discount now 18.00 %" in out.decode()
    assert (await FrameworkAgreement.get(id=agreement.id)).discount_percent == Decimal("18.00")


async def test_staff_queue_an_agreement_change_that_waits_for_the_weekend(client):
    _, paris, remi = await _company_with_registrant("Acme", "remi@acme.example")
    agreement = await _acme_agreement("15.00")
    session = await factories.course_session(price="1000.00", code="PRICED")
    validated = await factories.enrollment(
        registrant_email="remi@acme.example",
        site=paris,
        status=EnrollmentStatus.VALIDATED,
        session=session,
    )
    validated.validated_at = WEDNESDAY
    await validated.save()
    sophie = await factories.token_for(await factories.account(is_staff=True))
    change = """
    mutation($company: ID!, $percent: Decimal!) {
      queueFrameworkAgreementChange(companyId: $company, discountPercent: $percent) {
        reference discountPercent pendingDiscountPercent
      }
    }
    """
    variables = {"company": str(agreement.company_id), "percent": "25"}
    assert (await gql(client, change, variables, remi)).codes == ["FORBIDDEN"]
    bad = await gql(client, change, {**variables, "percent": "140"}, sophie)
    assert bad.codes == ["BAD_USER_INPUT"]
    queued = (await gql(client, change, variables, sophie)).ok()["queueFrameworkAgreementChange"]
    assert queued == {
        "reference": "AC-ACME",
        "discountPercent": "15.00",
        "pendingDiscountPercent": "25",
    }
    assert (await _price(client, remi))["netPrice"] == "850.00"
    await pricing.apply_price_updates(now=SATURDAY_IN_PARIS)
    assert (await _price(client, remi))["netPrice"] == "750.00"
