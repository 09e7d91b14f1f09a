"""Run every case of the benchmark on production-shape data, print the targets met or not,
and with `--write` regenerate bench/RESULTS.md. See bench/README.md.

Cases compared in a ratio are measured in the same run, interleaved (A, B, A, B, ...), and
reported as medians (or p50/p99 over all samples), so that a noisy neighbour on this shared
machine slows both sides alike.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import os
import platform
import sqlite3
import statistics
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

import orjson

from bench import environment
from tests.sql_counter import counting_sql

PROJECT_DIR = Path(__file__).resolve().parent.parent
RESULTS = PROJECT_DIR / "bench" / "RESULTS.md"
HISTORY_MARKER = "<!-- history: kept by hand below this line, the bench does not rewrite it -->"
DEFAULT_SERVER = "postgres://postgres@127.0.0.1:5432/postgres"
DEFAULT_DATABASE = "espace_bench"
PERSONAS = ("admin", "standard")
SITES = ("small", "medium", "big")
SITE_LABEL = {"small": "10", "medium": "1k", "big": "20k"}
PAGE_SIZES = (10, 50, 100)  # capped at the product's page limit (see `page_sizes`)
# asyncpg prepares each statement; PostgreSQL may switch it to a generic plan from the 6th
# execution on (plan_cache_mode = auto): the same page is run this many times on a fresh
# connection, runs 1-5 and 6+ reported apart.
SERIES = 12
CUSTOM_RUNS = 5


def say(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


@dataclass
class Row:
    """One line of the targets table."""

    case: str
    what: str
    value: str
    target: str = ""
    met: bool | None = None


@dataclass
class Report:
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    sections: dict[str, str] = field(default_factory=dict)  # title -> markdown
    memory: dict[str, float] = field(default_factory=dict)  # server -> RSS MiB after the pages

    def add(self, *args: Any, **kwargs: Any) -> None:
        self.rows.append(Row(*args, **kwargs))
        row = self.rows[-1]
        met = "" if row.met is None else ("met" if row.met else "NOT MET")
        say(f"  {row.case} | {row.what}: {row.value} (target {row.target or '-'}) {met}")

    def table(self) -> str:
        lines = ["| case | measure | value | target | met |", "| --- | --- | --- | --- | --- |"]
        for r in sorted(self.rows, key=lambda r: r.case.split()[0]):
            met = "" if r.met is None else ("yes" if r.met else "**no**")
            lines.append(f"| {r.case} | {r.what} | {r.value} | {r.target} | {met} |")
        return "\n".join(lines)

    def section(self, title: str, markdown: str) -> None:
        self.sections[title] = markdown
        print(f"\n{title}\n{markdown}\n", flush=True)


def ms(seconds: float) -> float:
    return seconds * 1000


def percentile(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    index = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[index]


def median(samples: list[float]) -> float:
    return statistics.median(samples)


async def timed(case: Callable[[], Awaitable[Any]]) -> float:
    gc.collect()
    start = time.perf_counter()
    await case()
    return time.perf_counter() - start


def page_sizes() -> tuple[int, ...]:
    """The page sizes measured, within what the product accepts for a page."""
    from services import history

    limit = getattr(history, "MAX_PAGE_SIZE", max(PAGE_SIZES))
    return tuple(n for n in PAGE_SIZES if n <= limit) or (limit,)


async def interleaved(
    cases: dict[str, Callable[[], Awaitable[Any]]], repetitions: int, warmup: int = 1
) -> dict[str, list[float]]:
    """Each case once per round, round after round; the warm-up rounds are not counted."""
    samples: dict[str, list[float]] = {name: [] for name in cases}
    for round_number in range(warmup + repetitions):
        for name, case in cases.items():
            elapsed = await timed(case)
            if round_number >= warmup:
                samples[name].append(elapsed)
    return samples


async def fresh_connections() -> None:
    """New database connections: asyncpg's prepared statements (and the plans PostgreSQL
    cached for them) start again from their first execution."""
    from tortoise import connections

    pool = getattr(connections.get("default"), "_pool", None)
    if pool is not None and hasattr(pool, "expire_connections"):
        await pool.expire_connections()


# -- in-process cases ------------------------------------------------------------------------------
class InProcess:
    """The real Espace app over ASGI in this process, with the policy ("on") or with the
    history read by the hand-written rules of bench/fair.py ("off")."""

    def __init__(self, ds: Any) -> None:
        import httpx

        from policies.engine import Policy
        from server import create_app
        from settings import get_settings

        self.ds = ds
        self.policy = Policy()
        self.app = create_app(get_settings(), self.policy, manage_database=False)
        self.client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.app), base_url="http://bench", timeout=120
        )

    async def graphql(self, persona: str, body: dict[str, Any]) -> bytes:
        response = await self.client.post(
            "/graphql",
            json=body,
            headers={"Authorization": f"Bearer {self.ds.token(persona)}"},
        )
        assert response.status_code == 200, response.text[:500]
        assert b'"errors"' not in response.content[:30], response.text[:500]
        return response.content

    def page(
        self, persona: str, site: str | None, first: int, off: bool = False, orm: bool = False
    ) -> Any:
        """The page request with the policy, or `off` with the hand-written rules (by
        hand-written SQL, or with `orm` through the product's own ORM reads)."""
        from bench import fair, queries

        body = queries.page_body(None if site is None else self.ds.site(site), first)

        async def run() -> bytes:
            if off:
                with fair.without_policy(orm=orm):
                    return await self.graphql(persona, body)
            return await self.graphql(persona, body)

        return run

    async def close(self) -> None:
        await self.client.aclose()


async def persona_rights(ds: Any) -> dict[str, Any]:
    from bench import fair
    from services.login_sessions import hash_token

    return {
        p: await fair.rights_for_token(hash_token(ds.token(p)), datetime.now(UTC)) for p in PERSONAS
    }


async def fairness(report: Report, app: InProcess, ds: Any) -> None:
    """Same rows and kinds from the policy, the hand-written query through GraphQL, and the
    hand-written page alone, for each persona, establishment and page size."""
    from bench import fair, queries

    rights = await persona_rights(ds)
    checked = 0
    own_rows: dict[str, int] = {p: 0 for p in PERSONAS}
    for persona in PERSONAS:
        for site in (*SITES, None):
            for first in page_sizes():
                on = queries.seen(orjson.loads(await app.page(persona, site, first)()))
                off = queries.seen(orjson.loads(await app.page(persona, site, first, True)()))
                orm = queries.seen(
                    orjson.loads(await app.page(persona, site, first, True, orm=True)())
                )
                site_id = None if site is None else ds.site(site)
                floor = queries.seen(
                    orjson.loads(await fair.page_json(rights[persona], site_id, first))
                )
                if not on == off == orm == floor:
                    raise AssertionError(f"{persona}, {site}, {first}: the answers differ")
                checked += 1
                if first == 100 and site is None:
                    own_rows[persona] = sum(
                        1 for row in on[1] if len(row[1]) == len(fair.ALL_KINDS)
                    )
    report.add(
        "0 fairness",
        "policy vs hand-written (in GraphQL by SQL and through the ORM, and alone): "
        f"{checked} pages, 2 personas x "
        "establishments 10/1k/20k/all x 10/50/100 rows",
        "identical rows, kinds, documents",
        "identical",
        True,
    )
    report.notes.append(
        "Without an establishment filter, the first 100 rows of the standard persona hold "
        f"{own_rows['standard']} rows showing every document kind (their own orders) among "
        "rows showing 2 kinds: the registrant branch of the policy is exercised."
    )


async def overhead(report: Report, app: InProcess, repetitions: int) -> None:
    say(
        "case 1: authorization overhead, 50-row page at the 20k establishment, "
        f"{repetitions} rounds"
    )
    cases = {}
    for persona in PERSONAS:
        cases[f"{persona} on"] = app.page(persona, "big", 50)
        cases[f"{persona} orm"] = app.page(persona, "big", 50, off=True, orm=True)
        cases[f"{persona} sql"] = app.page(persona, "big", 50, off=True)
    # Past the 5th execution of each statement: both sides measured with the plans they keep.
    samples = await interleaved(cases, repetitions, warmup=CUSTOM_RUNS + 1)
    for persona in PERSONAS:
        on, orm, sql = (median(samples[f"{persona} {side}"]) for side in ("on", "orm", "sql"))
        report.add(
            "1 authorization overhead",
            f"{persona}, 50 rows at 20k: GraphQL {ms(on):.1f} ms with the policy / "
            f"{ms(orm):.1f} ms with the hand-written rules read the same way (the product's "
            f"ORM reads); by hand-written SQL {ms(sql):.1f} ms ({on / sql:.2f}: what the ORM "
            "adds)",
            f"{on / orm:.2f}",
            "≤ 1.10",
            on / orm <= 1.10,
        )


async def size_and_repetition(report: Report, app: InProcess, rounds: int) -> None:
    say(f"case 2: 50-row page at 20k vs 1k, {SERIES} runs on a fresh connection, {rounds} rounds")
    runs: dict[tuple[str, str, bool], list[list[float]]] = {}
    for round_number in range(rounds):
        # The order alternates from round to round, so that a slow spell of the machine
        # falls on both sides.
        order = ("big", "medium") if round_number % 2 == 0 else ("medium", "big")
        for persona in PERSONAS:
            for off in (False, True):
                for site in order:
                    await fresh_connections()
                    case = app.page(persona, site, 50, off)
                    series = [await timed(case) for _ in range(SERIES)]
                    runs.setdefault((persona, site, off), []).append(series)
    for persona in PERSONAS:
        for label, part in (
            ("runs 1-5", slice(0, CUSTOM_RUNS)),
            ("runs 6+", slice(CUSTOM_RUNS, None)),
        ):
            value = {}
            for off in (False, True):
                for site in ("big", "medium"):
                    value[(site, off)] = median(
                        [t for series in runs[(persona, site, off)] for t in series[part]]
                    )
            ratio = value[("big", False)] / value[("medium", False)]
            fair_ratio = value[("big", True)] / value[("medium", True)]
            report.add(
                "2 establishment size",
                f"{persona}, 50 rows, {label}: 20k {ms(value[('big', False)]):.1f} ms / 1k "
                f"{ms(value[('medium', False)]):.1f} ms (hand-written: "
                f"{ms(value[('big', True)]):.1f} / {ms(value[('medium', True)]):.1f} ms, "
                f"{fair_ratio:.2f})",
                f"{ratio:.2f}",
                "≤ 1.2",
                ratio <= 1.2,
            )


async def statements_and_calls(report: Report, ds: Any) -> None:
    """SQL statements (beyond the session lookup) and Oso queries per page request, cold
    (fresh policy) and warm, for each page size and establishment size."""
    import httpx

    from bench import queries
    from policies.engine import Policy
    from server import create_app
    from settings import get_settings

    say("case 3: SQL statements and Oso calls per request")
    table = [
        "| persona | establishment | rows | SQL cold | SQL warm | Oso cold | Oso warm "
        "| session lookup |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for persona in PERSONAS:
        found: dict[tuple[str, int], tuple[int, int, int, int]] = {}
        for site in SITES:
            for first in page_sizes():
                policy = Policy()
                app = create_app(get_settings(), policy, manage_database=False)
                transport = httpx.ASGITransport(app=app)
                async with httpx.AsyncClient(transport=transport, base_url="http://b") as client:
                    headers = {"Authorization": f"Bearer {ds.token(persona)}"}
                    measured = []
                    session_lookup = 0
                    for _ in range(2):  # cold (fresh policy), then warm
                        with counting_sql() as lookup:
                            await client.post(
                                "/graphql", json={"query": "{ __typename }"}, headers=headers
                            )
                        calls = policy.calls
                        with counting_sql() as sql:
                            response = await client.post(
                                "/graphql",
                                json=queries.page_body(ds.site(site), first),
                                headers=headers,
                            )
                            assert response.status_code == 200
                        # The session lookup (and its once-a-minute touch of the session,
                        # which may fall in either request) is not the page's cost.
                        page_statements = [s for s in sql.statements if "login_session" not in s]
                        measured.append((len(page_statements), policy.calls - calls))
                        session_lookup = len(lookup.statements)
                found[(site, first)] = (
                    measured[0][0],
                    measured[1][0],
                    measured[0][1],
                    measured[1][1],
                )
                table.append(
                    f"| {persona} | {SITE_LABEL[site]} | {first} | "
                    + " | ".join(str(v) for v in found[(site, first)])
                    + f" | {session_lookup} statements |"
                )
        values = set(found.values())
        report.add(
            "3 SQL and Oso per request",
            f"{persona}, 10/50/100 rows x establishments 10/1k/20k: SQL statements beyond the "
            "session lookup (cold/warm), Oso queries (cold/warm)",
            " or ".join(f"{a}/{b} SQL, {c}/{d} Oso" for a, b, c, d in sorted(values)),
            "constant",
            len(values) == 1,
        )
    report.section("### SQL statements and Oso queries per page request", "\n".join(table))


async def growth(report: Report, app: InProcess, repetitions: int) -> None:
    say("growth: in-process page time by page size and establishment size")
    for persona in PERSONAS:
        cases = {}
        for site in SITES:
            for first in page_sizes():
                cases[f"{site} {first} on"] = app.page(persona, site, first)
                cases[f"{site} {first} off"] = app.page(persona, site, first, off=True)
        samples = await interleaved(cases, repetitions, warmup=1)
        value = {name: ms(median(s)) for name, s in samples.items()}
        corner = value["small 10 on"]
        lines = [
            "| establishment | " + " | ".join(f"{n} rows" for n in page_sizes()) + " |",
            "| --- | " + " | ".join("---" for _ in page_sizes()) + " |",
        ]
        for site in SITES:
            cells = []
            for first in page_sizes():
                on, off = value[f"{site} {first} on"], value[f"{site} {first} off"]
                cells.append(f"{on:.1f} ms ({on / corner:.1f}×; hand-written {off:.1f} ms)")
            lines.append(f"| {SITE_LABEL[site]} enrollments | " + " | ".join(cells) + " |")
        report.section(
            f"### How a GraphQL page's cost grows: {persona} (in-process, median of {repetitions})",
            "Espace with the policy; in brackets the ratio to the 10-row page of the 10-enrollment "
            "establishment, and the same GraphQL page on the hand-written query.\n\n"
            + "\n".join(lines),
        )


async def in_process(report: Report, ds: Any, args: argparse.Namespace) -> None:
    app = InProcess(ds)
    try:
        say("fairness: the policy and the hand-written query answer the same")
        await fairness(report, app, ds)
        await overhead(report, app, args.repetitions)
        await size_and_repetition(report, app, args.rounds)
        await statements_and_calls(report, ds)
        await growth(report, app, max(3, args.repetitions // 2))
    finally:
        await app.close()


# -- HTTP cases ------------------------------------------------------------
def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    name: str
    port: int
    process: asyncio.subprocess.Process

    def rss_mib(self) -> float:
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return float("nan")


@contextlib.asynccontextmanager
async def servers(directory: Path, ds: Any) -> AsyncIterator[dict[str, Server]]:
    """Espace (`espace serve`, as in production) and the three peers, each one uvicorn worker."""
    from bench import http

    env = dict(os.environ, BENCH_FLOOR_TOKEN=ds.admin_token, PYTHONPATH=str(PROJECT_DIR))
    commands = {
        "espace": [
            "-c",
            "import sys; from commands import main; sys.exit(main(sys.argv[1:]))",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            "{port}",
        ],
        "floor": ["-m", "bench.peers", "floor", "{port}", str(directory)],
        "plain": ["-m", "bench.peers", "plain", "{port}", str(directory)],
        "strawberry": ["-m", "bench.peers", "stock_strawberry", "{port}", str(directory)],
    }
    started: dict[str, Server] = {}
    try:
        for name, command in commands.items():
            port = free_port()
            process = await asyncio.create_subprocess_exec(
                sys.executable,
                *(part.replace("{port}", str(port)) for part in command),
                cwd=PROJECT_DIR,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL if name == "espace" else None,
            )
            started[name] = Server(name, port, process)
        for server in started.values():
            for _ in range(300):
                with contextlib.suppress(OSError, asyncio.IncompleteReadError):
                    status, _ = await http.once(
                        server.port, http.request_bytes("GET", "/healthz", server.port)
                    )
                    if status in (200, 404, 405):
                        break
                if server.process.returncode is not None:
                    raise RuntimeError(f"the {server.name} server exited")
                await asyncio.sleep(0.1)
            else:
                raise RuntimeError(f"the {server.name} server did not start")
        yield started
    finally:
        for server in started.values():
            if server.process.returncode is None:
                server.process.terminate()
        for server in started.values():
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(server.process.wait(), timeout=40)


def page_request(name: str, port: int, ds: Any, persona: str, first: int) -> bytes:
    from bench import http, queries

    site = ds.site("big")
    if name in ("espace", "strawberry"):
        return http.request_bytes(
            "POST", "/graphql", port, queries.page_body(site, first), ds.token(persona)
        )
    return http.request_bytes(
        "GET", f"/page?site={site}&first={first}", port, None, ds.token(persona)
    )


# How many requests each side sends per round, by its speed, or fewer when LOAD_SECONDS pass
# first (the slowest side then still sends 8 per second x 3 rounds: enough for a p99).
LOAD = {"floor": 400, "plain": 400, "strawberry": 250, "espace": 200}
LOAD_SECONDS = 10.0


async def peers(report: Report, running: dict[str, Server], ds: Any, rounds: int) -> None:
    from bench import http, queries

    say("peers: same answer from each")
    for persona in PERSONAS:
        answers = {}
        for name, server in running.items():
            if name == "floor" and persona != "admin":
                continue
            status, body = await http.once(
                server.port, page_request(name, server.port, ds, persona, 50)
            )
            assert status == 200, (name, status, body[:300])
            answers[name] = queries.seen(orjson.loads(body))
        if len({*answers.values()}) != 1:
            raise AssertionError(f"{persona}: the peers answer differently")
    table = [
        "| page | side | requests/s | p50 | p99 | ÷ plain endpoint | RSS after the pages |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    results: dict[tuple[int, str], tuple[float, float, float]] = {}
    latencies_50: list[float] = []
    for first in (50, 10):
        say(f"HTTP: {first}-row page, 8 clients, {rounds} rounds (admin, 20k establishment)")
        throughput: dict[str, list[float]] = {name: [] for name in running}
        latencies: dict[str, list[float]] = {name: [] for name in running}
        order = list(running)
        for round_number in range(rounds + 1):
            for name in order:
                server = running[name]
                raw = page_request(name, server.port, ds, "admin", first)
                total = LOAD[name] if round_number else 16  # round 0 warms up
                rate, times = await http.load(server.port, raw, total, 8, seconds=LOAD_SECONDS)
                if round_number:
                    throughput[name].append(rate)
                    latencies[name].extend(times)
            order.reverse()
        for name in running:
            results[(first, name)] = (
                median(throughput[name]),
                ms(percentile(latencies[name], 50)),
                ms(percentile(latencies[name], 99)),
            )
        if first == 50:
            latencies_50 = latencies["espace"]
        plain = results[(first, "plain")][0]
        espace = results[(first, "espace")][0]
        target = 1 / 2 if first == 50 else 1 / 3
        report.add(
            "4 HTTP peers",
            f"{first}-row page, 8 clients: Espace {espace:.0f} req/s / plain Starlette endpoint "
            f"with the same authorization {plain:.0f} req/s (floor "
            f"{results[(first, 'floor')][0]:.0f}, stock Strawberry "
            f"{results[(first, 'strawberry')][0]:.0f})",
            f"{espace / plain:.2f}",
            "≥ 0.50" if first == 50 else "≥ 0.33",
            espace / plain >= target,
        )
    rss = {name: server.rss_mib() for name, server in running.items()}
    labels = {
        "floor": "floor (hand-written SQL + orjson, rights known)",
        "plain": "plain Starlette endpoint, token + hand-written SQL with the authorization",
        "strawberry": "stock Strawberry + DataLoaders, same SQL",
        "espace": "Espace (`espace serve`)",
    }
    for first in (50, 10):
        plain = results[(first, "plain")][0]
        for name in ("floor", "plain", "strawberry", "espace"):
            rate, p50, p99 = results[(first, name)]
            table.append(
                f"| {first} rows | {labels[name]} | {rate:.0f} | {p50:.1f} ms | {p99:.1f} ms | "
                f"{rate / plain:.2f} | {rss[name]:.0f} MiB |"
            )
    report.section(
        "### HTTP peers (8 clients, admin persona, 20k establishment, one uvicorn worker each)",
        "\n".join(table),
    )
    p50, p99 = ms(percentile(latencies_50, 50)), ms(percentile(latencies_50, 99))
    report.add(
        "5 latency spread",
        f"Espace, 8 concurrent 50-row pages: p99 {p99:.1f} ms / p50 {p50:.1f} ms "
        f"({len(latencies_50)} requests)",
        f"{p99 / p50:.2f}",
        "≤ 2",
        p99 / p50 <= 2,
    )
    report.memory = rss


ISOLATION_SAMPLES = 100


async def isolation(report: Report, espace: Server, ds: Any, rounds: int) -> None:
    from bench import http, queries

    say("case 6: a small query alone and next to streaming exports (CSV of the 20k establishment)")
    small = http.request_bytes(
        "POST", "/graphql", espace.port, queries.small_body(ds.small_id), ds.admin_token
    )
    export = http.request_bytes(
        "GET",
        f"/exports/enrollments.csv?establishmentId={ds.big_id}",
        espace.port,
        None,
        ds.admin_token,
    )
    status, body = await http.once(espace.port, export)
    assert status == 200 and body.count(b"\n") > ds.shape.big, (status, body[:300])
    alone: list[float] = []
    loaded: list[float] = []
    exports: list[float] = []
    for _ in range(rounds):
        alone.extend((await http.load(espace.port, small, ISOLATION_SAMPLES, 1))[1])
        stop = asyncio.Event()

        async def keep_exporting(stop: asyncio.Event) -> None:
            connection = http.Connection(espace.port)
            try:
                while not stop.is_set():
                    start = time.perf_counter()
                    status, _ = await connection.send(export)
                    assert status == 200
                    exports.append(time.perf_counter() - start)
            finally:
                await connection.close()

        busy = asyncio.create_task(keep_exporting(stop))
        await asyncio.sleep(0.2)
        loaded.extend((await http.load(espace.port, small, ISOLATION_SAMPLES, 1))[1])
        stop.set()
        await busy
    idle, busy_p99 = ms(percentile(alone, 99)), ms(percentile(loaded, 99))
    report.add(
        "6 isolation",
        f"small query (5 rows of the 10 establishment) p99 {busy_p99:.1f} ms next to "
        f"exports ({len(exports)} CSV exports of "
        f"{ds.shape.big:,} rows ran, median {median(exports):.2f} s) / {idle:.1f} ms idle, "
        f"{len(alone)} samples each",
        f"{busy_p99 / idle:.2f}",
        "≤ 2",
        busy_p99 / idle <= 2,
    )


async def over_http(report: Report, directory: Path, ds: Any, rounds: int) -> None:
    async with servers(directory, ds) as running:
        await peers(report, running, ds, rounds)
        await isolation(report, running["espace"], ds, max(2, rounds - 1))
        after_pages = report.memory
        espace_end = running["espace"].rss_mib()
        strawberry = after_pages["strawberry"]
        report.add(
            "7 worker memory",
            f"RSS of the Espace worker after the load mix (pages, small queries, exports) "
            f"{espace_end:.0f} MiB (after the pages alone {after_pages['espace']:.0f} MiB) / "
            f"stock Strawberry worker after the same pages {strawberry:.0f} MiB",
            f"{espace_end / strawberry:.2f}",
            "≤ 1.5",
            espace_end / strawberry <= 1.5,
        )


# -- the database ---------------------------------------------------------------------------------
def postgres_database(server_url: str, name: str) -> str:
    """The URL of the bench database on this server, created if missing."""
    import asyncpg

    dsn = server_url.replace("postgres://", "postgresql://", 1)

    async def create() -> None:
        connection = await asyncpg.connect(dsn)
        try:
            if not await connection.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
                await connection.execute(f'CREATE DATABASE "{name}"')
        finally:
            await connection.close()

    asyncio.run(create())
    return f"{server_url.rsplit('/', 1)[0]}/{name}"


def database_description(url: str) -> str:
    if url.startswith("sqlite"):
        return f"SQLite {sqlite3.sqlite_version} file `{url.removeprefix('sqlite://')}`"
    return f"PostgreSQL database `{url.rsplit('/', 1)[1]}`"


# -- machine, output ------------------------------------------------------------
def commit() -> str:
    def git(*args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=PROJECT_DIR, capture_output=True, text=True, check=False
        ).stdout.strip()

    head = git("rev-parse", "--short", "HEAD")
    dirty = git("status", "--porcelain", "--", ".", ":!bench")
    return f"{head}{' with uncommitted changes outside bench/' if dirty else ''}"


def machine(server_version: str) -> str:
    cpu = platform.processor() or "unknown CPU"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    packages = ", ".join(
        f"{name} {version(name)}"
        for name in (
            "strawberry-graphql",
            "graphql-core",
            "tortoise-orm",
            "asyncpg",
            "oso",
            "uvicorn",
            "starlette",
        )
    )
    return (
        f"- CPU: {cpu}, {os.cpu_count()} cores\n"
        f"- Python {platform.python_version()} ({platform.python_implementation()}) on "
        f"{platform.platform()}\n"
        f"- {server_version}; {packages}\n"
        f"- load average when the run ended: {' '.join(f'{x:.1f}' for x in os.getloadavg())} "
        "(the machine is shared: other processes ran during the benchmark)"
    )


def data_description(ds: Any, url: str) -> str:
    s = ds.shape
    return (
        f"{ds.enrollments:,} enrollments and {ds.documents:,} documents in the "
        f"{database_description(url)}, loaded by `bench/data.py` (schema by the real "
        f"migrations, {'ANALYZE' if url.startswith('sqlite') else 'VACUUM ANALYZE'} after the "
        "load). Acme has establishments of "
        f"{s.big:,}, {s.medium:,} and {s.small:,} enrollments; {s.filler_sites} filler "
        f"establishments of {s.filler_companies} other companies and {s.individuals:,} "
        "orders of individuals hold the rest. Personas, both verified: Claire, ADMIN of the "
        "three Acme establishments and registrant of some orders elsewhere; Samuel, STANDARD "
        "on the three with invoice copies and certificates, and registrant of one order in "
        f"{s.registrant_every} of the two larger ones (every kind shown on those). Page "
        "queries filter on one establishment (`filter: {establishmentId}`)."
    )


def write_results(report: Report, ds: Any, url: str, elapsed: float, server_version: str) -> None:
    history = ""
    if RESULTS.exists():
        text = RESULTS.read_text()
        if HISTORY_MARKER in text:
            history = text.split(HISTORY_MARKER, 1)[1]
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    notes = "\n".join(f"- {n}" for n in report.notes)
    sections = "\n\n".join(f"{title}\n\n{body}" for title, body in report.sections.items())
    RESULTS.write_text(
        "# Benchmark results\n\n"
        f"Produced by `python -m bench --write` on {stamp} in {elapsed:.0f} s, measuring commit "
        f"{commit()}. What each case measures and why the comparison is fair: "
        "`bench/README.md`. Every ratio compares sides measured in the same run, interleaved.\n\n"
        f"## Machine\n\n{machine(server_version)}\n\n"
        f"## Data set\n\n{data_description(ds, url)}\n\n"
        f"## Targets (issue 20)\n\n{report.table()}\n\n"
        f"## Details\n\n{sections}\n\n"
        f"Notes:\n\n{notes}\n\n"
        f"{HISTORY_MARKER}{history or chr(10)}"
    )


async def server_version() -> str:
    from tortoise import connections

    connection = connections.get("default")
    if connection.capabilities.dialect == "postgres":
        _, rows = await connection.execute_query("SHOW server_version")
        _, mode = await connection.execute_query("SHOW plan_cache_mode")
        return f"PostgreSQL {rows[0][0]} (plan_cache_mode {mode[0][0]})"
    return f"SQLite {sqlite3.sqlite_version}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    where = parser.add_mutually_exclusive_group()
    where.add_argument(
        "--postgres",
        metavar="URL",
        default=os.environ.get("BENCH_POSTGRES", DEFAULT_SERVER),
        help=f"PostgreSQL server (default: $BENCH_POSTGRES or {DEFAULT_SERVER})",
    )
    where.add_argument("--sqlite", action="store_true", help="run on a SQLite file instead")
    parser.add_argument(
        "--database", default=DEFAULT_DATABASE, help="the bench database's name (PostgreSQL)"
    )
    parser.add_argument("--rebuild", action="store_true", help="load the data set again")
    parser.add_argument("--repetitions", type=int, default=9, help="rounds of in-process cases")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of the series and HTTP cases")
    parser.add_argument("--write", action="store_true", help="regenerate bench/RESULTS.md")
    parser.add_argument("--no-write", action="store_true", help=argparse.SUPPRESS)  # the default
    parser.add_argument(
        "--tiny", action="store_true", help="a few hundred rows (to try the bench, not to measure)"
    )
    args = parser.parse_args(argv)
    started = time.perf_counter()
    bench_dir = PROJECT_DIR / "var" / "bench"
    bench_dir.mkdir(parents=True, exist_ok=True)
    if args.sqlite:
        name = "bench-tiny.sqlite3" if args.tiny else "bench.sqlite3"
        url = f"sqlite://{bench_dir / name}"
    else:
        url = postgres_database(args.postgres, args.database + ("_tiny" if args.tiny else ""))
    os.environ[environment.DATABASE_VARIABLE] = url
    directory = environment.prepare(bench_dir / "run")
    say(f"database: {url}")
    report = Report()
    if args.sqlite:
        report.notes.append(
            "SQLite: no prepared-statement plan switch there, so case 2's runs 1-5 and 6+ "
            "differ by noise only."
        )

    async def in_this_process() -> tuple[Any, str]:
        from tortoise import Tortoise

        from bench import data

        await data.open_database(url)
        try:
            shape = data.TINY if args.tiny else data.PRODUCTION
            ds = await data.ensure(shape, args.rebuild, say)
            say(f"{ds.enrollments:,} enrollments, {ds.documents:,} documents")
            await in_process(report, ds, args)
            return ds, await server_version()
        finally:
            await Tortoise.close_connections()

    ds, server = asyncio.run(in_this_process())
    asyncio.run(over_http(report, directory, ds, args.rounds))
    elapsed = time.perf_counter() - started
    print()
    print(report.table())
    for title, body in report.sections.items():
        print(f"\n{title}\n\n{body}")
    for note in report.notes:
        print(f"- {note}")
    if args.write:
        write_results(report, ds, url, elapsed, server)
        say(f"wrote {RESULTS}")
    say(f"done in {elapsed:.0f} s")
    return 0
