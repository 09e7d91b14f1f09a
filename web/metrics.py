"""Prometheus metrics at `GET /metrics` (only when `METRICS_ENABLED=true`).

- `espace_graphql_operations_total{operation}` and `espace_graphql_operation_seconds{operation}`
- `espace_graphql_errors_total{code}`: errors by contract code
- `espace_authorization_denials_total{code}`: `FORBIDDEN` and `UNAUTHENTICATED` answers
- `espace_outbox_backlog`: mails queued and not yet sent (counted at scrape time)

The `operation` label is the operation's first root field (`courses`, `logIn`): a name the
schema knows, never a client-chosen `operationName`, so the label set is bounded by the
schema; anything else (introspection, a document that did not parse) counts as `other`. With
several workers, set `PROMETHEUS_MULTIPROC_DIR` so every worker's counts are summed.

The endpoint wants `Authorization: Bearer <METRICS_TOKEN>`; without a token configured it
answers only clients on the loopback interface (a scraper on the same host).
"""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import Iterable, Iterator

from graphql import ExecutionResult as GraphQLExecutionResult
from graphql import FieldNode, OperationDefinitionNode
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from starlette.requests import Request
from starlette.responses import Response
from strawberry.extensions import SchemaExtension
from strawberry.types import ExecutionContext
from strawberry.types.execution import ExecutionResult

from schema.errors import error_code
from services.mail_sender import pending_count

DENIAL_CODES = frozenset({"FORBIDDEN", "UNAUTHENTICATED"})
OTHER = "other"
LOOPBACK = frozenset({"127.0.0.1", "::1"})

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


def operation_label(context: ExecutionContext) -> str:
    """The name of the executed operation's first root field, when the schema has it."""
    document = context.graphql_document
    if document is None:
        return OTHER
    name = context.operation_name
    for definition in document.definitions:
        if not isinstance(definition, OperationDefinitionNode):
            continue
        if name and (definition.name is None or definition.name.value != name):
            continue
        root = context.schema._schema.get_root_type(definition.operation)
        for selection in definition.selection_set.selections:
            if isinstance(selection, FieldNode) and root and selection.name.value in root.fields:
                return selection.name.value
        return OTHER
    return OTHER


class GraphQLMetrics(SchemaExtension):
    """Counts and times each operation and counts its errors by code."""

    def on_operation(self) -> Iterator[None]:
        started = time.perf_counter()
        yield
        context = self.execution_context
        label = operation_label(context)
        OPERATIONS.labels(label).inc()
        LATENCY.labels(label).observe(time.perf_counter() - started)
        result = context.result
        if isinstance(result, GraphQLExecutionResult | ExecutionResult) and result.errors:
            for error in result.errors:
                code = error_code(error)
                ERRORS.labels(code).inc()
                if code in DENIAL_CODES:
                    DENIALS.labels(code).inc()


class _Backlog(Collector):
    def __init__(self, count: int) -> None:
        self.count = count

    def collect(self) -> Iterable[Metric]:
        gauge = GaugeMetricFamily("espace_outbox_backlog", "Mails queued and not yet sent")
        gauge.add_metric([], self.count)
        yield gauge


def _process_registry() -> CollectorRegistry:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return registry
    return REGISTRY


def allowed(request: Request, token: str | None) -> bool:
    """The scraper shows the token, or (no token configured) connects from this host."""
    if token:
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        return scheme.lower() == "bearer" and secrets.compare_digest(
            given.strip().encode(), token.encode()
        )
    return request.client is not None and request.client.host in LOOPBACK


async def metrics_endpoint(request: Request) -> Response:
    """The Prometheus text exposition of this process (or of all workers, see above)."""
    if not allowed(request, request.app.state.settings.metrics_token):
        return Response(
            "Metrics need the METRICS_TOKEN bearer token.\n",
            status_code=401,
            headers={"WWW-Authenticate": "Bearer"},
            media_type="text/plain",
        )
    backlog = CollectorRegistry(auto_describe=False)
    backlog.register(_Backlog(await pending_count()))
    body = generate_latest(_process_registry()) + generate_latest(backlog)
    return Response(body, media_type=CONTENT_TYPE_LATEST)
