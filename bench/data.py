"""The benchmark's data set, at production shape (issue 20).

`PRODUCTION`: 100,000 enrollments with 8 documents each (800,000 documents). Acme has three
establishments of 20,000 (`big`), 1,000 (`medium`) and 10 (`small`) enrollments; the rest
is spread over filler establishments of other companies, and a few enrollments of
individuals (no establishment). Bookings of every establishment span the same period.

Personas, both with a verified e-mail (so the policy's `registrant_email` branch is live):
- Claire, ADMIN of the three Acme establishments, and registrant of some orders of filler
  establishments (she sees those too, with every document kind);
- Samuel, STANDARD on the three Acme establishments with two document kinds (invoice copies,
  certificates), and registrant of one order in 25 of the big and medium establishments (on
  those rows he sees every kind) and of some filler orders.

Enrollments and documents are written with COPY (PostgreSQL, asyncpg) or one `executemany`
(SQLite); the few other rows through the ORM. The schema comes from the real migrations;
`VACUUM ANALYZE` (PostgreSQL) or `ANALYZE` (SQLite) follows the load.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from tortoise import Tortoise, connections
from tortoise.migrations.api.migrate import migrate

from models.access import Access
from models.accounts import Account
from models.catalog import Course, CourseSession
from models.companies import Company, Establishment
from models.database import tortoise_config
from models.enums import AccessRole, AccountKind, Channel, DocumentKind, EnrollmentStatus

# Bump when what `load` writes changes: a database holding another version is rebuilt.
DATA_VERSION = "issue20-v2"

ADMIN_EMAIL = "claire.admin@acme.example"
STANDARD_EMAIL = "samuel.standard@acme.example"
STANDARD_KINDS = (DocumentKind.INVOICE_COPY, DocumentKind.CERTIFICATE_OF_ATTENDANCE)
ALL_KINDS = tuple(DocumentKind)
STATUSES = list(EnrollmentStatus)
CHANNELS = list(Channel)
START = datetime(2024, 1, 8, 8, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Shape:
    """How many rows of each kind."""

    total: int = 100_000
    big: int = 20_000
    medium: int = 1_000
    small: int = 10
    filler_companies: int = 30
    filler_sites: int = 300
    individuals: int = 3_000  # enrollments with no establishment
    courses: int = 40
    sessions: int = 240
    # One enrollment in `registrant_every` of the big and medium sites is Samuel's own order;
    # one in `registrant_every` of the filler ones is Claire's, one in 2x that Samuel's.
    registrant_every: int = 25

    def key(self) -> str:
        return ",".join(f"{k}={v}" for k, v in asdict(self).items())


PRODUCTION = Shape()
# The fairness test's data set: the same structure, a few hundred rows.
TINY = Shape(
    total=400,
    big=120,
    medium=40,
    small=3,
    filler_companies=2,
    filler_sites=6,
    individuals=20,
    courses=4,
    sessions=8,
    registrant_every=5,
)


@dataclass
class DataSet:
    """What the cases need to know about the rows."""

    big_id: int
    medium_id: int
    small_id: int
    admin_email: str
    standard_email: str
    enrollments: int
    documents: int
    shape: Shape
    admin_token: str = ""
    standard_token: str = ""

    def site(self, size: str) -> int:
        return {"big": self.big_id, "medium": self.medium_id, "small": self.small_id}[size]

    def token(self, persona: str) -> str:
        return self.admin_token if persona == "admin" else self.standard_token

    def email(self, persona: str) -> str:
        return self.admin_email if persona == "admin" else self.standard_email


def migration_names() -> list[str]:
    """The committed migrations, so that a new one makes the data set stale."""
    from importlib.resources import files

    folder = files("models.migrations")
    return sorted(
        p.name.removesuffix(".py")
        for p in folder.iterdir()
        if p.name.endswith(".py") and p.name[0].isdigit()
    )


def version_of(shape: Shape) -> str:
    return f"{DATA_VERSION}|{shape.key()}|{migration_names()[-1]}"


async def open_database(url: str) -> None:
    """Apply the real migrations and open Tortoise on the database."""
    await migrate(config=tortoise_config(url))
    await Tortoise.close_connections()
    await Tortoise.init(config=tortoise_config(url))


def _is_postgres() -> bool:
    return bool(connections.get("default").capabilities.dialect == "postgres")


async def stored_version() -> str | None:
    """The data version the open database holds (None: empty or not a bench database)."""
    connection = connections.get("default")
    try:
        _, rows = await connection.execute_query("SELECT version FROM bench_dataset")
    except Exception:
        return None
    return str(rows[0][0]) if rows else None


async def _mark(version: str) -> None:
    connection = connections.get("default")
    await connection.execute_script(
        "CREATE TABLE IF NOT EXISTS bench_dataset (version TEXT NOT NULL);"
        "DELETE FROM bench_dataset;"
    )
    await connection.execute_query(
        "INSERT INTO bench_dataset (version) VALUES ($1)"
        if _is_postgres()
        else "INSERT INTO bench_dataset (version) VALUES (?)",
        [version],
    )


def _sites_of(shape: Shape, acme: list[int], fillers: list[int]) -> list[int | None]:
    """The establishment of each enrollment, shuffled with a fixed seed so that every
    establishment's bookings span the whole period."""
    rest = shape.total - shape.big - shape.medium - shape.small - shape.individuals
    sites: list[int | None] = [acme[0]] * shape.big + [acme[1]] * shape.medium
    sites += [acme[2]] * shape.small + [None] * shape.individuals
    sites += [fillers[i % len(fillers)] for i in range(rest)]
    random.Random(20).shuffle(sites)
    return sites


