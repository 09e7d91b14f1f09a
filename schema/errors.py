"""Every GraphQL error leaves with an `extensions.code` and an `extensions.reason` from the
API contract (`services.errors.Code` and `Reason`, listed in the schema as `ErrorCode` and
`ErrorReason`).

Service errors keep their code, reason and details, and their message is translated into
the request's language (`schema.messages`); a field error also lists itself in
`extensions.fields` (`[{field, reason, message}]`), and a form with several invalid fields
answers one error listing all of them. GraphQL parse and validation errors become
`BAD_USER_INPUT` (`INVALID_REQUEST`, message in English); anything unexpected is masked as
`INTERNAL_SERVER_ERROR` with the request id, and logged with its stack trace on the server
only.
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

from schema import messages
from services.errors import Code, InvalidFields, Reason, ServiceError

logger = logging.getLogger("espace.graphql")

# Raised by the GraphQL layer itself for malformed documents or variables.
GRAPHQL_INPUT_ERROR = "BAD_USER_INPUT"
INTERNAL_ERROR = "INTERNAL_SERVER_ERROR"


# The reason of an error that did not name one, by code.
DEFAULT_REASONS: dict[str, Reason] = {
    Code.UNAUTHENTICATED: Reason.SIGN_IN_REQUIRED,
    Code.FORBIDDEN: Reason.NOT_ALLOWED,
    Code.NOT_FOUND: Reason.RECORD_NOT_FOUND,
    Code.BAD_USER_INPUT: Reason.INVALID_REQUEST,
    Code.CONFLICT: Reason.STATE_CONFLICT,
    Code.RATE_LIMITED: Reason.TOO_MANY_ATTEMPTS,
    Code.INTERNAL_SERVER_ERROR: Reason.INTERNAL_ERROR,
}


def _request_id(extension: SchemaExtension) -> str | None:
    context = extension.execution_context.context
    return getattr(context, "request_id", None)


def _language(extension: SchemaExtension) -> str:
    context = extension.execution_context.context
    request = getattr(context, "request", None)
    headers = getattr(request, "headers", None)
    return messages.request_language(headers.get("accept-language") if headers else None)


def _field_entries(error: ServiceError, language: str) -> list[dict[str, Any]]:
    """`extensions.fields`: each invalid field of the error with its reason and message."""
    problems = error.problems if isinstance(error, InvalidFields) else [error]
    return [
        {
            "field": problem.extensions["field"],
            "reason": problem.reason,
            "message": messages.translate(problem.template, problem.extensions, language),
        }
        for problem in problems
        if "field" in problem.extensions
    ]


def _about_variables(error: GraphQLError) -> bool:
    """A variable value the schema cannot accept (`"VALIDATE"` for an enum, a malformed
    date): graphql-core reports it at the variable definition, keeping the parse failure as
    `original_error`. That is the client's input, not our fault."""
    return any(isinstance(node, VariableDefinitionNode) for node in error.nodes or ())


def error_code(error: GraphQLError) -> str:
    """The contract code of an error (`coded_error` sets it, metrics count by it)."""
    original = error.original_error
    if isinstance(original, ServiceError):
        return str(original.code)
    code = (error.extensions or {}).get("code")
    if isinstance(code, str):
        return code
    if original is None or _about_variables(error):
        return GRAPHQL_INPUT_ERROR
    return INTERNAL_ERROR


def coded_error(
    error: GraphQLError, request_id: str | None, language: str = messages.ENGLISH
) -> GraphQLError:
    original = error.original_error
    extensions: dict[str, Any] = dict(error.extensions or {})
    message = error.message
    code = error_code(error)
    if isinstance(original, ServiceError):
        extensions.update(original.extensions)
        extensions["reason"] = original.reason
        message = messages.translate(original.template, original.extensions, language)
        fields = _field_entries(original, language)
        if fields:
            extensions["fields"] = fields
    elif code == INTERNAL_ERROR:
        logger.error(
            "unexpected error at %s (request %s)",
            error.path,
            request_id,
            exc_info=(type(original), original, original.__traceback__) if original else None,
        )
        message = "Internal server error."
    extensions["code"] = code
    extensions.setdefault("reason", DEFAULT_REASONS.get(code, Reason.INTERNAL_ERROR).value)
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
            language = _language(self)
            result.errors = [coded_error(e, request_id, language) for e in result.errors]

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
