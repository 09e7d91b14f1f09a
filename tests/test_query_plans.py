"""The history's page query says each condition once, and PostgreSQL keeps reading a page (not
the whole establishment) however many times it runs (issue 20).

asyncpg prepares every statement; after five runs PostgreSQL may switch a prepared statement to
a generic plan. With the policy's filter AND-ed to the page's own establishment filter as it
came, `(registrant_email = $1 OR establishment_id = $2) AND establishment_id = $3`, that plan
read and joined every row of a 20,000-row establishment to show 50. The plan tests run the page
query as the service builds it six times on one connection and read the plan of the sixth run
(`EXPLAIN ANALYZE EXECUTE`): a property of the plan (how many enrollment rows it reads), never
a time. They need PostgreSQL; the SQL-shape tests run on SQLite too.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from tortoise import connections

from models.accounts import Account
from models.documents import Document
from models.enrollments import Enrollment
from models.enums import AccessRole, DocumentKind
from policies.engine import Policy, Viewer
from services import history
from services.login_sessions import viewer_for_account
from tests import factories
from tests.conftest import IS_POSTGRES
from tests.policy_oracle import visible_kinds

# Enrollments of the big establishment, and of other companies' establishments: enough rows
# and establishments that PostgreSQL estimates as it does in production (on a few thousand
# rows in all, reading the whole table is rightly cheaper than 20 index lookups).
BIG = 4000
OTHERS = 16000
OTHER_SITES = 80
OWN = 40  # of those, booked by the admin as registrant (the e-mail branch of the read rule)
PAGE = 20

postgres_only = pytest.mark.skipif(not IS_POSTGRES, reason="plans of PostgreSQL")


@dataclass
class World:
    site_id: int
    admin: Viewer
    standard: Viewer


async def _world(big: int = BIG, others_count: int = OTHERS, sites: int = OTHER_SITES) -> World:
    """A big establishment with documents, other companies' sites where the admin is the
    registrant of some orders, a verified admin and a verified standard user; ANALYZEd."""
    site = await factories.establishment(name="Big")
    others = [(await factories.establishment()).id for _ in range(sites)]
    session = await factories.course_session()
    admin = await factories.account("claire@big.example")
    standard = await factories.account("samuel@big.example")
    await factories.access(admin, site, AccessRole.ADMIN)
    await factories.access(standard, site, AccessRole.STANDARD, kinds=[DocumentKind.INVOICE_COPY])
    start = datetime(2025, 1, 6, 8, 0, tzinfo=UTC)

    def enrollment(n: int, site_id: int, email: str) -> Enrollment:
        return Enrollment(
            reference=f"QP-{n:06d}",
            session=session,
            establishment_id=site_id,
            registrant_email=email,
            channel="WEB",
            status="VALIDATED",
            seats=1,
            list_price_total=Decimal("900.00"),
            net_price_total=Decimal("900.00"),
            booked_at=start + timedelta(minutes=37 * n),
            expected_validation_by=start + timedelta(minutes=37 * n, hours=24),
        )

    rows = [enrollment(n, site.id, f"buyer{n % 50}@big.example") for n in range(big)]
    rows += [
        enrollment(
            big + n,
            others[n % sites],
            admin.email if n < OWN else f"buyer{n}@elsewhere.example",
        )
        for n in range(others_count)
    ]
    await Enrollment.bulk_create(rows, batch_size=1000)
    ids = await Enrollment.filter(establishment_id=site.id).values_list("id", flat=True)
    await Document.bulk_create(
        [
            Document(
                enrollment_id=i,
                kind=kind.value,
                filename=f"{i}.pdf",
                size=100,
                checksum="0" * 64,
            )
            for i in ids
            for kind in DocumentKind
        ],
        batch_size=2000,
    )
    if IS_POSTGRES:
        await connections.get("default").execute_script("ANALYZE")
    return World(site.id, await _viewer(admin), await _viewer(standard))


async def _viewer(account: Account) -> Viewer:
    return await viewer_for_account(account)


@dataclass
class Statement:
    sql: str
    values: list[Any]


async def _page_statement(
    viewer: Viewer,
    criteria: history.HistoryFilter,
    monkeypatch: pytest.MonkeyPatch,
    with_actions: bool = True,
) -> tuple[Statement, history.HistoryPage]:
    """The page query `history_page` sends, as sent (text and parameters), and the page."""
    client = connections.get("default")
    sent: list[Statement] = []

    def recorder(method: Any) -> Any:
        async def recording(sql: str, values: list[Any] | None = None) -> Any:
            sent.append(Statement(sql, list(values or [])))
            return await method(sql, values)

        return recording

    with monkeypatch.context() as patch:
        # Tortoise's `.values()` reads through `execute_query_dict`, the rest through
        # `execute_query`.
        for name in ("execute_query", "execute_query_dict"):
            patch.setattr(client, name, recorder(getattr(client, name)))
        page = await history.history_page(
            Policy(), viewer, criteria, PAGE, with_actions=with_actions
        )
    pages = [s for s in sent if "ORDER BY" in s.sql and '"enrollment"' in s.sql]
    assert len(pages) == 1, [s.sql for s in sent]
    return pages[0], page


def _where(sql: str) -> str:
    """The conditions of the page's rows: those of the subquery choosing their ids."""
    inner = sql[sql.index(' IN (SELECT "id"') :]
    return inner[inner.index(" WHERE ") : inner.index(" ORDER BY ")]


