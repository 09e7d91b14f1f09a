"""The Strawberry extension that feeds the Prometheus metrics of GraphQL operations.

- `espace_graphql_operations_total{operation}` and `espace_graphql_operation_seconds{operation}`
- `espace_graphql_errors_total{code}`: errors by contract code
- `espace_authorization_denials_total{code}`: `FORBIDDEN` and `UNAUTHENTICATED` answers

The `operation` label is the operation's first root field (`courses`, `logIn`): a name the
schema knows, never a client-chosen `operationName`, so the label set is bounded by the
schema; anything else (introspection, a document that did not parse) counts as `other`.
They are served at `GET /metrics` by `web/metrics.py`.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

from graphql import ExecutionResult as GraphQLExecutionResult
from graphql import FieldNode, OperationDefinitionNode
from prometheus_client import Counter, Histogram
from strawberry.extensions import SchemaExtension
from strawberry.types import ExecutionContext
from strawberry.types.execution import ExecutionResult

from schema.errors import error_code

DENIAL_CODES = frozenset({"FORBIDDEN", "UNAUTHENTICATED"})
OTHER = "other"

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
