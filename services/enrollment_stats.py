"""Counts and amounts of the enrollment history (issue 17): the same rows as the list, for
the same viewer and filter, grouped in SQL (two queries whatever the history's size)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from tortoise.functions import Count, Sum

from policies.engine import Policy, Viewer
from services.history import HistoryFilter, filtered, visible_enrollments


@dataclass(frozen=True)
class Group:
    """The enrollments sharing a status (or an establishment): how many, for how much."""

    key: str | int | None
    count: int
    amount: Decimal


@dataclass(frozen=True)
class Stats:
    count: int
    amount: Decimal
    by_status: list[Group]
    by_establishment: list[Group]


async def enrollment_stats(policy: Policy, viewer: Viewer | None, criteria: HistoryFilter) -> Stats:
    """What the list with this filter would count, by status and by establishment (null for
    orders of individuals). Amounts are net prices of all seats."""
    base = filtered(policy, viewer, visible_enrollments(policy, viewer, criteria.known()), criteria)
    groups: dict[str, list[Group]] = {}
    for column in ("status", "establishment_id"):
        rows = (
            await base.annotate(rows=Count("id"), total=Sum("net_price_total"))
            .group_by(column)
            .order_by(column)
            .values(column, "rows", "total")
        )
        groups[column] = [
            Group(row[column], int(row["rows"]), Decimal(str(row["total"] or 0)).quantize(CENT))
            for row in rows
        ]
    by_status = groups["status"]
    return Stats(
        count=sum(g.count for g in by_status),
        amount=sum((g.amount for g in by_status), Decimal("0.00")),
        by_status=by_status,
        by_establishment=groups["establishment_id"],
    )


CENT = Decimal("0.01")
