"""Property: whatever Unicode a client puts in any string argument, NUL bytes and
lone surrogates included, no query or mutation answers INTERNAL_SERVER_ERROR.

The operations are found by walking the schema's introspection: every root field, with a
variable for each argument. String and ID positions (in input objects and lists too) get
arbitrary text, or a plausible value so that the other arguments reach deeper code; other
positions get a valid value of their type. Requests go through the real app as staff (who
may call almost everything) over the real database. `PROPERTY_EXAMPLES` per field
(default 15) keeps it fast; raise it locally for a longer hunt.
"""

from __future__ import annotations

import json
import os
from typing import Any

import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    build_client_schema,
    get_named_type,
    introspection_from_schema,
    is_leaf_type,
    print_type,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from models.enums import AccessRole, EnrollmentStatus
from schema import build_schema
from tests import factories
from tests.graphql import GraphQLResult

EXAMPLES = int(os.environ.get("PROPERTY_EXAMPLES", "15"))

# Any code point: controls, NUL, lone surrogates, unassigned ones.
ANY_TEXT = st.text(st.characters(codec=None, exclude_categories=()), max_size=40)
AWKWARD = st.sampled_from(
    ["", " ", "\x00", "\ud800", "a\udfffb", "\u202e", "x" * 10_001, "%_\\", "1" * 25, "-1"]
)
PLAUSIBLE = st.sampled_from(
    ["1", "2", "ines@example.com", "a rare passphrase", "73282932000074", "Acme", "VALIDATED"]
)
TEXT = st.one_of(ANY_TEXT, AWKWARD, PLAUSIBLE)
VALID_SCALARS: dict[str, Any] = {
    "Int": 1,
    "Float": 1.5,
    "Boolean": False,
    "Decimal": "10.00",
    "Date": "2027-03-02",
    "DateTime": "2027-03-02T09:00:00+00:00",
    "JSON": {},
}


def client_schema() -> GraphQLSchema:
    """The schema as a client sees it, rebuilt from its introspection."""
    return build_client_schema(introspection_from_schema(build_schema()._schema))


SCHEMA = client_schema()


def root_fields() -> list[tuple[str, str]]:
    fields = []
    for operation, root in (("query", SCHEMA.query_type), ("mutation", SCHEMA.mutation_type)):
        fields += [(operation, name) for name in sorted(root.fields)] if root else []
    return fields


def values_of(kind: GraphQLInputType) -> st.SearchStrategy[Any]:
    """Values of an input type: fuzzed text where a string goes, valid values elsewhere."""
    required = isinstance(kind, GraphQLNonNull)
    inner = kind.of_type if isinstance(kind, GraphQLNonNull) else kind
    strategy: st.SearchStrategy[Any]
    if isinstance(inner, GraphQLList):
        strategy = st.lists(values_of(inner.of_type), max_size=2)
    elif isinstance(inner, GraphQLInputObjectType):
        strategy = st.fixed_dictionaries(
            {name: values_of(field.type) for name, field in inner.fields.items()}
        )
    elif isinstance(inner, GraphQLEnumType):
        strategy = st.sampled_from(sorted(inner.values))
    elif isinstance(inner, GraphQLScalarType) and inner.name in VALID_SCALARS:
        strategy = st.just(VALID_SCALARS[inner.name])
    elif isinstance(inner, GraphQLScalarType) and inner.name == "Upload":
        strategy = st.none()  # a JSON request carries no file (refused, see test_hardening)
    else:  # String, ID and any scalar written as a string
        strategy = TEXT
    return strategy if required else st.one_of(st.none(), strategy)


def document_for(operation: str, name: str) -> tuple[str, st.SearchStrategy[dict[str, Any]]]:
    """`mutation ($a: T!, ...) { name(a: $a, ...) { __typename } }` and its variables."""
    root = SCHEMA.query_type if operation == "query" else SCHEMA.mutation_type
    assert root is not None
    field = root.fields[name]
    definitions = ", ".join(f"${arg}: {type_name(a.type)}" for arg, a in field.args.items())
    arguments = ", ".join(f"{arg}: ${arg}" for arg in field.args)
    selection = "" if is_leaf_type(get_named_type(field.type)) else " { __typename }"
    text = (
        f"{operation} Fuzzed{'(' + definitions + ')' if definitions else ''} "
        f"{{ {name}{'(' + arguments + ')' if arguments else ''}{selection} }}"
    )
    variables = st.fixed_dictionaries({arg: values_of(a.type) for arg, a in field.args.items()})
    return text, variables


def type_name(kind: Any) -> str:
    if isinstance(kind, GraphQLNonNull):
        return f"{type_name(kind.of_type)}!"
    if isinstance(kind, GraphQLList):
        return f"[{type_name(kind.of_type)}]"
    return str(kind.name)


@pytest.fixture
async def staff_token() -> str:
    """Sophie (staff) and enough rows for low ids to exist."""
    site = await factories.establishment(name="Acme Paris")
    claire = await factories.account("claire@acme.example")
    await factories.access(claire, site, AccessRole.ADMIN)
    await factories.enrollment(
        registrant_email=claire.email, site=site, status=EnrollmentStatus.VALIDATED
    )
    sophie = await factories.account("sophie.staff@espace.example", is_staff=True)
    return await factories.token_for(sophie)


def test_every_root_field_is_walked():
    fields = root_fields()
    assert ("mutation", "logIn") in fields and ("query", "enrollments") in fields
    assert print_type(SCHEMA.get_type("Query"))  # the introspection round trip worked
    assert isinstance(SCHEMA.get_type("Mutation"), GraphQLObjectType)


def examples(strategy: st.SearchStrategy[Any]) -> list[Any]:
    """`EXAMPLES` values drawn by Hypothesis, the same on every run. Drawn first and sent
    after (Hypothesis cannot drive an async body inside the app's event loop), so a failure
    shows the values as generated, not shrunk."""
    drawn: list[Any] = []

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
        database=None,
    )
    @given(strategy)
    def collect(value: Any) -> None:
        drawn.append(value)

    collect()
    return drawn


@pytest.mark.parametrize(("operation", "name"), root_fields())
async def test_no_string_makes_an_internal_error(client, staff_token, operation, name):
    text, variables = document_for(operation, name)
    for values, signed_in in examples(st.tuples(variables, st.booleans())):
        headers = {"content-type": "application/json"}
        if signed_in:
            headers["Authorization"] = f"Bearer {staff_token}"
        # json.dumps escapes non-ASCII, so lone surrogates travel as `\ud800`, as any
        # client may send them.
        body = json.dumps({"query": text, "variables": values, "operationName": "Fuzzed"})
        response = await client.post("/graphql", content=body, headers=headers)
        assert response.status_code < 500, response.text
        result = GraphQLResult(response)
        assert "INTERNAL_SERVER_ERROR" not in result.codes, (values, result.body)
