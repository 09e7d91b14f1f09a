"""Operation limits (OWASP GraphQL cheat sheet): what one GraphQL request may cost us.

Each limit is a schema extension *class*: Strawberry builds a fresh instance for every request,
so no state is shared between requests. A request over a limit is refused before anything runs
(depth, aliases, tokens, directives) or stops resolving fields once its time budget is spent
(`TIME_BUDGET_SECONDS`, checked by the executor in `performance.executor`); either way the client
gets `BAD_USER_INPUT` with a message saying which limit it hit.

Page sizes are limited where pages are built (`services/history.py`: 100 rows, 1,000 when the
policy allows exports). Batched operations are off (Strawberry's default, kept).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from graphql import DirectiveNode, GraphQLError, ValidationContext, ValidationRule
from strawberry.extensions import (
    AddValidationRules,
    DisableIntrospection,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    QueryDepthLimiter,
    SchemaExtension,
)

from schema.errors import HideSuggestions
from settings import Settings

MAX_DEPTH = 10
MAX_ALIASES = 15
MAX_TOKENS = 2_000
MAX_DIRECTIVES = 50
# Seconds an operation may spend resolving fields, enforced by `performance.executor`. Read per
# operation, so tests may lower it.
TIME_BUDGET_SECONDS = 10.0

LIMIT_ERROR_CODE = "BAD_USER_INPUT"


class DepthLimit(QueryDepthLimiter):
    """Selections nested at most `MAX_DEPTH` deep (introspection fields are not counted)."""

    def __init__(self) -> None:
        super().__init__(max_depth=MAX_DEPTH)


class AliasLimit(MaxAliasesLimiter):
    """At most `MAX_ALIASES` aliased fields in a document: no `a1: me a2: me ...` floods."""

    def __init__(self) -> None:
        super().__init__(max_alias_count=MAX_ALIASES)


class TokenLimit(MaxTokensLimiter):
    """The parser gives up after `MAX_TOKENS` tokens, before building a huge syntax tree."""

    def __init__(self) -> None:
        super().__init__(max_token_count=MAX_TOKENS)


class MaxDirectivesRule(ValidationRule):
    """Reports a document that uses more than `MAX_DIRECTIVES` directives (Strawberry has no
    such limit: `@include(if: true)` repeated thousands of times is cheap to send, costly to
    validate and execute)."""

    def __init__(self, context: ValidationContext) -> None:
        super().__init__(context)
        self.count = 0

    def enter_directive(self, node: DirectiveNode, *_args: Any) -> None:
        self.count += 1
        if self.count == MAX_DIRECTIVES + 1:
            self.report_error(
                GraphQLError(
                    f"This document uses more than {MAX_DIRECTIVES} directives.",
                    node,
                    extensions={"code": LIMIT_ERROR_CODE, "limit": MAX_DIRECTIVES},
                )
            )


class DirectiveLimit(AddValidationRules):
    """Adds `MaxDirectivesRule` to the validation of every request."""

    def __init__(self) -> None:
        super().__init__([MaxDirectivesRule])


def operation_limits(settings: Settings) -> Sequence[type[SchemaExtension]]:
    """The limit extensions for this deployment. Production also hides the schema: no
    introspection and no "Did you mean ...?" suggestions in error messages."""
    limits: list[type[SchemaExtension]] = [
        TokenLimit,
        DepthLimit,
        AliasLimit,
        DirectiveLimit,
    ]
    if not settings.is_dev:
        limits += [DisableIntrospection, HideSuggestions]
    return limits
