"""`espace messages`: gather the error messages the code raises into the French message
catalogue `schema/locales/fr/LC_MESSAGES/espace.po` (or `--check` that every one of them
is translated).

The English text is the message id (see `services.errors`). Babel walks the code with
`extract_error_messages`: the first argument of every error class call, the messages marked
`N_(...)`, and the `message=` / `what=` of `Policy.authorize` calls (`what` reads
"<what> not found."). New messages are added with an empty translation to fill in; messages
no longer raised are dropped.
"""

from __future__ import annotations

import argparse
import ast
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

from schema.messages import DOMAIN, catalogue_path
from settings import PROJECT_DIR

LANGUAGE = "fr"
SOURCE_DIRS = ("services", "schema", "policies", "web")
# Calls whose first argument is a message template.
KEYWORDS = (
    "N_",
    "ServiceError",
    "Unauthenticated",
    "Forbidden",
    "NotFound",
    "BadUserInput",
    "Conflict",
    "InvalidFields",
)
# Calls whose `message=` (and `what=`, for NOT_FOUND) name the refusal's message.
AUTHORIZE = ("authorize", "authorize_field")
REGENERATE = "espace messages"
EXTRACTOR = "commands.messages:extract_error_messages"


def not_found(what: str) -> str:
    """The message of `NotFound(what)` for a bare noun (as `services.errors.NotFound`)."""
    return what if what.endswith(".") else f"{what} not found."


def _called(node: ast.Call) -> str:
    if isinstance(node.func, ast.Name):
        return node.func.id
    if isinstance(node.func, ast.Attribute):
        return node.func.attr
    return ""


def _text(node: ast.expr | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def message_calls(tree: ast.AST) -> Iterator[tuple[int, str, ast.expr]]:
    """(line, called name, expression) of every message argument in a module."""
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = _called(node)
        if name in KEYWORDS and node.args:
            yield node.lineno, name, node.args[0]
        for keyword in node.keywords:
            if name in KEYWORDS + AUTHORIZE and keyword.arg == "message":
                yield node.lineno, name, keyword.value
            if name in AUTHORIZE and keyword.arg == "what":
                yield node.lineno, "NotFound", keyword.value


def extract_error_messages(
    fileobj: IO[bytes], keywords: Any, comment_tags: Any, options: Any
) -> Iterator[tuple[int, str, str, list[str]]]:
    """A Babel extraction method (`module:function`) for the messages of errors."""
    tree = ast.parse(fileobj.read())
    for lineno, name, expression in message_calls(tree):
        text = _text(expression)
        if text:
            # Babel looks the function name up in its keywords: give it its own marker.
            yield lineno, "N_", not_found(text) if name == "NotFound" else text, []


def extracted() -> Catalog:
    """Every message template of the code, with where it is raised."""
    template = Catalog(domain=DOMAIN, project="espace")
    for directory in SOURCE_DIRS:
        for filename, lineno, message, _comments, context in extract_from_dir(
            PROJECT_DIR / directory,
            method_map=[("**.py", EXTRACTOR)],
            comment_tags=(),
        ):
            if isinstance(message, str) and message:
                template.add(message, None, [(f"{directory}/{filename}", lineno)], context=context)
    return template


def current(path: Path | None = None) -> Catalog:
    path = path or catalogue_path(LANGUAGE)
    with path.open("rb") as source:
        return read_po(source, locale=LANGUAGE, domain=DOMAIN)


def untranslated(catalogue: Catalog, template: Catalog) -> list[str]:
    """Message ids the code raises that have no (or a fuzzy) translation."""
    missing = []
    for message in template:
        if not message.id:
            continue
        found = catalogue.get(message.id, context=message.context)
        if found is None or not found.string or found.fuzzy:
            missing.append(str(message.id))
    return missing


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "messages", help="gather the error messages into the French catalogue (espace.po)"
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="do not write: exit 1 if a message the code raises has no French translation",
    )
    parser.set_defaults(handler=update_catalogue)


def update_catalogue(args: argparse.Namespace) -> int:
    template = extracted()
    path = catalogue_path(LANGUAGE)
    if args.check:
        missing = untranslated(current(path), template)
        for message in missing:
            print(f"no French translation: {message!r}", file=sys.stderr)
        if missing:
            print(f"Run `{REGENERATE}`, translate in {path}, commit.", file=sys.stderr)
            return 1
        print(f"{path}: every message is translated.")
        return 0
    catalogue = current(path) if path.exists() else Catalog(locale=LANGUAGE, domain=DOMAIN)
    template.creation_date = catalogue.creation_date  # no new date in the file on every run
    catalogue.update(template, no_fuzzy_matching=True, update_creation_date=False)
    catalogue.obsolete.clear()
    catalogue.project, catalogue.version = "espace", "1"
    catalogue.fuzzy = False
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as out:
        write_po(out, catalogue, width=100, sort_output=True, include_lineno=False)
    missing = untranslated(catalogue, template)
    print(f"Wrote {path}: {len(template)} messages, {len(missing)} to translate.")
    return 0