ENROLLMENT_COLUMNS = (
    "id",
    "reference",
    "session_id",
    "establishment_id",
    "placed_by_id",
    "registrant_email",
    "registrant_name",
    "channel",
    "status",
    "seats",
    "list_price_total",
    "net_price_total",
    "discount_source",
    "invoiced_total",
    "booked_at",
    "expected_validation_by",
    "validated_at",
    "cancelled_at",
    "cancel_reason",
    "updated_at",
    "search_text",
)
DOCUMENT_COLUMNS = (
    "id",
    "enrollment_id",
    "kind",
    "filename",
    "content_type",
    "size",
    "checksum",
    "generated",
    "uploaded_by_id",
    "created_at",
)


def _enrollments(
    shape: Shape, sites: list[int | None], acme: list[int], sessions: list[int]
) -> Iterator[tuple[Any, ...]]:
    seen: dict[int | None, int] = {}
    for i, site in enumerate(sites):
        n = seen[site] = seen.get(site, -1) + 1  # rank of the enrollment in its site
        if site in (acme[0], acme[1]) and n % shape.registrant_every == 7 % shape.registrant_every:
            email = STANDARD_EMAIL
        elif site not in acme and n % shape.registrant_every == 3 % shape.registrant_every:
            email = ADMIN_EMAIL
        elif site not in acme and n % (2 * shape.registrant_every) == 11 % shape.registrant_every:
            email = STANDARD_EMAIL
        else:
            email = f"buyer{i % 997}@client{(site or 0) % 50}.example"
        booked = START + timedelta(minutes=7 * i)
        status = STATUSES[i % len(STATUSES)]
        seats = 1 + i % 3
        reference = f"BEN-{i + 1:07d}"
        name = f"Buyer {i % 997}"
        cancelled = status is EnrollmentStatus.CANCELLED
        yield (
            i + 1,
            reference,
            sessions[i % len(sessions)],
            site,
            None,
            email,
            name,
            CHANNELS[i % len(CHANNELS)].value,
            status.value,
            seats,
            Decimal("1200.00") * seats,
            Decimal("1080.00") * seats,
            "NONE",
            Decimal("0.00"),
            booked,
            booked + timedelta(days=1),
            booked + timedelta(hours=5) if i % 2 else None,
            booked + timedelta(days=2) if cancelled else None,
            "Plans changed" if cancelled else "",
            booked + timedelta(days=3),
            f"{reference.lower()} {email} {name.lower()}",
        )


def _documents(count: int) -> Iterator[tuple[Any, ...]]:
    kinds = len(ALL_KINDS)
    for e in range(1, count + 1):
        booked = START + timedelta(minutes=7 * (e - 1))
        for n, kind in enumerate(ALL_KINDS):
            yield (
                (e - 1) * kinds + n + 1,
                e,
                kind.value,
                f"ben-{e:07d}-{kind.value.lower()}.pdf",
                "application/pdf",
                10_000 + n,
                hashlib.sha256(f"{e}-{kind.value}".encode()).hexdigest(),
                True,
                None,
                booked + timedelta(days=n),
            )


async def _bulk(table: str, columns: tuple[str, ...], rows: Iterator[tuple[Any, ...]]) -> None:
    connection: Any = connections.get("default")
    if _is_postgres():
        async with connection.acquire_connection() as raw:
            await raw.copy_records_to_table(table, records=list(rows), columns=list(columns))
        return

    # SQLite stores what Tortoise would: ISO text for moments, text for decimals.
    def plain(value: Any) -> Any:
        if isinstance(value, datetime):
            return value.isoformat(" ")
        if isinstance(value, Decimal):
            return str(value)
        return value

    names = ", ".join(columns)
    marks = ", ".join("?" for _ in columns)
    await connection.execute_many(
        f"INSERT INTO {table} ({names}) VALUES ({marks})",
        [tuple(plain(v) for v in row) for row in rows],
    )


