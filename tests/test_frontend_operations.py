"""The front end's GraphQL operations (`frontend/operations/*.graphql`) against the committed
schema: a schema change that breaks a page fails here, before any browser runs. And the
scripts' references: every operation a script sends has its file, every file is sent by some
script, every module a script imports exists."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from graphql import GraphQLSchema, OperationDefinitionNode, build_schema, parse, validate

from settings import PROJECT_DIR

FRONTEND = PROJECT_DIR / "frontend"
OPERATIONS = sorted((FRONTEND / "operations").glob("*.graphql"))
SCRIPTS = sorted(FRONTEND.rglob("*.js"))
# gql("Name", ...) and gqlResult("Name", ...): the only ways the scripts send an operation.
SENT = re.compile(r"\bgql(?:Result)?\(\s*[\"']([A-Za-z0-9_]+)[\"']")
IMPORTED = re.compile(r"""(?:\bfrom\s+|\bimport\s*\(\s*|\bimport\s+)["'`](\.{1,2}/[^"'`$]+)["'`]""")


@pytest.fixture(scope="module")
def schema() -> GraphQLSchema:
    return build_schema((PROJECT_DIR / "schema.graphql").read_text())


def test_there_are_operations_and_scripts():
    assert OPERATIONS and SCRIPTS


@pytest.mark.parametrize("path", OPERATIONS, ids=lambda path: path.stem)
def test_each_operation_is_valid_against_the_schema(path: Path, schema: GraphQLSchema):
    document = parse(path.read_text())
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    assert len(operations) == 1, f"{path.name}: one operation per file"
    assert operations[0].name is not None and operations[0].name.value == path.stem, (
        f"{path.name}: the operation is named like its file"
    )
    errors = validate(schema, document)
    assert not errors, f"{path.name}: " + "; ".join(error.message for error in errors)


def test_a_broken_operation_is_caught(schema: GraphQLSchema):
    """The check above can fail: a field the schema lacks is an error."""
    document = parse("query Broken { me { noSuchField } }")
    assert validate(schema, document)


def _code(script: Path) -> str:
    """The script without its comments (whole-line `//` comments and `/* */` blocks), so
    that an example in a comment is not taken for a call."""
    text = re.sub(r"/\*.*?\*/", "", script.read_text(), flags=re.DOTALL)
    return re.sub(r"(?m)^\s*//.*$", "", text)


def _sent_names() -> dict[str, list[str]]:
    sent: dict[str, list[str]] = {}
    for script in SCRIPTS:
        for name in SENT.findall(_code(script)):
            sent.setdefault(name, []).append(str(script.relative_to(FRONTEND)))
    return sent


def test_every_operation_a_script_sends_has_its_file():
    files = {path.stem for path in OPERATIONS}
    missing = {name: where for name, where in _sent_names().items() if name not in files}
    assert not missing, f"operations sent without a .graphql file: {missing}"


def test_every_operation_file_is_sent_by_a_script():
    unused = {path.name for path in OPERATIONS} - {f"{n}.graphql" for n in _sent_names()}
    assert not unused, f"operation files no script sends: {sorted(unused)}"


def test_every_module_a_script_imports_exists():
    missing = []
    for script in SCRIPTS:
        for target in IMPORTED.findall(_code(script)):
            if not (script.parent / target).resolve().is_file():
                missing.append(f"{script.relative_to(FRONTEND)} -> {target}")
    assert not missing, missing


def test_every_page_of_the_route_list_exists():
    routes = (FRONTEND / "app.js").read_text()
    pages = set(re.findall(r"""page:\s*["']([a-z0-9-]+)["']""", routes))
    assert pages and "not-found" not in pages
    missing = [
        name for name in pages | {"not-found"} if not (FRONTEND / "pages" / f"{name}.js").is_file()
    ]
    assert not missing, missing
