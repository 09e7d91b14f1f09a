"""Does each piece of `performance/` still earn its place? (performance/README.md)

    python -m bench.machinery [--postgres URL] [--enrollments 20000] [--rounds 1]

Builds one establishment of `--enrollments` enrollments (8 documents each) and a verified admin
of it, then serves the real application (`uvicorn server:app_factory`, one worker) once with
every piece on, once with each piece off (its setting, see the README's Configuration
section), and once with all of them off, and runs the same load on each:

- **pages**: 8 clients sending 50-row pages (with their documents), p50 and p99;
- **isolation**: a small query (5 rows) alone, then while CSV exports of the whole
  establishment stream (`/exports/enrollments.csv`), p99 of each and their ratio;
- **memory**: the worker's resident memory (RSS) after that mix.

Then it prints each configuration's figures (medians over the rounds) and their ratio to "all
on". All the servers run side by side and each round measures every configuration in turn,
so that a change in the machine's other load falls on all of them: use several rounds.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import os
import socket
import statistics
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from bench import environment

PROJECT_DIR = Path(__file__).resolve().parent.parent

# Each piece's setting (settings.py) and the value that switches it off.
PIECES: dict[str, tuple[str, str]] = {
    "executor": ("ESPACE_STANDARD_EXECUTION", "1"),
    "operation caches": ("ESPACE_OPERATION_CACHES", "0"),
    "sqlite readers": ("ESPACE_SQLITE_READERS", "0"),
    "process tuning": ("ESPACE_TUNE_PROCESS", "0"),
}

PAGE_QUERY = """query Page($first: Int) { enrollments(first: $first) { totalCount edges { node {
  id reference status channel registrantEmail registrantName establishmentId seats
  listPriceTotal netPriceTotal discountSource invoicedTotal bookedAt expectedValidationBy
  validatedAt cancelledAt cancelReason courseCode courseTitle visibleDocumentKinds
  documents { id kind filename contentType size checksum createdAt } } } } }"""
SMALL_QUERY = "query Small { enrollments(first: 5) { totalCount edges { node { id reference } } } }"

CLIENTS = 8
PAGE_ROWS = 50


def say(message: str) -> None:
    print(f"[machinery] {message}", file=sys.stderr, flush=True)


# -- data ----------------------------------------------------------------------------------------


async def build_data(enrollments: int) -> str:
    """One company, one establishment of `enrollments` enrollments x 8 documents, one smaller
    establishment of another company, and a verified admin of the first: their bearer token."""
    from tortoise import Tortoise

    from models.access import Access
    from models.accounts import Account
    from models.catalog import Course, CourseSession
    from models.companies import Company, Establishment
    from models.documents import Document
    from models.enrollments import Enrollment
    from models.enums import AccessRole, AccountKind, Channel, DocumentKind, EnrollmentStatus
    from services.login_sessions import start_session

    course = await Course.create(
        code="MAC-001", title="Machinery", duration_days=Decimal("2"), list_price=Decimal("900")
    )
    sessions = [
        await CourseSession.create(
            course=course,
            starts_on=date(2025, 3, 1) + timedelta(days=n),
            ends_on=date(2025, 3, 2) + timedelta(days=n),
            city="Lyon",
            capacity=500,
        )
        for n in range(20)
    ]
    start = datetime(2025, 1, 6, 8, 0, tzinfo=UTC)
    statuses, channels = list(EnrollmentStatus), list(Channel)

    async def fill(site: Establishment, count: int, prefix: str) -> None:
        rows = [
            Enrollment(
                reference=f"{prefix}-{i:06d}",
                session=sessions[i % len(sessions)],
                establishment=site,
                registrant_email=f"buyer{i % 40}@{prefix.lower()}.example",
                registrant_name=f"Buyer {i % 40}",
                channel=channels[i % len(channels)].value,
                status=statuses[i % len(statuses)].value,
                seats=1 + i % 3,
                list_price_total=Decimal("900.00"),
                net_price_total=Decimal("810.00"),
                invoiced_total=Decimal("0.00"),
                booked_at=start + timedelta(minutes=7 * i),
                expected_validation_by=start + timedelta(minutes=7 * i, days=1),
            )
            for i in range(count)
        ]
        await Enrollment.bulk_create(rows, batch_size=1000)
        ids = await Enrollment.filter(establishment=site).values_list("id", flat=True)
        documents = [
            Document(
                enrollment_id=enrollment_id,
                kind=kind.value,
                filename=f"{prefix}-{enrollment_id}-{kind.value.lower()}.pdf",
                size=10_000 + n,
                checksum=hashlib.sha256(f"{enrollment_id}-{kind}".encode()).hexdigest(),
                generated=True,
            )
            for enrollment_id in ids
            for n, kind in enumerate(DocumentKind)
        ]
        await Document.bulk_create(documents, batch_size=2000)

    acme = await Company.create(name="Acme")
    site = await Establishment.create(company=acme, siret="10000000000001", name="Acme Paris")
    other = await Establishment.create(
        company=await Company.create(name="Boréal"), siret="20000000000001", name="Boréal"
    )
    await fill(site, enrollments, "ACME")
    await fill(other, max(1, enrollments // 20), "BOR")
    admin = await Account.create(
        email="claire.admin@acme.example",
        kind=AccountKind.COMPANY.value,
        company=acme,
        email_verified_at=start,
    )
    await Access.create(account=admin, establishment=site, role=AccessRole.ADMIN.value)
    connection = Tortoise.get_connection("default")
    await connection.execute_script("ANALYZE")
    return await start_session(admin)


@contextlib.contextmanager
def throwaway_postgres(server_url: str) -> Iterator[str]:
    """A new database on this server for the run, dropped afterwards."""
    import asyncpg

    name = f"espace_machinery_{os.getpid()}"
    dsn = server_url.replace("postgres://", "postgresql://", 1)

    async def execute(sql: str) -> None:
        connection = await asyncpg.connect(dsn)
        try:
            await connection.execute(sql)
        finally:
            await connection.close()

    asyncio.run(execute(f'CREATE DATABASE "{name}"'))
    try:
        yield f"{server_url.rsplit('/', 1)[0]}/{name}"
    finally:
        asyncio.run(execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


# -- one server, one configuration -------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    base: str
    pid: int

    def rss_mb(self) -> float:
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return float("nan")


@contextlib.asynccontextmanager
async def serving(switches: dict[str, str]) -> AsyncIterator[Server]:
    import httpx

    port = free_port()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "uvicorn",
        "server:app_factory",
        "--factory",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "warning",
        "--no-access-log",
        cwd=PROJECT_DIR,
        env={**os.environ, "LOG_LEVEL": "WARNING", **switches},
    )
    base = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(base_url=base) as client:
            for _ in range(300):
                with contextlib.suppress(httpx.HTTPError):
                    if (await client.get("/healthz")).status_code == 200:
                        break
                await asyncio.sleep(0.1)
            else:
                raise RuntimeError("the server did not start")
        yield Server(base, process.pid)
    finally:
        process.terminate()
        await asyncio.wait_for(process.wait(), timeout=20)


def percentile(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


@dataclass
class Figures:
    page_p50: list[float] = field(default_factory=list)
    page_p99: list[float] = field(default_factory=list)
    page_rate: list[float] = field(default_factory=list)
    small_idle_p99: list[float] = field(default_factory=list)
    small_export_p99: list[float] = field(default_factory=list)
    export_seconds: list[float] = field(default_factory=list)
    rss_mb: list[float] = field(default_factory=list)

    def median(self, name: str) -> float:
        values: list[float] = getattr(self, name)
        return statistics.median(values) if values else float("nan")


async def measure(server: Server, token: str, pages: int, samples: int, figures: Figures) -> None:
    import httpx

    headers = {"Authorization": f"Bearer {token}"}
    page = {"query": PAGE_QUERY, "variables": {"first": PAGE_ROWS}}
    small = {"query": SMALL_QUERY}
    limits = httpx.Limits(max_connections=16, max_keepalive_connections=16)
    async with httpx.AsyncClient(base_url=server.base, limits=limits, timeout=120) as client:

        async def post(body: dict[str, Any]) -> float:
            started = time.perf_counter()
            response = await client.post("/graphql", json=body, headers=headers)
            elapsed = time.perf_counter() - started
            assert response.status_code == 200, response.text[:300]
            assert b'"errors"' not in response.content, response.text[:300]
            return elapsed

        async def clients(send: Callable[[], Awaitable[float]], total: int) -> list[float]:
            latencies: list[float] = []
            remaining = total

            async def one() -> None:
                nonlocal remaining
                while remaining > 0:
                    remaining -= 1
                    latencies.append(await send())

            await asyncio.gather(*(one() for _ in range(CLIENTS)))
            return latencies

        # Warm-up: the first requests parse, validate and plan.
        await clients(lambda: post(page), 2 * CLIENTS)
        for _ in range(10):
            await post(small)

        started = time.perf_counter()
        latencies = await clients(lambda: post(page), pages)
        figures.page_rate.append(pages / (time.perf_counter() - started))
        figures.page_p50.append(percentile(latencies, 50) * 1000)
        figures.page_p99.append(percentile(latencies, 99) * 1000)

        idle = [await post(small) for _ in range(samples)]
        figures.small_idle_p99.append(percentile(idle, 99) * 1000)

        loaded: list[float] = []
        export_times: list[float] = []
        while len(loaded) < samples:
            done = asyncio.Event()

            async def export(done: asyncio.Event) -> None:
                started = time.perf_counter()
                async with (
                    httpx.AsyncClient(base_url=server.base, timeout=300) as other,
                    other.stream("GET", "/exports/enrollments.csv", headers=headers) as response,
                ):
                    assert response.status_code == 200
                    async for _ in response.aiter_bytes():
                        pass
                export_times.append(time.perf_counter() - started)
                done.set()

            task = asyncio.create_task(export(done))
            await asyncio.sleep(0.05)
            while not done.is_set():
                loaded.append(await post(small))
            await task
        figures.small_export_p99.append(percentile(loaded, 99) * 1000)
        figures.export_seconds.append(statistics.median(export_times))
        figures.rss_mb.append(server.rss_mb())


# -- the run -----------------------------------------------------------------------------------


COLUMNS = [
    ("page_p50", "page p50 ms"),
    ("page_p99", "page p99 ms"),
    ("page_rate", "pages/s"),
    ("small_idle_p99", "small p99 idle ms"),
    ("small_export_p99", "small p99 export ms"),
    ("export_seconds", "export s"),
    ("rss_mb", "RSS MB"),
]


def table(results: dict[str, Figures]) -> str:
    base = results["all on"]
    lines = [
        "| configuration | "
        + " | ".join(title for _, title in COLUMNS)
        + " | page p99/p50 | small export/idle |",
        "|" + " --- |" * (len(COLUMNS) + 3),
    ]
    for name, figures in results.items():
        cells = []
        for key, _ in COLUMNS:
            value = figures.median(key)
            ratio = value / base.median(key) if name != "all on" else None
            cell = f"{value:.0f}" if key != "export_seconds" else f"{value:.2f}"
            cells.append(cell + (f" ({ratio:.2f}×)" if ratio is not None else ""))
        p99_p50 = figures.median("page_p99") / figures.median("page_p50")
        isolation = figures.median("small_export_p99") / figures.median("small_idle_p99")
        lines.append(f"| {name} | " + " | ".join(cells) + f" | {p99_p50:.2f} | {isolation:.2f} |")
    return "\n".join(lines)


def configurations(database_url: str, only: list[str] | None) -> dict[str, dict[str, str]]:
    pieces = {
        name: switch
        for name, switch in PIECES.items()
        if (only is None or name in only)
        and not (name == "sqlite readers" and not database_url.startswith("sqlite"))
    }
    configs = {"all on": {}}
    configs.update({f"{name} off": {var: value} for name, (var, value) in pieces.items()})
    configs["all off"] = {var: value for var, value in (PIECES[n] for n in pieces)}
    return configs


async def run(args: argparse.Namespace) -> dict[str, Figures]:
    from tortoise import Tortoise
    from tortoise.migrations.api.migrate import migrate

    from models.database import tortoise_config
    from settings import get_settings

    database_url = get_settings().database_url
    say(f"throw-away database: {database_url}")
    started = time.perf_counter()
    await migrate(config=tortoise_config(database_url))
    await Tortoise.close_connections()
    await Tortoise.init(config=tortoise_config(database_url))
    try:
        token = await build_data(args.enrollments)
    finally:
        await Tortoise.close_connections()
    say(f"{args.enrollments:,} enrollments built in {time.perf_counter() - started:.0f} s")
    configs = configurations(database_url, args.only)
    results = {name: Figures() for name in configs}
    # Every configuration's server runs from the start (idle while another is measured), and
    # each round measures them all in turn: a change in the machine's load over the run then
    # falls on every configuration alike instead of on whichever ran at that moment.
    async with contextlib.AsyncExitStack() as stack:
        servers = {
            name: await stack.enter_async_context(serving(switches))
            for name, switches in configs.items()
        }
        for round_ in range(args.rounds):
            for name, server in servers.items():
                say(f"round {round_ + 1}: {name}")
                await measure(server, token, args.pages, args.samples, results[name])
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.machinery", description=__doc__)
    parser.add_argument("--postgres", metavar="URL", help="a PostgreSQL server to use")
    parser.add_argument("--enrollments", type=int, default=20_000)
    parser.add_argument("--pages", type=int, default=120, help="50-row pages per measure")
    parser.add_argument("--samples", type=int, default=80, help="small queries per measure")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--only", nargs="*", choices=list(PIECES), help="pieces to switch off")
    args = parser.parse_args(argv)
    environment.prepare()
    if args.postgres:
        with throwaway_postgres(args.postgres) as url:
            os.environ["DATABASE_URL"] = url
            from settings import get_settings

            get_settings.cache_clear()
            results = asyncio.run(run(args))
    else:
        results = asyncio.run(run(args))
    kind = "PostgreSQL" if args.postgres else "SQLite"
    print(
        f"\n{kind}, {args.enrollments:,} enrollments, {CLIENTS} clients x {PAGE_ROWS}-row "
        f"pages, {args.rounds} round(s); (×) = ratio to all on\n"
    )
    print(table(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
