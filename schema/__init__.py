"""The GraphQL schema: one module per concept, merged here."""

from __future__ import annotations

from collections.abc import Sequence
from types import ModuleType

import strawberry
from graphql import GraphQLError
from strawberry.extensions import SchemaExtension
from strawberry.schema.config import StrawberryConfig
from strawberry.tools import merge_types
from strawberry.types import ExecutionContext

from schema import access, accounts, audit, catalog, documents, enrollments, node
from schema.error_reasons import ERROR_TYPES
from schema.errors import ErrorCodes
from schema.formats import SCALAR_FORMATS
from schema.input_checks import InputChecks
from schema.uploads import SCALAR_MAP

# Each module may define `Query` and `Mutation`; their fields are merged in this order.
MODULES: Sequence[ModuleType] = (
    accounts,
    catalog,
    enrollments,
    documents,
    access,
    audit,
    node,
)


ROOT_DESCRIPTIONS = {
    "Query": "Everything a client can read. Lists and records are filtered by the policy: "
    "what the caller may not see is absent (lists) or null with NOT_FOUND (records). "
    "Errors carry `extensions.code` (ErrorCode) and `extensions.reason` (ErrorReason).",
    "Mutation": "Everything a client can change. Each mutation asks the policy first and "
    "answers with an `extensions.code` (ErrorCode) and an `extensions.reason` (ErrorReason) "
    "when it refuses; invalid input lists every invalid field in `extensions.fields` "
    "(`[{field, reason, message}]`). Messages are in French for `Accept-Language: fr`, in "
    "English otherwise.",
}


def _merged(name: str) -> type | None:
    parts = tuple(getattr(m, name) for m in MODULES if hasattr(m, name))
    if not parts:
        return None
    merge_types(name, parts)  # refuses two modules defining the same field
    return strawberry.type(type(name, parts, {}), name=name, description=ROOT_DESCRIPTIONS[name])


class EspaceSchema(strawberry.Schema):
    """Logs only unexpected errors: a NOT_FOUND or a BAD_USER_INPUT is an answer, not a fault
    (`schema.errors.ErrorCodes` logs the unexpected ones with their stack trace)."""

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        return None


def build_schema(
    extensions: Sequence[type[SchemaExtension]] = (), *, standard_execution: bool = False
) -> strawberry.Schema:
    """The schema with its extensions (classes, instantiated per request by Strawberry).

    It runs operations with `performance.executor.EspaceExecutor`; `standard_execution` gives
    Strawberry's own executor instead, for tests and benchmarks that compare the two.
    """
    # Imported here: the executor reads `schema.limits`, so importing it at the top of this
    # package would make `import performance.executor` circular.
    from performance.executor import EspaceExecutor

    query = _merged("Query")
    assert query is not None, "schema modules define no Query"
    return EspaceSchema(
        query=query,
        mutation=_merged("Mutation"),
        extensions=[ErrorCodes, InputChecks, *extensions],
        types=ERROR_TYPES,
        config=StrawberryConfig(scalar_map={**SCALAR_MAP, **SCALAR_FORMATS}),
        execution_context_class=None if standard_execution else EspaceExecutor,
    )
