"""`GET /exports/enrollments.csv|jsonl`: the list's rows for the list's viewer and filter,
streamed in constant memory (issue 17)."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import tracemalloc
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from models.enrollments import Enrollment
from models.enums import AccessRole
from tests import factories
from tests.demo_personas import demo_tokens
from tests.graphql import gql

LIST = """
query($after: String, $filter: EnrollmentFilter, $orderBy: EnrollmentOrder) {
  enrollments(first: 100, after: $after, filter: $filter, orderBy: $orderBy) {
    pageInfo { hasNextPage endCursor }
    nodes { reference visibleDocumentKinds documents { kind filename } }
  }
}
"""


async def _listed(client, token, filter, order) -> list[dict]:
    rows, after = [], None
    while True:
        variables = {"after": after, "filter": filter, "orderBy": order}
        page = (await gql(client, LIST, variables, token=token)).ok()["enrollments"]
        rows += page["nodes"]
        if not page["pageInfo"]["hasNextPage"]:
            return rows
        after = page["pageInfo"]["endCursor"]


CASES = [
    ({}, None, ""),
    (
        {"status": ["VALIDATED", "INVOICED"], "search": "equipe"},
        {"field": "AMOUNT", "direction": "ASC"},
        "status=VALIDATED&status=INVOICED&search=equipe&orderBy=AMOUNT&direction=ASC",
    ),
    (
        {"channel": ["WEB"]},
        {"field": "REFERENCE", "direction": "DESC"},
        "channel=WEB&orderBy=REFERENCE",
    ),
]


async def test_the_csv_export_agrees_with_the_list_for_every_persona(client):
    tokens = await demo_tokens()
    exported_rows = 0
    for name, token in tokens.items():
        for filter, order, query in CASES:
            response = await client.get(
                f"/exports/enrollments.csv?{query}", headers={"Authorization": f"Bearer {token}"}
            )
            listed = await _listed(client, token, filter, order)
            if response.status_code == 403:  # no access of their own: the policy says no
                assert response.json()["code"] == "FORBIDDEN"
                assert name in ("remi", "ines")
                continue
            assert response.status_code == 200, (name, response.text)
            assert response.headers["content-type"].startswith("text/csv")
            rows = list(csv.DictReader(io.StringIO(response.text)))
            assert [r["reference"] for r in rows] == [n["reference"] for n in listed], name
            for row, node in zip(rows, listed, strict=True):
                assert row["visible_document_kinds"].split() == node["visibleDocumentKinds"]
                documents = [f"{d['kind']}:{d['filename']}" for d in node["documents"]]
                assert row["documents"].split() == documents
            exported_rows += len(rows)
    assert exported_rows > 200


async def test_json_lines_and_refusals(client):
    site = await factories.establishment(name="Acme Paris")
    admin = await factories.account("admin@acme.example")
    await factories.access(admin, site, AccessRole.ADMIN)
    await factories.enrollment(registrant_email="x@acme.example", site=site)
    token = await factories.token_for(admin)
    auth = {"Authorization": f"Bearer {token}"}
    response = await client.get("/exports/enrollments.jsonl", headers=auth)
    assert response.status_code == 200
    [record] = [json.loads(line) for line in response.text.splitlines()]
    assert record["registrant_email"] == "x@acme.example"
    assert (await client.get("/exports/enrollments.csv")).status_code == 401
    bad = await client.get("/exports/enrollments.csv?orderBy=PRICE", headers=auth)
    assert bad.status_code == 400 and bad.json()["code"] == "BAD_USER_INPUT"
    assert (await client.get("/exports/enrollments.xml", headers=auth)).status_code == 404
    loner = await factories.token_for(await factories.account("loner@example.com"))
    refused = await client.get(
        "/exports/enrollments.csv", headers={"Authorization": f"Bearer {loner}"}
    )
    assert refused.status_code == 403


async def _rows(site: Any, count: int, start: int) -> None:
    session = await factories.course_session()
    moment = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    await Enrollment.bulk_create(
        [
            Enrollment(
                reference=f"EX-{n:06d}",
                session=session,
                establishment=site,
                registrant_email=f"buyer{n % 7}@example.com",
                channel="WEB",
                status="VALIDATED",
                seats=1,
                list_price_total=Decimal("900.00"),
                net_price_total=Decimal("900.00"),
                booked_at=moment + timedelta(minutes=n),
                expected_validation_by=moment + timedelta(minutes=n, hours=24),
            )
            for n in range(start, start + count)
        ],
        batch_size=1000,
    )


async def _export_peak(app: Any, token: str) -> tuple[int, int, int]:
    """Run the export through the ASGI app, dropping each body piece as it arrives (as a
    server writing to a socket does): (peak traced bytes, body bytes, lines)."""
    received = {"bytes": 0, "lines": 0}
    requested = []
    never = asyncio.Event()

    async def receive() -> dict[str, Any]:
        if not requested:
            requested.append(True)
            return {"type": "http.request", "body": b"", "more_body": False}
        await never.wait()  # the client stays connected until the response ends
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.body":
            body = message.get("body", b"")
            received["bytes"] += len(body)
            received["lines"] += body.count(b"\n")

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": "/exports/enrollments.csv",
        "raw_path": b"/exports/enrollments.csv",
        "query_string": urlencode({"orderBy": "REFERENCE", "direction": "ASC"}).encode(),
        "headers": [(b"authorization", f"Bearer {token}".encode()), (b"host", b"testserver")],
        "client": ("203.0.113.7", 50000),
        "server": ("testserver", 80),
    }
    tracemalloc.start()
    try:
        await app(scope, receive, send)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak, received["bytes"], received["lines"]


async def test_an_export_of_20000_rows_runs_in_bounded_memory(app):
    site = await factories.establishment(name="Big Site")
    admin = await factories.account("big@site.example")
    await factories.access(admin, site, AccessRole.ADMIN)
    token = await factories.token_for(admin)
    await _rows(site, 2_000, 0)
    small_peak, _, small_lines = await _export_peak(app, token)
    await _rows(site, 18_000, 2_000)
    peak, size, lines = await _export_peak(app, token)
    assert small_lines == 2_001 and lines == 20_001  # the header and every row
    assert size > 2_000_000  # the whole file went through
    # Ten times the rows, about the same peak: rows are held a chunk at a time.
    assert peak < 2 * small_peak, (peak, small_peak)
    assert peak < size, (peak, size)  # less than the file itself (PostgreSQL: about half)
