"""Demo data that looks like a real portal, for `espace seed-demo` and `espace serve --demo`.

`seed_demo()` is idempotent: every row is found by a natural key (e-mail, SIRET, course code,
session start, enrollment reference) before it is created.

Dates are relative to the day it runs: sessions follow a fixed grid (one course every five
weeks, each course on its own week), and the sessions of the grid from five months ago to
seven months ahead are created. History sits on the sessions already run, booking requests
on the coming ones, so every README step works whatever the date; run again later, it adds
the sessions that keep the calendar full. Demo orders take their seats through the same
function as real orders (`services.enrollments.take_seats`), so `seatsLeft` counts them and
`espace doctor` finds seats booked equal to trainees.

Personas (password `DEMO_PASSWORD` for all):
  claire.admin@acme.example        ADMIN of Acme Paris and Acme Lyon
  samuel.standard@acme.example     STANDARD of Acme Paris: invoice copies and certificates only
  remi.registrant@acme.example     placed orders for Acme Paris, no access: a stranger to Acme
  bruno.admin@boreal.example       ADMIN of Boréal Nantes
  ines.martin@example.com          an individual customer
  sophie.staff@espace.example      back office
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from tortoise.transactions import in_transaction

from infra.pdf import simple_pdf
from infra.storage import get_storage, put_bytes
from models.access import Access
from models.accounts import Account
from models.catalog import Course, CourseSession
from models.companies import Company, Establishment, FrameworkAgreement, LoyaltyPass
from models.documents import Document
from models.enrollments import Enrollment, Invoice, Trainee
from models.enums import (
    AccessRole,
    AccountKind,
    Channel,
    DiscountSource,
    DocumentKind,
    EnrollmentStatus,
)
from services.business_hours import PARIS, add_business_hours
from services.enrollments import take_seats
from services.search import refresh_search_text

DEMO_PASSWORD = "espace-demo-2026"
ENROLLMENT_COUNT = 200

COURSES = [
    ("MGT-101", "Manager une équipe au quotidien", 3, "1890.00"),
    ("MGT-205", "Conduire le changement", 2, "1450.00"),
    ("COM-110", "Prise de parole en public", 2, "1290.00"),
    ("PRJ-300", "Gestion de projet : les fondamentaux", 3, "1750.00"),
    ("RH-150", "Recruter sans discriminer", 1, "790.00"),
    ("FIN-120", "La finance pour non-financiers", 2, "1390.00"),
    ("NUM-400", "Piloter la transformation numérique", 2, "1590.00"),
    ("BUR-010", "Excel : tableaux croisés dynamiques", 1, "590.00"),
]
CITIES = ["Paris", "Lyon", "Lille", "Nantes", "Bordeaux"]
FIRST_NAMES = ["Alice", "Bastien", "Chloé", "David", "Emma", "Farid", "Gaëlle", "Hugo", "Jade"]
LAST_NAMES = ["Bernard", "Dubois", "Lefèvre", "Moreau", "Nguyen", "Petit", "Roux", "Simon"]

# Session grid: course number i runs every CYCLE_DAYS from GRID_START + i weeks (Mondays).
GRID_START = date(2026, 1, 5)
CYCLE_DAYS = 35
HISTORY_DAYS = 150  # sessions kept from this long ago...
AHEAD_DAYS = 210  # ...to this far ahead of the day the demo is loaded
CAPACITY = 16

# Orders on sessions already run, and on coming sessions (rule 13's stages).
PAST_STATUSES = [
    EnrollmentStatus.INVOICED,
    EnrollmentStatus.INVOICED,
    EnrollmentStatus.PARTIALLY_INVOICED,
    EnrollmentStatus.VALIDATED,
    EnrollmentStatus.CANCELLED,
]
COMING_STATUSES = [
    EnrollmentStatus.PENDING_VALIDATION,
    EnrollmentStatus.VALIDATED,
    EnrollmentStatus.PENDING_VALIDATION,
    EnrollmentStatus.PARTIALLY_INVOICED,
    EnrollmentStatus.VALIDATED,
    EnrollmentStatus.CANCELLED,
]


async def _account(
    email: str,
    full_name: str,
    password_hash: str,
    *,
    kind: AccountKind = AccountKind.COMPANY,
    company: Company | None = None,
    is_staff: bool = False,
    phone: str = "",
) -> Account:
    account, _ = await Account.get_or_create(
        email=email,
        defaults={
            "full_name": full_name,
            "password_hash": password_hash,
            "kind": kind.value,
            "company": company,
            "is_staff": is_staff,
            "phone": phone,
            "email_verified_at": datetime.now(UTC),
        },
    )
    if account.email_verified_at is None:  # seeded before e-mail verification existed
        account.email_verified_at = datetime.now(UTC)
        await account.save(update_fields=["email_verified_at", "updated_at"])
    return account


async def _establishment(company: Company, siret: str, name: str, city: str) -> Establishment:
    """By SIRET; an establishment of an older demo found by name gets its SIRET corrected."""
    establishment = await Establishment.get_or_none(siret=siret)
    if establishment is not None:
        return establishment
    establishment = await Establishment.get_or_none(company=company, name=name)
    if establishment is not None:
        establishment.siret = siret
        await establishment.save(update_fields=["siret"])
        return establishment
    return await Establishment.create(company=company, siret=siret, name=name, city=city)


def session_starts(index: int, today: date) -> list[tuple[int, date]]:
    """(grid number, start) of course `index`'s sessions around `today`."""
    first = GRID_START + timedelta(weeks=index)
    low, high = today - timedelta(days=HISTORY_DAYS), today + timedelta(days=AHEAD_DAYS)
    number = max((low - first).days // CYCLE_DAYS, 0)
    starts = []
    while (start := first + timedelta(days=CYCLE_DAYS * number)) <= high:
        if start >= low:
            starts.append((number, start))
        number += 1
    return starts


async def _access(
    account: Account, establishment: Establishment, role: AccessRole, kinds: list[str]
) -> None:
    await Access.get_or_create(
        account=account,
        establishment=establishment,
        defaults={"role": role.value, "document_kinds": kinds},
    )


async def seed_demo(now: datetime | None = None, *, enrollments: int = ENROLLMENT_COUNT) -> str:
    """Load the demo data as of `now` (default: now); a one-line report of what it did.
    `enrollments`: how many demo orders (tests load fewer: their PDFs are the slow part)."""
    from services.passwords import hash_password

    now = now or datetime.now(UTC)
    today = now.astimezone(PARIS).date()
    before = await Enrollment.all().count()
    sessions_before = await CourseSession.all().count()
    rng = random.Random(2026)  # the same data on every machine
    password_hash = hash_password(DEMO_PASSWORD)
    storage = get_storage()

    async with in_transaction():
        acme, _ = await Company.get_or_create(name="Acme Industries")
        boreal, _ = await Company.get_or_create(name="Boréal Conseil")
        acme_paris = await _establishment(acme, "55210055400013", "Acme Paris", "Paris")
        acme_lyon = await _establishment(acme, "55210055400021", "Acme Lyon", "Lyon")
        acme_lille = await _establishment(acme, "55210055400039", "Acme Lille", "Lille")
        boreal_nantes = await _establishment(boreal, "41234567800012", "Boréal Nantes", "Nantes")
        boreal_bdx = await _establishment(boreal, "41234567800020", "Boréal Bordeaux", "Bordeaux")
        await FrameworkAgreement.get_or_create(
            company=acme,
            defaults={
                "reference": "AC-ACME-2026",
                "discount_percent": Decimal("12.00"),
                "prices_updated_at": now - timedelta(days=60),
            },
        )
        if not await LoyaltyPass.filter(company=boreal).exists():
            await LoyaltyPass.create(
                company=boreal,
                discount_percent=Decimal("5.00"),
                valid_from=today - timedelta(days=365),
                valid_until=today + timedelta(days=730),
            )

        claire = await _account(
            "claire.admin@acme.example",
            "Claire Admin",
            password_hash,
            company=acme,
            phone="+33 1 40 00 00 01",
        )
        samuel = await _account(
            "samuel.standard@acme.example", "Samuel Standard", password_hash, company=acme
        )
        remi = await _account(
            "remi.registrant@acme.example",
            "Rémi Registrant",
            password_hash,
            company=acme,
            phone="+33 6 00 00 00 03",
        )
        bruno = await _account(
            "bruno.admin@boreal.example", "Bruno Admin", password_hash, company=boreal
        )
        ines = await _account(
            "ines.martin@example.com", "Inès Martin", password_hash, kind=AccountKind.INDIVIDUAL
        )
        await _account("sophie.staff@espace.example", "Sophie Staff", password_hash, is_staff=True)
        await _access(claire, acme_paris, AccessRole.ADMIN, [])
        await _access(claire, acme_lyon, AccessRole.ADMIN, [])
        await _access(
            samuel,
            acme_paris,
            AccessRole.STANDARD,
            [DocumentKind.INVOICE_COPY.value, DocumentKind.CERTIFICATE_OF_ATTENDANCE.value],
        )
        await _access(bruno, boreal_nantes, AccessRole.ADMIN, [])

        sessions: list[CourseSession] = []
        for index, (code, title, days, price) in enumerate(COURSES):
            course, _ = await Course.get_or_create(
                code=code,
                defaults={
                    "title": title,
                    "summary": f"{title} : méthodes, mises en situation et plan d'action.",
                    "duration_days": Decimal(days),
                    "list_price": Decimal(price),
                },
            )
            for number, start in session_starts(index, today):
                session, _ = await CourseSession.get_or_create(
                    course=course,
                    starts_on=start,
                    defaults={
                        "ends_on": start + timedelta(days=days - 1),
                        "city": CITIES[(index + number) % len(CITIES)],
                        "capacity": CAPACITY,
                    },
                )
                sessions.append(session)

        registrants = [
            (acme_paris, remi.email),
            (acme_paris, claire.email),
            (acme_paris, "paul.autre@acme.example"),
            (acme_lyon, claire.email),
            (acme_lyon, "lea.lyon@acme.example"),
            (acme_lille, "marc.lille@acme.example"),
            (boreal_nantes, bruno.email),
            (boreal_bdx, "nina.bdx@boreal.example"),
            (None, ines.email),
        ]
        sessions.sort(key=lambda row: (row.starts_on, row.id))
        past = [row for row in sessions if row.starts_on <= today]
        coming = [row for row in sessions if row.starts_on > today]
        for number in range(1, enrollments + 1):
            reference = f"DEMO-{number:04d}"
            if await Enrollment.filter(reference=reference).exists():
                continue
            establishment, email = registrants[number % len(registrants)]
            on_past = number % 2 == 0  # half history, half coming orders
            pool = past if on_past else coming
            session = pool[(number // 2) % len(pool)]
            course = await Course.get(id=session.course_id)
            seats = 1 + number % 3
            mix = PAST_STATUSES if on_past else COMING_STATUSES
            status = mix[(number // 2) % len(mix)]
            channel = [Channel.WEB, Channel.WEB, Channel.PHONE, Channel.EMAIL][number % 4]
            booked_at = _booked_at(session.starts_on, number, rng, now)
            list_total = course.list_price * seats
            discount = DiscountSource.NONE
            net_total = list_total
            if establishment is not None and establishment.company_id == acme.id:
                discount = DiscountSource.FRAMEWORK_AGREEMENT
                net_total = (list_total * Decimal("0.88")).quantize(Decimal("0.01"))
            if status != EnrollmentStatus.CANCELLED:
                await take_seats(session.id, seats)  # as a real order does
            enrollment = await Enrollment.create(
                reference=reference,
                session=session,
                establishment=establishment,
                registrant_email=email,
                registrant_name=email.split("@")[0].replace(".", " ").title(),
                channel=channel.value,
                status=status.value,
                seats=seats,
                list_price_total=list_total,
                net_price_total=net_total,
                discount_source=discount.value,
                booked_at=booked_at,
                expected_validation_by=add_business_hours(booked_at, 24),
                validated_at=(
                    min(booked_at + timedelta(hours=20), now)
                    if status not in (EnrollmentStatus.PENDING_VALIDATION,)
                    else None
                ),
                cancelled_at=(
                    min(booked_at + timedelta(days=2), now)
                    if status == EnrollmentStatus.CANCELLED
                    else None
                ),
                invoiced_total=(
                    net_total
                    if status == EnrollmentStatus.INVOICED
                    else (net_total / 2).quantize(Decimal("0.01"))
                    if status == EnrollmentStatus.PARTIALLY_INVOICED
                    else Decimal("0")
                ),
            )
            for seat in range(seats):
                await Trainee.create(
                    enrollment=enrollment,
                    first_name=rng.choice(FIRST_NAMES),
                    last_name=rng.choice(LAST_NAMES),
                    email=f"trainee{number}.{seat}@example.org",
                )
            if status in (EnrollmentStatus.PARTIALLY_INVOICED, EnrollmentStatus.INVOICED):
                await Invoice.create(
                    enrollment=enrollment,
                    number=f"F-{reference}",
                    amount=enrollment.invoiced_total,
                    total=enrollment.invoiced_total,
                    is_final=status == EnrollmentStatus.INVOICED,
                )
            kinds = _document_kinds(status)
            for kind in kinds:
                data = simple_pdf(
                    [
                        kind.value.replace("_", " ").title(),
                        f"Enrollment {reference} - {course.title}",
                        f"Session {session.starts_on.isoformat()} ({session.city})",
                    ]
                )
                checksum = await put_bytes(storage, data)
                await Document.create(
                    enrollment=enrollment,
                    kind=kind.value,
                    filename=f"{reference}-{kind.value.lower()}.pdf",
                    size=len(data),
                    checksum=checksum,
                    generated=True,
                )

    unindexed = await Enrollment.filter(search_text="").values_list("id", flat=True)
    await refresh_search_text(list(unindexed))  # type: ignore[arg-type]
    created = await Enrollment.all().count() - before
    added = await CourseSession.all().count() - sessions_before
    return (
        f"Demo data ready as of {today.isoformat()}: {added} sessions and {created} "
        f"enrollments created, {before} enrollments already there."
    )


def _booked_at(starts_on: date, number: int, rng: random.Random, now: datetime) -> datetime:
    """A moment 10 to 50 days before the session, in the past, at office hours."""
    day = starts_on - timedelta(days=10 + rng.randint(0, 40))
    moment = datetime.combine(day, time(9 + number % 8), tzinfo=PARIS).astimezone(UTC)
    if moment >= now:  # a coming session booked these last weeks
        moment = now - timedelta(hours=3 + 7 * (number % 60))
    return moment


def _document_kinds(status: EnrollmentStatus) -> list[DocumentKind]:
    """Which documents exist at each stage of an order (all eight once invoiced)."""
    if status == EnrollmentStatus.PENDING_VALIDATION:
        return [DocumentKind.PURCHASE_ORDER]
    if status == EnrollmentStatus.CANCELLED:
        return [DocumentKind.PURCHASE_ORDER, DocumentKind.SIGNED_QUOTE]
    if status == EnrollmentStatus.VALIDATED:
        return [
            DocumentKind.PURCHASE_ORDER,
            DocumentKind.SIGNED_QUOTE,
            DocumentKind.TRAINING_AGREEMENT,
            DocumentKind.FUNDING_APPROVAL,
        ]
    return list(DocumentKind)
