"""Checks every argument value of an operation gets before anything runs.

Whatever the argument, in a literal or in a variable, nested in input objects or lists:

- a string must be storable: no NUL character (PostgreSQL refuses it in text) and no lone
  surrogate (JSON can carry `"\\ud800"`, UTF-8 cannot), and at most `MAX_STRING_LENGTH`
  characters (SQLite gives up on LIKE patterns over 50,000 bytes);
- a list holds at most `MAX_LIST_ITEMS` values (asyncpg takes at most 32,767 query
  arguments, and nobody filters on 60,000 statuses).

A document holding several operations must say which one to run (`operationName`), as the
GraphQL specification requires. Each refusal is one BAD_USER_INPUT naming the argument
(`extensions.field`, e.g. `input.trainees.0.firstName`), and nothing is executed. Services
still clean what they store (`services.text`): this layer only keeps the impossible out.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from graphql import (
    ExecutionResult,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    ListValueNode,
    ObjectValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    StringValueNode,
    ValueNode,
    VariableNode,
)
from strawberry.extensions import SchemaExtension

from services.text import unstorable_character

MAX_STRING_LENGTH = 10_000
MAX_LIST_ITEMS = 2_000  # as many as a literal list within the token limit
CODE = "BAD_USER_INPUT"


class InputRefused(Exception):
    """An argument value we refuse: `field` is its path, `message` says why."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def check_value(value: Any, field: str) -> None:
    """Check a value as decoded from JSON (a variable), recursively."""
    if isinstance(value, str):
        check_string(value, field)
    elif isinstance(value, list):
        check_length(len(value), field)
        for index, item in enumerate(value):
            check_value(item, f"{field}.{index}")
    elif isinstance(value, Mapping):
        for key, item in value.items():
            check_value(item, f"{field}.{key}")


def check_string(value: str, field: str) -> None:
    problem = unstorable_character(value)
    if problem:
        raise InputRefused(field, f"`{field}` {problem}.")
    if len(value) > MAX_STRING_LENGTH:
        raise InputRefused(field, f"`{field}` is longer than {MAX_STRING_LENGTH} characters.")


def check_length(count: int, field: str) -> None:
    if count > MAX_LIST_ITEMS:
        raise InputRefused(field, f"`{field}` holds more than {MAX_LIST_ITEMS} values.")


def check_node(node: ValueNode, field: str, variables: Mapping[str, Any]) -> None:
    """Check a value written in the document (a literal), following variables."""
    if isinstance(node, VariableNode):
        name = node.name.value
        if name in variables:
            check_value(variables[name], field)
    elif isinstance(node, StringValueNode):
        check_string(node.value, field)
    elif isinstance(node, ListValueNode):
        check_length(len(node.values), field)
        for index, item in enumerate(node.values):
            check_node(item, f"{field}.{index}", variables)
    elif isinstance(node, ObjectValueNode):
        for object_field in node.fields:
            check_node(object_field.value, f"{field}.{object_field.name.value}", variables)


def _fields(
    selection_set: SelectionSetNode | None,
    fragments: Mapping[str, FragmentDefinitionNode],
    seen: set[str],
) -> Iterator[FieldNode]:
    """Every field of a selection set, through fragments (each fragment walked once)."""
    for selection in selection_set.selections if selection_set else ():
        if isinstance(selection, FieldNode):
            yield selection
            yield from _fields(selection.selection_set, fragments, seen)
        elif isinstance(selection, InlineFragmentNode):
            yield from _fields(selection.selection_set, fragments, seen)
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            if name not in seen and name in fragments:
                seen.add(name)
                yield from _fields(fragments[name].selection_set, fragments, seen)


def check_operation(
    operation: OperationDefinitionNode,
    fragments: Mapping[str, FragmentDefinitionNode],
    variables: Mapping[str, Any],
) -> None:
    """InputRefused for the first argument value we cannot accept."""
    for field in _fields(operation.selection_set, fragments, set()):
        for argument in field.arguments or ():
            check_node(argument.value, argument.name.value, variables)


def refusal(message: str, field: str | None = None) -> ExecutionResult:
    extensions: dict[str, Any] = {"code": CODE}
    if field:
        extensions["field"] = field
    return ExecutionResult(data=None, errors=[GraphQLError(message, extensions=extensions)])


class InputChecks(SchemaExtension):
    """Refuses, before execution, an operation whose arguments break the rules above."""

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        if document is not None and context.result is None:
            operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
            fragments = {
                d.name.value: d
                for d in document.definitions
                if isinstance(d, FragmentDefinitionNode)
            }
            # Not `context.operation_name`: Strawberry fills it with the first operation's
            # name when the request gave none, which made it run the first operation.
            name: str | None = getattr(context, "_provided_operation_name", None)
            if len(operations) > 1 and not name:
                context.result = refusal(
                    "This document holds several operations: say which one to run with "
                    "`operationName`.",
                    "operationName",
                )
            else:
                chosen = [o for o in operations if not name or (o.name and o.name.value == name)]
                try:
                    for operation in chosen[:1]:
                        check_operation(operation, fragments, context.variables or {})
                except InputRefused as refused:
                    context.result = refusal(refused.message, refused.field)
        yield
