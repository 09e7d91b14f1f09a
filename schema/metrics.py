"""The Strawberry extension that feeds the Prometheus metrics of GraphQL operations.

- `espace_graphql_operations_total{operation}` and `espace_graphql_operation_seconds{operation}`
- `espace_graphql_errors_total{code}`: errors by contract code
- `espace_authorization_denials_total{code}`: `FORBIDDEN` and `UNAUTHENTICATED` answers

Operation names are chosen by clients: only the first `MAX_OPERATION_NAMES` distinct ones
become labels, later ones count as `other`, so a client cannot blow up the label set. They are
served at `GET /metrics` by `web/metrics.py`.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

from graphql import ExecutionResult as GraphQLExecutionResult
from prometheus_client import Counter, Histogram
from strawberry.extensions import SchemaExtension
from strawberry.types.execution import ExecutionResult

from schema.errors import error_code

MAX_OPERATION_NAMES = 200
DENIAL_CODES = frozenset({"FORBIDDEN", "UNAUTHENTICATED"})
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")

OPERATIONS = Counter(
    "espace_graphql_operations", "GraphQL operations served, by operation name", ["operation"]
)
LATENCY = Histogram(
    "espace_graphql_operation_seconds",
    "Time to answer a GraphQL operation, by operation name",
    ["operation"],
)
ERRORS = Counter("espace_graphql_errors", "GraphQL errors returned, by error code", ["code"])
DENIALS = Counter(
    "espace_authorization_denials",
    "Operations refused for lack of identity or rights (FORBIDDEN, UNAUTHENTICATED)",
    ["code"],
)

_seen_names: set[str] = set()


def operation_label(name: str | None) -> str:
    if not name:
        return "anonymous"
    if name in _seen_names:
        return name
    if not _NAME.fullmatch(name) or len(_seen_names) >= MAX_OPERATION_NAMES:
        return "other"
    _seen_names.add(name)
    return name


class GraphQLMetrics(SchemaExtension):
    """Counts and times each operation and counts its errors by code."""

    def on_operation(self) -> Iterator[None]:
        started = time.perf_counter()
        yield
        context = self.execution_context
        label = operation_label(context.operation_name)
        OPERATIONS.labels(label).inc()
        LATENCY.labels(label).observe(time.perf_counter() - started)
        result = context.result
        if isinstance(result, GraphQLExecutionResult | ExecutionResult) and result.errors:
            for error in result.errors:
                code = error_code(error)
                ERRORS.labels(code).inc()
                if code in DENIAL_CODES:
                    DENIALS.labels(code).inc()