# -- what the SQL says (both databases) -----------------------------------------------------

SMALL = {"big": 200, "others_count": 100, "sites": 4}  # the SQL text does not depend on sizes


async def test_a_page_of_one_establishment_is_filtered_by_the_establishment_alone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The admin reads the establishment and their own orders; on a page of the establishment
    the e-mail branch can add nothing, so the SQL does not carry it."""
    world = await _world(**SMALL)
    criteria = history.HistoryFilter(establishment_id=world.site_id)
    for viewer in (world.admin, world.standard):
        statement, page = await _page_statement(viewer, criteria, monkeypatch)
        where = _where(statement.sql)
        assert " OR " not in where, where
        assert "registrant_email" not in where, where
        assert where.count("establishment_id") == 1, where
        assert len(page.enrollments) == PAGE
        assert {row.establishment_id for row in page.enrollments} == {world.site_id}


async def test_the_whole_history_states_each_branch_of_the_read_rule_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    world = await _world(**SMALL)
    statement, page = await _page_statement(world.admin, history.HistoryFilter(), monkeypatch)
    where = _where(statement.sql)
    assert where.count("registrant_email") == 1, where
    assert where.count("establishment_id") == 1, where
    assert where.count(" OR ") == 1, where
    assert await page.count() == SMALL["big"] + OWN


def _inlined(statement: Statement) -> str:
    """The statement's text with its parameters written in (`$n` or `?`)."""
    if "$1" in statement.sql:
        return re.sub(
            r"\$(\d+)", lambda m: _literal(statement.values[int(m.group(1)) - 1]), statement.sql
        )
    values = iter(statement.values)
    return re.sub(r"\?", lambda m: _literal(next(values)), statement.sql)


def _case_columns(sql: str) -> dict[str, str]:
    """Each CASE column of the statement: its name and its condition."""
    return {
        name: condition
        for condition, name in re.findall(r'CASE WHEN (.*?) THEN \S+ ELSE \S+ END "(\w+)"', sql)
    }


