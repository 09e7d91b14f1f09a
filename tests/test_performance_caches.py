"""A query text is parsed and validated once, then served from the caches of
`performance.operation_cache`: dashboards send the same few queries over and over. Counts, never
timings."""

from __future__ import annotations

from typing import Any

import pytest

import performance.operation_cache
from tests.graphql import gql

QUERY = "query Courses($first: Int) { courses { code } enrollments(first: $first) { totalCount } }"


@pytest.fixture
def validations(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every document graphql-core validates from now on."""
    seen: list[Any] = []
    validate = performance.operation_cache.validate_document

    def counting(schema_: Any, document: Any, rules: Any) -> Any:
        seen.append(document)
        return validate(schema_, document, rules)

    monkeypatch.setattr(performance.operation_cache, "validate_document", counting)
    performance.operation_cache._VALIDATED.entries.clear()
    return seen


async def test_the_same_query_text_is_validated_once(client, validations):
    for first in (1, 2, 3):  # other variables, same text: same validation
        result = await gql(client, QUERY, {"first": first})
        assert result.codes == ["UNAUTHENTICATED"]  # signed out: enrollments refused
    assert len(validations) == 1


async def test_another_query_text_is_validated_on_its_own(client, validations):
    await gql(client, QUERY, {"first": 1})
    await gql(client, "{ courses { code title } }")
    await gql(client, "{ courses { code title } }")
    assert len(validations) == 2


async def test_an_invalid_query_is_refused_every_time_from_the_cache(client, validations):
    for _ in range(3):
        result = await gql(client, "{ courses { nope } }")
        assert result.codes == ["BAD_USER_INPUT"]  # how schema.errors reports it
    assert len(validations) == 1
