"""`enrollmentStats` counts what `enrollments` lists, for every demo persona and filter: never
a row the viewer may not read (issue 17)."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

from tests.demo_personas import demo_tokens
from tests.graphql import gql

LIST = """
query($after: String, $filter: EnrollmentFilter) {
  enrollments(first: 100, after: $after, filter: $filter) {
    totalCount
    pageInfo { hasNextPage endCursor }
    nodes { status netPriceTotal establishmentId }
  }
}
"""
STATS = """
query($filter: EnrollmentFilter) {
  enrollmentStats(filter: $filter) {
    count amount
    byStatus { status count amount }
    byEstablishment { establishmentId count amount }
  }
}
"""
FILTERS = [
    {},
    {"status": ["VALIDATED", "INVOICED"]},
    {"search": "equipe"},
    {"mineOnly": True},
    {"channel": ["PHONE", "EMAIL"], "courseCode": "MGT-101"},
]


async def _every_row(client, token, filter) -> list[dict]:
    rows, after = [], None
    while True:
        page = (await gql(client, LIST, {"after": after, "filter": filter}, token=token)).ok()
        rows += page["enrollments"]["nodes"]
        if not page["enrollments"]["pageInfo"]["hasNextPage"]:
            return rows
        after = page["enrollments"]["pageInfo"]["endCursor"]


def _grouped(rows: list[dict], key: str) -> dict:
    counts = Counter(row[key] for row in rows)
    amounts: dict = {}
    for row in rows:
        amounts[row[key]] = amounts.get(row[key], Decimal(0)) + Decimal(row["netPriceTotal"])
    return {k: (counts[k], amounts[k]) for k in counts}


async def test_stats_agree_with_the_list_for_every_persona(client):
    tokens = await demo_tokens()
    seen_rows = 0
    for (name, token), filter in ((t, f) for t in tokens.items() for f in FILTERS):
        rows = await _every_row(client, token, filter)
        stats = (await gql(client, STATS, {"filter": filter}, token=token)).ok()["enrollmentStats"]
        assert stats["count"] == len(rows), name
        assert Decimal(stats["amount"]) == sum((Decimal(r["netPriceTotal"]) for r in rows), 0)
        by_status = {g["status"]: (g["count"], Decimal(g["amount"])) for g in stats["byStatus"]}
        assert by_status == _grouped(rows, "status"), name
        by_site = {
            g["establishmentId"]: (g["count"], Decimal(g["amount"]))
            for g in stats["byEstablishment"]
        }
        assert by_site == _grouped(rows, "establishmentId"), name
        seen_rows += len(rows)
    assert seen_rows > 0


async def test_stats_need_a_signed_in_viewer(client):
    assert (await gql(client, STATS)).codes == ["UNAUTHENTICATED"]
