"""Every GraphQL error leaves with an `extensions.code` from the API contract.

Service errors keep their code and details; GraphQL parse and validation errors become
`BAD_USER_INPUT`; anything unexpected is masked as `INTERNAL_SERVER_ERROR` with the request
id, and logged with its stack trace on the server only.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

from graphql import ExecutionResult as GraphQLExecutionResult
from graphql.error import GraphQLError
from strawberry.extensions import SchemaExtension
from strawberry.types.execution import ExecutionResult

from services.errors import ServiceError

logger = logging.getLogger("espace.graphql")

# Raised by the GraphQL layer itself for malformed documents or variables.
GRAPHQL_INPUT_ERROR = "BAD_USER_INPUT"


def _request_id(extension: SchemaExtension) -> str | None:
    context = extension.execution_context.context
    return getattr(context, "request_id", None)


def coded_error(error: GraphQLError, request_id: str | None) -> GraphQLError:
    original = error.original_error
    extensions: dict[str, Any] = dict(error.extensions or {})
    message = error.message
    if isinstance(original, ServiceError):
        extensions.update(original.extensions)
        extensions["code"] = original.code
    elif "code" in extensions:
        pass
    elif original is None:
        extensions["code"] = GRAPHQL_INPUT_ERROR
    else:
        logger.error(
            "unexpected error at %s (request %s)",
            error.path,
            request_id,
            exc_info=(type(original), original, original.__traceback__),
        )
        message = "Internal server error."
        extensions["code"] = "INTERNAL_SERVER_ERROR"
    if request_id:
        extensions["requestId"] = request_id
    return GraphQLError(
        message=message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        original_error=None,
        extensions=extensions,
    )


class ErrorCodes(SchemaExtension):
    """Gives every error its contract code, masking the unexpected ones."""

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        if isinstance(result, GraphQLExecutionResult | ExecutionResult) and result.errors:
            request_id = _request_id(self)
            result.errors = [coded_error(e, request_id) for e in result.errors]
