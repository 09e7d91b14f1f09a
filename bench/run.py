"""Run every case of the benchmark, print the table of ratios, write bench/RESULTS.md.

Cases measured side by side in one run are interleaved (A, B, C, A, B, C, ...) and reported
as medians, so a noisy neighbour slows every case alike instead of one of them.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import os
import platform
import socket
import sqlite3
import statistics
import sys
import time
import tracemalloc
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

from bench import environment
from tests.sql_counter import counting_sql

PROJECT_DIR = Path(__file__).resolve().parent.parent
RESULTS = PROJECT_DIR / "bench" / "RESULTS.md"
HISTORY_MARKER = "<!-- history: kept by hand below this line, the bench does not rewrite it -->"


def say(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


@dataclass
class Row:
    """One line of the table: what, measured value, target, met or not."""

    case: str
    what: str
    value: str
    target: str = ""
    met: bool | None = None


@dataclass
class Report:
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, *args: Any, **kwargs: Any) -> None:
        self.rows.append(Row(*args, **kwargs))
        row = self.rows[-1]
        say(f"  {row.case} | {row.what}: {row.value} {row.target}")

    def table(self) -> str:
        lines = ["| case | measure | value | target | met |", "| --- | --- | --- | --- | --- |"]
        for r in self.rows:
            met = "" if r.met is None else ("yes" if r.met else "**no**")
            lines.append(f"| {r.case} | {r.what} | {r.value} | {r.target} | {met} |")
        return "\n".join(lines)


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


# Small queries timed per round, alone and next to the 1,000-row queries: with 100 per round
# and the default 2 rounds, the p99 is the 3rd-slowest of 200 (with 20, it was the slowest).
ISOLATION_SAMPLES = 100


def percentile(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    index = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[index]


async def interleaved(
    cases: dict[str, Callable[[], Awaitable[Any]]], repetitions: int
) -> dict[str, list[float]]:
    """Run each case once per round, round after round; one warm-up round is not counted."""
    samples: dict[str, list[float]] = {name: [] for name in cases}
    for round_number in range(repetitions + 1):
        for name, case in cases.items():
            gc.collect()
            start = time.perf_counter()
            await case()
            elapsed = time.perf_counter() - start
            if round_number:
                samples[name].append(elapsed)
    return samples


# -- in-process cases (1, 2, 3, 6) ---------------------------------------------------------
async def in_process(report: Report, ds: Any, repetitions: int) -> None:
    import httpx

    from bench import queries
    from bench.data import STANDARD_KINDS
    from bench.unrestricted import UnrestrictedPolicy
    from policies.engine import Policy
    from server import create_app
    from settings import get_settings

    settings = get_settings()
    apps = {
        "on": create_app(settings, Policy(), manage_database=False),
        "off": create_app(settings, UnrestrictedPolicy(), manage_database=False),
    }
    clients = {
        name: httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench")
        for name, app in apps.items()
    }
    tokens = {"admin": ds.admin_token, "standard": ds.standard_token}
    standard_kinds = [k.value for k in STANDARD_KINDS]

    def graphql(app: str, persona: str, first: int) -> Callable[[], Awaitable[bytes]]:
        async def run() -> bytes:
            response = await clients[app].post(
                "/graphql",
                json={
                    "query": queries.PAGE_QUERY,
                    "variables": queries.variables(ds.site_id, first),
                },
                headers={"Authorization": f"Bearer {tokens[persona]}"},
            )
            assert response.status_code == 200, response.text[:500]
            return response.content

        return run

    def floor(persona: str, first: int) -> Callable[[], Awaitable[bytes]]:
        email = ds.admin_email if persona == "admin" else ds.standard_email
        kinds = None if persona == "admin" else standard_kinds

        async def run() -> bytes:
            return await queries.floor_page(ds.site_id, email, [ds.site_id], kinds, first)

        return run

    try:
        # Same data check: the floor must answer exactly what GraphQL answers.
        import orjson

        for persona in ("admin", "standard"):
            answer = orjson.loads(await graphql("on", persona, 1000)())
            assert "errors" not in answer, answer.get("errors")
            assert answer == orjson.loads(await floor(persona, 1000)()), "floor differs"
            rows = len(answer["data"]["enrollments"]["edges"])
            say(f"{persona}: GraphQL and the floor answer the same {rows} rows")

        say(f"cases 1-2: 1,000-row page, {repetitions} interleaved rounds")
        cases = {
            "admin on": graphql("on", "admin", 1000),
            "admin off": graphql("off", "admin", 1000),
            "admin floor": floor("admin", 1000),
            "standard on": graphql("on", "standard", 1000),
            "standard off": graphql("off", "standard", 1000),
            "standard floor": floor("standard", 1000),
        }
        samples = await interleaved(cases, repetitions)
        ms = {name: median_ms(values) for name, values in samples.items()}
        for name, value in ms.items():
            say(f"  {name}: median {value:.1f} ms")
        for persona in ("admin", "standard"):
            ratio = ms[f"{persona} on"] / ms[f"{persona} off"]
            report.add(
                "1 authorization overhead",
                f"{persona}: {ms[f'{persona} on']:.0f} ms / {ms[f'{persona} off']:.0f} ms off",
                f"{ratio:.2f}",
                "≤ 1.10",
                ratio <= 1.10,
            )
        for persona in ("admin", "standard"):
            ratio = ms[f"{persona} on"] / ms[f"{persona} floor"]
            report.add(
                "2 GraphQL vs floor",
                f"{persona}: {ms[f'{persona} on']:.0f} ms / {ms[f'{persona} floor']:.1f} ms floor",
                f"{ratio:.1f}×",
                "≤ 8×",
                ratio <= 8,
            )
        report.notes.append(
            "Case 1, standard persona: with authorization off the standard user's request also "
            "returns the 6 document kinds the policy hides from them (8,000 documents instead "
            "of 2,000), so 'off' does more work than 'on' for that persona."
        )

        say("case 3: SQL queries and Oso calls per request, fresh policy (cold) then warm")
        counts: dict[tuple[str, int], tuple[int, int, int, int]] = {}
        for persona in ("admin", "standard"):
            for first in (10, 100, 1000):
                policy = Policy()
                app = create_app(settings, policy, manage_database=False)
                transport = httpx.ASGITransport(app=app)
                async with httpx.AsyncClient(transport=transport, base_url="http://b") as client:
                    headers = {"Authorization": f"Bearer {tokens[persona]}"}
                    measured = []
                    for _ in range(2):  # cold (fresh policy), then warm (cached filters)
                        # The session and viewer lookup every request pays, measured just
                        # before (so that the once-a-minute session touch cannot skew it).
                        with counting_sql() as lookup:
                            await client.post(
                                "/graphql", json={"query": "{ __typename }"}, headers=headers
                            )
                        calls = policy.calls
                        body = {
                            "query": queries.PAGE_QUERY,
                            "variables": queries.variables(ds.site_id, first),
                        }
                        with counting_sql() as sql:
                            await client.post("/graphql", json=body, headers=headers)
                        statements = len(sql.statements) - len(lookup.statements)
                        measured.append((statements, policy.calls - calls))
                counts[(persona, first)] = (*measured[0], *measured[1])
        for persona in ("admin", "standard"):
            values = [counts[(persona, n)] for n in (10, 100, 1000)]
            same = len(set(values)) == 1
            sql_cold, oso_cold, sql_warm, oso_warm = values[-1]
            report.add(
                "3 queries and Oso calls",
                f"{persona}, N = 10 / 100 / 1,000: SQL (beyond the session lookup) cold/warm, "
                "Oso calls cold/warm",
                f"{sql_cold}/{sql_warm} SQL, {oso_cold}/{oso_warm} Oso"
                + ("" if same else f" (differs: {values})"),
                "identical, ≤ 4 SQL",
                same and sql_cold <= 4,
            )

        say("case 6: peak memory of the 1,000-row query (tracemalloc)")
        peaks = {}
        for name in ("admin on", "admin floor"):
            gc.collect()
            tracemalloc.start()
            await cases[name]()
            peaks[name] = tracemalloc.get_traced_memory()[1] / 2**20
            tracemalloc.stop()
        report.add(
            "6 peak memory",
            f"1,000-row admin page: GraphQL {peaks['admin on']:.1f} MiB, "
            f"floor {peaks['admin floor']:.1f} MiB",
            f"{peaks['admin on'] / peaks['admin floor']:.1f}× the floor",
        )
    finally:
        for client in clients.values():
            await client.aclose()


# -- HTTP cases (4, 5) ------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.asynccontextmanager
async def http_server(directory: Path, ds: Any) -> AsyncIterator[str]:
    import httpx

    port = free_port()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bench.server",
        str(directory),
        str(port),
        str(ds.site_id),
        ds.admin_email,
        cwd=PROJECT_DIR,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(base_url=base) as client:
            for _ in range(200):
                with contextlib.suppress(httpx.HTTPError):
                    if (await client.get("/healthz")).status_code == 200:
                        break
                await asyncio.sleep(0.1)
            else:
                raise RuntimeError("the bench server did not start")
        yield base
    finally:
        process.terminate()
        await asyncio.wait_for(process.wait(), timeout=10)


async def load(
    client: Any, send: Callable[[Any], Awaitable[Any]], total: int, concurrency: int
) -> tuple[float, list[float]]:
    """Send `total` requests from `concurrency` clients; requests per second and latencies."""
    latencies: list[float] = []
    remaining = total

    async def worker() -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            start = time.perf_counter()
            await send(client)
            latencies.append(time.perf_counter() - start)

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return total / (time.perf_counter() - start), latencies


async def over_http(report: Report, directory: Path, ds: Any, rounds: int) -> None:
    import httpx

    from bench import queries

    headers = {"Authorization": f"Bearer {ds.admin_token}"}
    page = {"query": queries.PAGE_QUERY, "variables": queries.variables(ds.site_id, 50)}
    big = {"query": queries.PAGE_QUERY, "variables": queries.variables(ds.site_id, 1000)}
    small = {"query": queries.SMALL_QUERY}

    async def graphql_page(client: httpx.AsyncClient) -> None:
        response = await client.post("/graphql", json=page, headers=headers)
        assert response.status_code == 200 and b'"errors"' not in response.content[:20]

    async def plain_page(client: httpx.AsyncClient) -> None:
        response = await client.get("/plain")
        assert response.status_code == 200

    async def small_query(client: httpx.AsyncClient) -> None:
        response = await client.post("/graphql", json=small, headers=headers)
        assert response.status_code == 200

    async def big_query(client: httpx.AsyncClient) -> None:
        response = await client.post("/graphql", json=big, headers=headers)
        assert response.status_code == 200

    limits = httpx.Limits(max_connections=16, max_keepalive_connections=16)
    async with (
        http_server(directory, ds) as base,
        httpx.AsyncClient(base_url=base, limits=limits, timeout=60) as client,
    ):
        a = await client.post("/graphql", json=page, headers=headers)
        b = await client.get("/plain")
        import orjson

        assert orjson.loads(a.content) == orjson.loads(b.content), "plain endpoint differs"
        say("case 4: 50-row page over HTTP (uvicorn, one worker, loopback)")
        for concurrency in (1, 8):
            results: dict[str, list[tuple[float, list[float]]]] = {"graphql": [], "plain": []}
            await load(client, graphql_page, 10, concurrency)  # warm-up
            await load(client, plain_page, 10, concurrency)
            for _ in range(rounds):
                results["graphql"].append(await load(client, graphql_page, 80, concurrency))
                results["plain"].append(await load(client, plain_page, 200, concurrency))
            summary = {
                name: (
                    statistics.median(r[0] for r in runs),
                    statistics.median(percentile(r[1], 50) for r in runs) * 1000,
                    statistics.median(percentile(r[1], 99) for r in runs) * 1000,
                )
                for name, runs in results.items()
            }
            g, p = summary["graphql"], summary["plain"]
            ratio = g[0] / p[0]
            report.add(
                "4 HTTP 50-row page",
                f"{concurrency} client(s): GraphQL {g[0]:.0f} req/s (p50 {g[1]:.1f} ms, "
                f"p99 {g[2]:.1f} ms) / plain {p[0]:.0f} req/s (p50 {p[1]:.1f} ms, "
                f"p99 {p[2]:.1f} ms)",
                f"{ratio:.2f} of plain",
                "≥ 0.125 at 8 clients" if concurrency == 8 else "",
                ratio >= 1 / 8 if concurrency == 8 else None,
            )

        say("case 5: isolation, a small query alone and next to a running 1,000-row query")
        alone: list[float] = []
        loaded: list[float] = []
        big_done = 0
        for _ in range(rounds):
            alone.extend((await load(client, small_query, ISOLATION_SAMPLES, 1))[1])
            stop = asyncio.Event()

            async def keep_busy(stop: asyncio.Event) -> None:
                nonlocal big_done
                async with httpx.AsyncClient(base_url=base, timeout=60) as other:
                    while not stop.is_set():
                        await big_query(other)
                        big_done += 1

            busy = asyncio.create_task(keep_busy(stop))
            await asyncio.sleep(0.05)
            loaded.extend((await load(client, small_query, ISOLATION_SAMPLES, 1))[1])
            stop.set()
            await busy
        p99_alone = percentile(alone, 99) * 1000
        p99_loaded = percentile(loaded, 99) * 1000
        ratio = p99_loaded / p99_alone
        report.add(
            "5 isolation",
            f"small query p99 {p99_loaded:.1f} ms (max {max(loaded) * 1000:.1f}) next to "
            f"1,000-row queries ({big_done} ran) / {p99_alone:.1f} ms "
            f"(max {max(alone) * 1000:.1f}) alone, {len(loaded)} samples each",
            f"{ratio:.2f}",
            "≤ 2",
            ratio <= 2,
        )


# -- machine, output ---------------------------------------------------------------------------
def machine() -> str:
    cpu = platform.processor() or "unknown CPU"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    packages = ", ".join(
        f"{name} {version(name)}"
        for name in ("strawberry-graphql", "graphql-core", "tortoise-orm", "oso", "uvicorn")
    )
    return (
        f"- CPU: {cpu}, {os.cpu_count()} cores\n"
        f"- Python {platform.python_version()} ({platform.python_implementation()}) on "
        f"{platform.platform()}\n"
        f"- SQLite {sqlite3.sqlite_version}; {packages}\n"
        f"- load average when the run ended: {' '.join(f'{x:.1f}' for x in os.getloadavg())} "
        "(the machine is shared: other processes ran during the benchmark)"
    )


def _database_kind() -> str:
    url = os.environ.get("DATABASE_URL", "")
    return "PostgreSQL database" if url.startswith(("postgres", "asyncpg")) else "SQLite file"


def write_results(report: Report, ds: Any, elapsed: float) -> None:
    history = ""
    if RESULTS.exists():
        text = RESULTS.read_text()
        if HISTORY_MARKER in text:
            history = text.split(HISTORY_MARKER, 1)[1]
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    notes = "\n".join(f"- {n}" for n in report.notes)
    RESULTS.write_text(
        "# Benchmark results\n\n"
        f"Produced by `python -m bench` on {stamp} in {elapsed:.0f} s. Re-run it to reproduce; "
        "every ratio compares cases measured in the same run (interleaved, medians).\n\n"
        f"## Machine\n\n{machine()}\n\n"
        f"## Data set\n\n{ds.enrollments:,} enrollments and {ds.documents:,} documents in a "
        f"throw-away {_database_kind()}: 1,000 enrollments x 8 documents in Acme Paris (the "
        "personas' establishment), the rest in four sites of a second company. Personas: "
        "Claire, ADMIN of Acme Paris, and Samuel, STANDARD with invoice copies and certificates "
        "only. Every page query filters on Acme Paris (`filter: {establishmentId}`) so that all "
        "cases select the same rows.\n\n"
        f"## Latest run\n\n{report.table()}\n\n"
        f"Notes:\n\n{notes}\n\n"
        f"{HISTORY_MARKER}{history or chr(10)}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--repetitions", type=int, default=5, help="rounds of cases 1-2")
    parser.add_argument("--rounds", type=int, default=2, help="rounds of the HTTP cases 4-5")
    parser.add_argument("--no-write", action="store_true", help="do not write bench/RESULTS.md")
    parser.add_argument(
        "--postgres",
        metavar="URL",
        help="run on a throw-away database of this PostgreSQL server (e.g. "
        "postgres://postgres@127.0.0.1:5432/postgres) instead of a SQLite file",
    )
    args = parser.parse_args(argv)
    started = time.perf_counter()
    if args.postgres:
        with throwaway_postgres(args.postgres) as url:
            os.environ[environment.DATABASE_VARIABLE] = url
            return measure(args, started)
    return measure(args, started)


@contextlib.contextmanager
def throwaway_postgres(server_url: str) -> Iterator[str]:
    """A new database on this server for the run, dropped afterwards."""
    import asyncpg

    name = f"espace_bench_{os.getpid()}"
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


def measure(args: argparse.Namespace, started: float) -> int:
    directory = environment.prepare()
    say(f"throw-away database: {os.environ['DATABASE_URL']}")
    report = Report()

    async def run() -> Any:
        from tortoise import Tortoise

        from bench import data
        from settings import get_settings

        await data.open_database(get_settings().database_url)
        try:
            say("building the data set")
            ds = await data.build()
            say(f"{ds.enrollments:,} enrollments, {ds.documents:,} documents")
            await in_process(report, ds, args.repetitions)
            await over_http(report, directory, ds, args.rounds)
            return ds
        finally:
            await Tortoise.close_connections()

    ds = asyncio.run(run())
    elapsed = time.perf_counter() - started
    print()
    print(report.table())
    for note in report.notes:
        print(f"- {note}")
    if not args.no_write:
        write_results(report, ds, elapsed)
        say(f"wrote {RESULTS}")
    say(f"done in {elapsed:.0f} s")
    return 0