async def load(shape: Shape) -> None:
    """Fill the (migrated, empty) database with this shape, then ANALYZE it."""
    courses = [
        await Course.create(
            code=f"BEN-{n:03d}",
            title=f"Course number {n}",
            duration_days=Decimal("2"),
            list_price=Decimal("1200.00"),
        )
        for n in range(shape.courses)
    ]
    await CourseSession.bulk_create(
        [
            CourseSession(
                course=courses[n % len(courses)],
                starts_on=date(2024, 3, 1) + timedelta(days=3 * n),
                ends_on=date(2024, 3, 2) + timedelta(days=3 * n),
                city="Lyon",
                capacity=5000,
            )
            for n in range(shape.sessions)
        ]
    )
    sessions = sorted(await CourseSession.all().values_list("id", flat=True))
    acme_company = await Company.create(name="Acme")
    acme = []
    for n, name in enumerate(("Acme Paris (big)", "Acme Lyon (medium)", "Acme Lille (small)")):
        site = await Establishment.create(
            company=acme_company, siret=f"1000000000000{n}", name=name
        )
        acme.append(site.id)
    companies = [await Company.create(name=f"Filler {n}") for n in range(shape.filler_companies)]
    await Establishment.bulk_create(
        [
            Establishment(
                company=companies[n % len(companies)], siret=f"2{n:013d}", name=f"Filler site {n}"
            )
            for n in range(shape.filler_sites)
        ]
    )
    fillers = sorted(
        await Establishment.filter(name__startswith="Filler site").values_list("id", flat=True)
    )
    sites = _sites_of(shape, acme, fillers)
    await _bulk("enrollment", ENROLLMENT_COLUMNS, _enrollments(shape, sites, acme, sessions))
    await _bulk("document", DOCUMENT_COLUMNS, _documents(shape.total))
    verified = START
    admin = await Account.create(
        email=ADMIN_EMAIL,
        kind=AccountKind.COMPANY.value,
        company=acme_company,
        full_name="Claire Admin",
        email_verified_at=verified,
    )
    standard = await Account.create(
        email=STANDARD_EMAIL,
        kind=AccountKind.COMPANY.value,
        company=acme_company,
        full_name="Samuel Standard",
        email_verified_at=verified,
    )
    for site_id in acme:
        await Access.create(account=admin, establishment_id=site_id, role=AccessRole.ADMIN.value)
        await Access.create(
            account=standard,
            establishment_id=site_id,
            role=AccessRole.STANDARD.value,
            document_kinds=[k.value for k in STANDARD_KINDS],
        )
    connection = connections.get("default")
    if _is_postgres():
        for table in ("enrollment", "document"):
            await connection.execute_query(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT max(id) FROM {table}))"
            )
    # VACUUM as autovacuum would have done in production: without the visibility map, the
    # count of an establishment reads every heap page instead of the index alone.
    await connection.execute_script("VACUUM ANALYZE" if _is_postgres() else "ANALYZE")


async def describe(shape: Shape) -> DataSet:
    """The ids and counts of a loaded data set (no session opened yet)."""
    connection = connections.get("default")
    ids = {
        name: site_id
        for site_id, name in await Establishment.filter(name__startswith="Acme ").values_list(
            "id", "name"
        )
    }
    _, enrollments = await connection.execute_query("SELECT count(*) FROM enrollment")
    _, documents = await connection.execute_query("SELECT count(*) FROM document")
    return DataSet(
        big_id=ids["Acme Paris (big)"],
        medium_id=ids["Acme Lyon (medium)"],
        small_id=ids["Acme Lille (small)"],
        admin_email=ADMIN_EMAIL,
        standard_email=STANDARD_EMAIL,
        enrollments=int(enrollments[0][0]),
        documents=int(documents[0][0]),
        shape=shape,
    )


async def open_sessions(ds: DataSet) -> DataSet:
    """Sign the personas in (new bearer tokens each run)."""
    from services.login_sessions import start_session

    ds.admin_token = await start_session(await Account.get(email=ds.admin_email))
    ds.standard_token = await start_session(await Account.get(email=ds.standard_email))
    return ds


async def ensure(shape: Shape, rebuild: bool, say: Any = print) -> DataSet:
    """The data set of this shape in the open (migrated) database: reused when it holds the
    same data version, else (or with `rebuild`) emptied and loaded again."""
    version = version_of(shape)
    current = await stored_version()
    if current == version and not rebuild:
        say(f"reusing the data set ({version})")
    else:
        say(f"loading the data set ({version}); found {current!r}")
        if current is not None or rebuild:
            await empty()
        await load(shape)
        await _mark(version)
    return await open_sessions(await describe(shape))


async def empty() -> None:
    """Empty every table of the models (and the marker)."""
    connection = connections.get("default")
    tables = [model._meta.db_table for model in Tortoise.apps["models"].values()]
    if _is_postgres():
        quoted = ", ".join(f'"{t}"' for t in tables)
        await connection.execute_script(
            f"DROP TABLE IF EXISTS bench_dataset; TRUNCATE {quoted} RESTART IDENTITY CASCADE"
        )
    else:
        script = "DROP TABLE IF EXISTS bench_dataset; PRAGMA foreign_keys=OFF;"
        script += "".join(f'DELETE FROM "{t}";' for t in tables)
        script += "DELETE FROM sqlite_sequence; PRAGMA foreign_keys=ON;"
        await connection.execute_script(script)
