"""Schema extensions that spare repeated work between requests (bench/RESULTS.md).

Front ends send the same few query texts over and over: each is parsed and validated once,
then served from a bounded cache. Both caches are process-wide and keyed on everything the
result depends on, so a cached answer is always the one a fresh run would give.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator
from typing import Any

from graphql import ASTValidationRule, DocumentNode, GraphQLError, GraphQLSchema
from strawberry.extensions import ParserCache, SchemaExtension
from strawberry.schema.schema import validate_document

CACHE_SIZE = 256


class ParsedOnce(ParserCache):
    """Strawberry's parser cache, bounded to `CACHE_SIZE` query texts. The parse options
    (the token limit) are part of the key."""

    def __init__(self) -> None:
        super().__init__(maxsize=CACHE_SIZE)

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        try:
            context.graphql_document = self.cached_parse_document(
                context.query, **context.parse_options
            )
        except GraphQLError:
            # Not cached: Strawberry parses it again and reports the error the usual way
            # (with its code, see schema.errors).
            context.graphql_document = None
        yield


def _rule_key(rule: type[ASTValidationRule]) -> Hashable:
    """What a validation rule checks, stable across requests.

    The depth and alias limits build a new rule class for every request (with the limit in
    a closure), so the class itself cannot be the key: its module, name and the plain values
    it closes over are. A rule closing over anything else is keyed by the class itself (so
    never shared, always correct).
    """
    init: Callable[..., Any] | None = rule.__dict__.get("__init__")
    cells = getattr(init, "__closure__", None) or ()
    names = init.__code__.co_freevars if cells else ()  # type: ignore[union-attr]
    values = []
    for name, cell in zip(names, cells, strict=True):
        if name == "__class__":  # the cell `super()` reads: the rule class itself
            continue
        value = cell.cell_contents
        if value is None or isinstance(value, int | float | str | bool):
            values.append(value)
        else:
            return rule
    return (rule.__module__, rule.__qualname__, tuple(values))


class _ValidationResults:
    """A bounded, thread-safe LRU of validation errors per (schema, document, rules)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.lock = threading.Lock()
        # The document is kept in the value so that its id cannot be reused while cached.
        self.entries: OrderedDict[Hashable, tuple[DocumentNode, list[GraphQLError]]] = OrderedDict()

    def validate(
        self,
        schema: GraphQLSchema,
        document: DocumentNode,
        rules: tuple[type[ASTValidationRule], ...],
    ) -> list[GraphQLError]:
        key = (id(schema), id(document), tuple(_rule_key(r) for r in rules))
        with self.lock:
            hit = self.entries.get(key)
            if hit is not None:
                self.entries.move_to_end(key)
                return hit[1]
        errors = validate_document(schema, document, rules)
        with self.lock:
            self.entries[key] = (document, errors)
            if len(self.entries) > self.size:
                self.entries.popitem(last=False)
        return errors


_VALIDATED = _ValidationResults(CACHE_SIZE)


class ValidatedOnce(SchemaExtension):
    """Validates each parsed document once per set of rules. Needs `ParsedOnce` (the same
    query text must give the same document object) and must come after the extensions that
    add validation rules."""

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        assert context.graphql_document is not None
        context.pre_execution_errors = _VALIDATED.validate(
            context.schema._schema, context.graphql_document, context.validation_rules
        )
        yield
