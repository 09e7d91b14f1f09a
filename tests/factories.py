"""Small builders for test data: real rows in the real database, no mocks.

Each builder takes only what a test cares about and fills the rest with valid values.
"""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from models.access import Access
from models.accounts import Account
from models.catalog import Course, CourseSession
from models.companies import Company, Establishment
from models.documents import Document
from models.enrollments import Enrollment
from models.enums import AccessRole, AccountKind, Channel, DocumentKind, EnrollmentStatus
from services.business_hours import add_business_hours
from services.login_sessions import start_session
from services.passwords import hash_password
from services.search import refresh_search_text

_sequence = itertools.count(1)
PASSWORD = "correct horse battery staple"
_PASSWORD_HASH: str | None = None


def _password_hash() -> str:
    global _PASSWORD_HASH
    if _PASSWORD_HASH is None:
        _PASSWORD_HASH = hash_password(PASSWORD)
    return _PASSWORD_HASH


async def account(
    email: str | None = None,
    *,
    is_staff: bool = False,
    kind: AccountKind = AccountKind.COMPANY,
    verified: bool = True,
    **fields: Any,
) -> Account:
    """An account whose password is `PASSWORD`. `verified` (the default): its owner proved
    they receive mail at its address, so it sees the history of that address (rule 4)."""
    number = next(_sequence)
    return await Account.create(
        email=(email or f"person{number}@example.com").lower(),
        password_hash=_password_hash(),
        email_verified_at=datetime.now(UTC) if verified else None,
        is_staff=is_staff,
        kind=kind.value,
        full_name=fields.pop("full_name", f"Person {number}"),
        **fields,
    )


async def token_for(person: Account) -> str:
    """A bearer token for `person`, as `logIn` would give."""
    return await start_session(person)


async def company(name: str | None = None) -> Company:
    return await Company.create(name=name or f"Company {next(_sequence)}")


async def establishment(of: Company | None = None, name: str | None = None) -> Establishment:
    number = next(_sequence)
    return await Establishment.create(
        company=of or await company(),
        siret=f"{number:014d}",
        name=name or f"Site {number}",
        city="Paris",
    )


async def access(
    person: Account,
    site: Establishment,
    role: AccessRole = AccessRole.STANDARD,
    kinds: list[DocumentKind] | None = None,
) -> Access:
    return await Access.create(
        account=person,
        establishment=site,
        role=role.value,
        document_kinds=[k.value for k in (kinds or [])],
    )


async def course_session(
    *, capacity: int = 20, price: str = "1000.00", code: str | None = None
) -> CourseSession:
    number = next(_sequence)
    course = await Course.create(
        code=code or f"C-{number}",
        title=f"Course {number}",
        duration_days=Decimal("2"),
        list_price=Decimal(price),
    )
    start = date(2027, 3, 1) + timedelta(days=number)
    return await CourseSession.create(
        course=course,
        starts_on=start,
        ends_on=start + timedelta(days=1),
        city="Lyon",
        capacity=capacity,
    )


async def enrollment(
    *,
    registrant_email: str,
    site: Establishment | None = None,
    status: EnrollmentStatus = EnrollmentStatus.PENDING_VALIDATION,
    channel: Channel = Channel.WEB,
    session: CourseSession | None = None,
    seats: int = 1,
    booked_at: datetime | None = None,
) -> Enrollment:
    session = session or await course_session()
    booked = booked_at or datetime.now(UTC)
    row = await Enrollment.create(
        reference=f"E-{next(_sequence):06d}",
        session=session,
        establishment=site,
        registrant_email=registrant_email.lower(),
        channel=channel.value,
        status=status.value,
        seats=seats,
        list_price_total=Decimal("1000.00") * seats,
        net_price_total=Decimal("1000.00") * seats,
        booked_at=booked,
        expected_validation_by=add_business_hours(booked, 24),
    )
    await refresh_search_text([row.id])
    return row


async def document(of: Enrollment, kind: DocumentKind, data: bytes | None = None) -> Document:
    """A document row with its bytes really stored."""
    from infra.pdf import simple_pdf
    from infra.storage import get_storage, put_bytes

    data = data or simple_pdf([f"{kind.value} of {of.reference}"])
    checksum = await put_bytes(get_storage(), data)
    return await Document.create(
        enrollment=of,
        kind=kind.value,
        filename=f"{of.reference}-{kind.value.lower()}.pdf",
        size=len(data),
        checksum=checksum,
    )
