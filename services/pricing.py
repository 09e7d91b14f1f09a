"""Prices: list price, framework-agreement discounts and loyalty passes (rules 10, 11).

* A company's framework-agreement discount applies (in the catalog and when enrolling) only
  once one of the company's enrollments has been validated by staff (rule 10), and the
  catalog shows it only to the company's members (the policy's `see_negotiated_prices`).
* Changes to an agreement are queued (`pending_discount_percent`) and reach the prices once a
  week, at the weekend, when `apply_price_updates` runs (rule 10).
* Loyalty pass discounts are never applied when enrolling: only on invoices (rule 11).

Times are passed in (`now=`) so that tests run on a fixed clock.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

from tortoise.transactions import in_transaction

from models.accounts import Account
from models.companies import Company, FrameworkAgreement, LoyaltyPass
from models.enrollments import Enrollment
from models.enums import DiscountSource
from policies.engine import Policy, Viewer
from services import audit
from services.business_hours import PARIS
from services.errors import BadUserInput, NotFound

CENT = Decimal("0.01")
HUNDRED = Decimal(100)


@dataclass(frozen=True)
class Discount:
    """A discount in percent and where it comes from."""

    percent: Decimal = Decimal(0)
    source: DiscountSource = DiscountSource.NONE
    prices_updated_at: datetime | None = None


NO_DISCOUNT = Discount()


@dataclass(frozen=True)
class Price:
    """A price as one viewer sees it."""

    list_price: Decimal
    net_price: Decimal
    discount_percent: Decimal
    source: DiscountSource
    prices_updated_at: datetime | None


def money(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def discounted(amount: Decimal, percent: Decimal) -> Decimal:
    """`amount` less `percent` %, rounded to the cent."""
    return money(amount * (HUNDRED - percent) / HUNDRED)


def price_of(list_price: Decimal, discount: Discount) -> Price:
    return Price(
        list_price=list_price,
        net_price=discounted(list_price, discount.percent),
        discount_percent=discount.percent,
        source=discount.source,
        prices_updated_at=discount.prices_updated_at,
    )


async def framework_discount(company_id: int | None) -> Discount:
    """The framework-agreement discount of a company, once it is in force for it (rule 10):
    the company has an agreement and one of its enrollments was validated. Two queries."""
    if company_id is None:
        return NO_DISCOUNT
    agreement = await FrameworkAgreement.get_or_none(company_id=company_id)
    if agreement is None:
        return NO_DISCOUNT
    validated_once = await Enrollment.filter(
        establishment__company_id=company_id, validated_at__isnull=False
    ).exists()
    if not validated_once:
        return NO_DISCOUNT
    return Discount(
        percent=agreement.discount_percent,
        source=DiscountSource.FRAMEWORK_AGREEMENT,
        prices_updated_at=agreement.prices_updated_at,
    )


def priced_company(policy: Policy, viewer: Viewer | None) -> int | None:
    """The company whose negotiated prices the catalog shows this viewer (rule 10), or None
    for list prices. Who sees a company's prices is the policy's question
    (`see_negotiated_prices`: its members, proven by an access); among the companies of the
    viewer's accesses the first one it allows is used."""
    if viewer is None:
        return None
    candidates = sorted({g.company_id for g in viewer.accesses if g.company_id is not None})
    for company_id in candidates:
        company = Company.construct(_saved_in_db=True, id=company_id)
        if policy.is_allowed(viewer, "see_negotiated_prices", company):
            return company_id
    return None


async def loyalty_discount_percent(company_id: int | None, on: date) -> Decimal:
    """The best loyalty pass discount of a company valid on `on`, 0 without one (rule 11).
    Used only when invoicing."""
    if company_id is None:
        return Decimal(0)
    percents = await LoyaltyPass.filter(
        company_id=company_id, valid_from__lte=on, valid_until__gte=on
    ).values_list("discount_percent", flat=True)
    return max((Decimal(p) for p in percents), default=Decimal(0))


# --- agreement changes, applied at the weekend (rule 10) ---------------------------------


def is_weekend(now: datetime) -> bool:
    """Saturday or Sunday in Paris."""
    return now.astimezone(PARIS).weekday() >= 5


async def queue_agreement_change(
    company_id: int, discount_percent: Decimal, *, actor: Account | None, now: datetime
) -> FrameworkAgreement:
    """Record a new discount for a company's agreement. Customers see it only after the
    next weekend price update (`apply_price_updates`)."""
    if not discount_percent.is_finite() or not Decimal(0) <= discount_percent <= HUNDRED:
        raise BadUserInput("A discount is between 0 and 100 %.", field="discountPercent")
    async with in_transaction():
        agreement = await FrameworkAgreement.filter(company_id=company_id).first()
        if agreement is None:
            raise NotFound("Framework agreement")
        before = {"pendingDiscountPercent": _text(agreement.pending_discount_percent)}
        agreement.pending_discount_percent = discount_percent
        agreement.pending_since = now
        await agreement.save(update_fields=["pending_discount_percent", "pending_since"])
        await audit.record(
            "framework_agreement.change_queued",
            actor=actor,
            actor_email="" if actor else "system",
            target_type="FrameworkAgreement",
            target_id=agreement.id,
            before=before,
            after={"pendingDiscountPercent": _text(discount_percent)},
        )
    return agreement


async def change_agreement(
    policy: Policy,
    viewer: Viewer,
    account: Account,
    company_id: int,
    discount_percent: Decimal,
    *,
    now: datetime,
) -> FrameworkAgreement:
    """Staff queue a new discount for a company's agreement (decided by the policy)."""
    policy.authorize(
        viewer,
        "update_framework_agreement",
        viewer,
        read_action=None,
        message="Only staff change framework agreements.",
    )
    return await queue_agreement_change(company_id, discount_percent, actor=account, now=now)


@dataclass
class PriceUpdateRun:
    """What `apply_price_updates` did. `skipped` when it refused to run on a weekday."""

    skipped: bool = False
    applied: list[FrameworkAgreement] = field(default_factory=list)


async def apply_price_updates(*, now: datetime, force: bool = False) -> PriceUpdateRun:
    """Apply every queued agreement change, only on Saturday or Sunday unless `force`.

    Each agreement moves with a compare-and-set UPDATE on its pending value, so two runs at
    the same moment apply a change once. `prices_updated_at` records when prices changed.
    """
    if not force and not is_weekend(now):
        return PriceUpdateRun(skipped=True)
    run = PriceUpdateRun()
    for agreement in await FrameworkAgreement.filter(pending_discount_percent__isnull=False):
        pending = agreement.pending_discount_percent
        async with in_transaction():
            moved = await FrameworkAgreement.filter(
                id=agreement.id, pending_discount_percent=pending
            ).update(
                discount_percent=pending,
                pending_discount_percent=None,
                pending_since=None,
                prices_updated_at=now,
            )
            if not moved:
                continue
            await audit.record(
                "framework_agreement.prices_applied",
                actor_email="system",
                target_type="FrameworkAgreement",
                target_id=agreement.id,
                before={"discountPercent": _text(agreement.discount_percent)},
                after={"discountPercent": _text(pending), "pricesUpdatedAt": now.isoformat()},
            )
        run.applied.append(await FrameworkAgreement.get(id=agreement.id))
    return run


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)
