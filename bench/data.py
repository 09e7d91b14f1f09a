"""The benchmark's data set: Acme Paris with 1,000 enrollments x 8 documents, and a big
second company (Boréal, several sites, many more enrollments booked over the same period)
so that the authorization filters have rows to leave out."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from tortoise import Tortoise
from tortoise.migrations.api.migrate import migrate

from models.access import Access
from models.accounts import Account
from models.catalog import Course, CourseSession
from models.companies import Company, Establishment
from models.database import tortoise_config
from models.documents import Document
from models.enrollments import Enrollment
from models.enums import AccessRole, AccountKind, Channel, DocumentKind, EnrollmentStatus
from services.login_sessions import start_session

ACME_ENROLLMENTS = 1000
OTHER_SITES = 4
OTHER_ENROLLMENTS_PER_SITE = 1500
STANDARD_KINDS = [DocumentKind.INVOICE_COPY, DocumentKind.CERTIFICATE_OF_ATTENDANCE]
STATUSES = list(EnrollmentStatus)
CHANNELS = list(Channel)
START = datetime(2025, 1, 6, 8, 0, tzinfo=UTC)


@dataclass
class DataSet:
    """What the cases need to know about the rows built."""

    site_id: int
    admin_token: str
    admin_email: str
    standard_token: str
    standard_email: str
    enrollments: int
    documents: int


async def open_database(url: str) -> None:
    await migrate(config=tortoise_config(url))
    await Tortoise.close_connections()
    await Tortoise.init(config=tortoise_config(url))


async def _enrollments(
    site: Establishment | None, sessions: list[CourseSession], count: int, prefix: str, offset: int
) -> None:
    rows = []
    for i in range(count):
        booked = START + timedelta(minutes=37 * (i * (OTHER_SITES + 1) + offset))
        seats = 1 + i % 3
        status = STATUSES[i % len(STATUSES)]
        rows.append(
            Enrollment(
                reference=f"{prefix}-{i:06d}",
                session=sessions[i % len(sessions)],
                establishment=site,
                registrant_email=f"buyer{i % 40}@{prefix.lower()}.example",
                registrant_name=f"Buyer {i % 40}",
                channel=CHANNELS[i % len(CHANNELS)].value,
                status=status.value,
                seats=seats,
                list_price_total=Decimal("1200.00") * seats,
                net_price_total=Decimal("1080.00") * seats,
                invoiced_total=Decimal("0.00"),
                booked_at=booked,
                expected_validation_by=booked + timedelta(days=1),
                validated_at=booked + timedelta(hours=5) if i % 2 else None,
                cancelled_at=(
                    booked + timedelta(days=2) if status == EnrollmentStatus.CANCELLED else None
                ),
                cancel_reason="Plans changed" if status == EnrollmentStatus.CANCELLED else "",
            )
        )
    await Enrollment.bulk_create(rows, batch_size=500)
    ids = await Enrollment.filter(reference__startswith=f"{prefix}-").values_list("id", flat=True)
    documents = []
    for enrollment_id in ids:
        for n, kind in enumerate(DocumentKind):
            checksum = hashlib.sha256(f"{enrollment_id}-{kind}".encode()).hexdigest()
            documents.append(
                Document(
                    enrollment_id=enrollment_id,
                    kind=kind.value,
                    filename=f"{prefix}-{enrollment_id}-{kind.value.lower()}.pdf",
                    size=10_000 + n,
                    checksum=checksum,
                    generated=True,
                )
            )
    await Document.bulk_create(documents, batch_size=1000)


async def build() -> DataSet:
    """Fill the (migrated, empty) database and open sessions for the personas."""
    courses = [
        await Course.create(
            code=f"BEN-{n:03d}",
            title=f"Course number {n}",
            duration_days=Decimal("2"),
            list_price=Decimal("1200.00"),
        )
        for n in range(10)
    ]
    sessions = [
        await CourseSession.create(
            course=courses[n % len(courses)],
            starts_on=date(2025, 3, 1) + timedelta(days=n),
            ends_on=date(2025, 3, 2) + timedelta(days=n),
            city="Lyon",
            capacity=500,
        )
        for n in range(30)
    ]
    acme = await Company.create(name="Acme")
    site = await Establishment.create(company=acme, siret="10000000000001", name="Acme Paris")
    boreal = await Company.create(name="Boréal")
    await _enrollments(site, sessions, ACME_ENROLLMENTS, "ACME", 0)
    for n in range(OTHER_SITES):
        other = await Establishment.create(
            company=boreal, siret=f"2000000000000{n}", name=f"Boréal {n}"
        )
        await _enrollments(other, sessions, OTHER_ENROLLMENTS_PER_SITE, f"BOR{n}", n + 1)
    admin = await Account.create(
        email="claire.admin@acme.example", kind=AccountKind.COMPANY.value, company=acme
    )
    standard = await Account.create(
        email="samuel.standard@acme.example", kind=AccountKind.COMPANY.value, company=acme
    )
    await Access.create(account=admin, establishment=site, role=AccessRole.ADMIN.value)
    await Access.create(
        account=standard,
        establishment=site,
        role=AccessRole.STANDARD.value,
        document_kinds=[k.value for k in STANDARD_KINDS],
    )
    return DataSet(
        site_id=site.id,
        admin_token=await start_session(admin),
        admin_email=admin.email,
        standard_token=await start_session(standard),
        standard_email=standard.email,
        enrollments=await Enrollment.all().count(),
        documents=await Document.all().count(),
    )
