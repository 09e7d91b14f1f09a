"""Every GraphQL error leaves with an `extensions.code` from the API contract.

Service errors keep their code and details; GraphQL parse and validation errors become
`BAD_USER_INPUT`; anything unexpected is masked as `INTERNAL_SERVER_ERROR` with the request
id, and logged with its stack trace on the server only.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from typing import Any

from graphql import ExecutionResult as GraphQLExecutionResult
from graphql.error import GraphQLError
from graphql.language import VariableDefinitionNode
from strawberry.extensions import SchemaExtension
from strawberry.types.execution import ExecutionResult

from services.errors import ServiceError

logger = logging.getLogger("espace.graphql")

# Raised by the GraphQL layer itself for malformed documents or variables.
GRAPHQL_INPUT_ERROR = "BAD_USER_INPUT"
INTERNAL_ERROR = "INTERNAL_SERVER_ERROR"


def _request_id(extension: SchemaExtension) -> str | None:
    context = extension.execution_context.context
    return getattr(context, "request_id", None)


def _about_variables(error: GraphQLError) -> bool:
    """A variable value the schema cannot accept (`"VALIDATE"` for an enum, a malformed
    date): graphql-core reports it at the variable definition, keeping the parse failure as
    `original_error`. That is the client's input, not our fault."""
    return any(isinstance(node, VariableDefinitionNode) for node in error.nodes or ())


def error_code(error: GraphQLError) -> str:
    """The contract code of an error (`coded_error` sets it, metrics count by it)."""
    original = error.original_error
    if isinstance(original, ServiceError):
        return original.code
    code = (error.extensions or {}).get("code")
    if isinstance(code, str):
        return code
    if original is None or _about_variables(error):
        return GRAPHQL_INPUT_ERROR
    return INTERNAL_ERROR


def coded_error(error: GraphQLError, request_id: str | None) -> GraphQLError:
    original = error.original_error
    extensions: dict[str, Any] = dict(error.extensions or {})
    message = error.message
    code = error_code(error)
    if isinstance(original, ServiceError):
        extensions.update(original.extensions)
    elif code == INTERNAL_ERROR:
        logger.error(
            "unexpected error at %s (request %s)",
            error.path,
            request_id,
            exc_info=(type(original), original, original.__traceback__) if original else None,
        )
        message = "Internal server error."
    extensions["code"] = code
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

    def on_validate(self) -> Iterator[None]:
        yield
        # Whatever validation reports is about the document the client sent, even when
        # graphql-core keeps an exception as its cause (a literal a scalar cannot parse).
        for error in self.execution_context.pre_execution_errors or ():
            error.extensions = {**(error.extensions or {}), "code": GRAPHQL_INPUT_ERROR}


# graphql-core appends " Did you mean 'x', 'y', or 'z'?" to validation and coercion messages.
_SUGGESTION = re.compile(r" ?Did you mean [^?]*\?")


def without_suggestion(error: GraphQLError) -> GraphQLError:
    message = _SUGGESTION.sub("", error.message)
    if message == error.message:
        return error
    return GraphQLError(
        message=message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        original_error=error.original_error,
        extensions=error.extensions,
    )


class HideSuggestions(SchemaExtension):
    """Production: no "Did you mean ...?" in messages, which would spell out the schema that
    introspection, turned off there, no longer reveals."""

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        if isinstance(result, GraphQLExecutionResult | ExecutionResult) and result.errors:
            result.errors = [without_suggestion(e) for e in result.errors]