async def test_document_kinds_with_the_same_condition_share_one_column(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Which kinds a row shows is one CASE column per distinct condition of the policy, not
    one per kind: no two columns of a page test the same thing. The kinds each row shows
    are still the policy's, asked of each enrollment alone."""
    world = await _world(**SMALL)
    policy = Policy()
    for viewer in (world.admin, world.standard):
        for criteria in (
            history.HistoryFilter(),
            history.HistoryFilter(establishment_id=world.site_id),
        ):
            statement, page = await _page_statement(viewer, criteria, monkeypatch)
            conditions = [
                condition
                for name, condition in _case_columns(_inlined(statement)).items()
                if name.startswith("can_read_")
            ]
            assert len(conditions) == len(set(conditions)), conditions
            for row in page.enrollments[:3]:
                shown = sorted(kind.value for kind in page.visible_kinds[row.id])
                assert shown == await visible_kinds(policy, viewer.email, row.id)


async def test_a_page_that_shows_no_action_leaves_their_columns_out(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`viewerCanCancel` and `viewerCanRequestPostponement` come from CASE columns of the
    page query; a page that does not show them does not compute them."""
    world = await _world(**SMALL)
    criteria = history.HistoryFilter(establishment_id=world.site_id)
    with_them, _ = await _page_statement(world.admin, criteria, monkeypatch)
    without, page = await _page_statement(world.admin, criteria, monkeypatch, with_actions=False)
    assert {"can_cancel", "can_request_postponement"} <= set(_case_columns(with_them.sql))
    assert not {"can_cancel", "can_request_postponement"} & set(_case_columns(without.sql))
    assert len(page.enrollments) == PAGE


# -- what PostgreSQL does with it -----------------------------------------------------------


def _literal(value: Any) -> str:
    """A parameter as an SQL literal, for `EXECUTE name(...)` (a utility statement takes no
    bound parameters)."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | Decimal):
        return str(value)
    if isinstance(value, datetime):
        return f"'{value.isoformat()}'"
    return "'" + str(value).replace("'", "''") + "'"


async def _sixth_run_plan(statement: Statement, mode: str | None = None) -> dict[str, Any]:
    """The plan of the sixth run of the statement, prepared once on one of the app's
    connections (with its settings, or `plan_cache_mode = mode`)."""
    client = connections.get("default")
    arguments = ", ".join(_literal(v) for v in statement.values)
    async with client.acquire_connection() as connection:
        if mode is not None:
            await connection.execute(f"SET plan_cache_mode = {mode}")
        await connection.execute(f"PREPARE page AS {statement.sql}")
        try:
            for _ in range(5):
                await connection.fetch(f"EXECUTE page({arguments})")
            explained = await connection.fetchval(
                f"EXPLAIN (ANALYZE, FORMAT JSON) EXECUTE page({arguments})"
            )
        finally:
            await connection.execute("DEALLOCATE page")
            await connection.execute("RESET plan_cache_mode")
    plan: dict[str, Any] = json.loads(explained)[0]["Plan"]
    return plan


def _nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", ()):
        yield from _nodes(child)


def _rows_read(plan: dict[str, Any], table: str, column: str = "") -> int:
    """Rows of `table` the plan's scans produced or threw away, over all their loops (only
    the scans with a condition on `column`, if given)."""
    return sum(
        (node["Actual Rows"] + node.get("Rows Removed by Filter", 0)) * node["Actual Loops"]
        for node in _nodes(plan)
        if node.get("Relation Name") == table
        and column in " ".join(node.get(k, "") for k in ("Index Cond", "Recheck Cond", "Filter"))
    )


def _is_generic(plan: dict[str, Any]) -> bool:
    """A generic plan still compares columns with `$n` parameters."""
    return any(re.search(r"\$\d", json.dumps(node)) for node in _nodes(plan))


@postgres_only
async def test_the_app_s_connections_plan_every_run_for_its_parameters() -> None:
    client = connections.get("default")
    async with client.acquire_connection() as connection:
        assert await connection.fetchval("SHOW plan_cache_mode") == "force_custom_plan"


@postgres_only
async def test_pages_keep_reading_a_page_however_often_they_run(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """One load of production-shaped data (ANALYZEd), three plans of sixth runs."""
    world = await _world()
    criteria = history.HistoryFilter(establishment_id=world.site_id)

    # 1. A page of the big establishment: the sixth run is still planned for its parameters
    #    and reads the page's ids off the index (PAGE + 1 rows), then those rows.
    for viewer in (world.admin, world.standard):
        statement, _ = await _page_statement(viewer, criteria, monkeypatch)
        plan = await _sixth_run_plan(statement)
        assert not _is_generic(plan)
        assert _rows_read(plan, "enrollment") <= 3 * (PAGE + 1), plan
        assert _rows_read(plan, "course_session") <= PAGE + 1, plan

    # 2. The filter says `establishment_id = $n` once, so even a generic plan (which the
    #    app's settings avoid, but PostgreSQL may choose where they are not in force) walks
    #    the establishment's index for a page of ids. With the policy's OR repeated, it read
    #    every row of the establishment through a bitmap. (A generic plan still misjudges
    #    `LIMIT $n`, one more reason why the connections plan each run.)
    statement, _ = await _page_statement(world.admin, criteria, monkeypatch)
    plan = await _sixth_run_plan(statement, "force_generic_plan")
    assert _is_generic(plan)
    assert 0 < _rows_read(plan, "enrollment", "establishment_id") <= 2 * (PAGE + 1), plan

    # 3. The whole history: no index reads an establishment and the registrant's own orders
    #    in booking order, so their ids are all read and sorted; but only the page's rows are
    #    joined to their session and get their CASE columns.
    statement, _ = await _page_statement(world.admin, history.HistoryFilter(), monkeypatch)
    plan = await _sixth_run_plan(statement)
    assert not _is_generic(plan)
    assert _rows_read(plan, "course_session") <= PAGE + 1, plan
