"""`espace messages`: gather the error messages the code raises into the French message
catalogue `schema/locales/fr/LC_MESSAGES/espace.po` (or `--check` that every one of them
is translated).

The English text is the message id (see `services.errors`): Babel extracts the first
argument of every error class call, the messages marked `N_(...)` and those given to
`services.enrollments._require`. New messages are added with an empty translation to fill
in; messages no longer raised are dropped.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

from schema.messages import DOMAIN, catalogue_path
from settings import PROJECT_DIR

LANGUAGE = "fr"
SOURCE_DIRS = ("services", "schema", "policies", "web")
# Calls whose (1-based) argument is a message template.
KEYWORDS: dict[str, tuple[int, ...] | None] = {
    "N_": None,
    "ServiceError": None,
    "Unauthenticated": None,
    "Forbidden": None,
    "NotFound": None,
    "BadUserInput": None,
    "Conflict": None,
    "_require": (5,),
}
REGENERATE = "espace messages"


def extracted() -> Catalog:
    """Every message template of the code, with where it is raised."""
    template = Catalog(domain=DOMAIN, project="espace")
    for directory in SOURCE_DIRS:
        for filename, lineno, message, _comments, context in extract_from_dir(
            PROJECT_DIR / directory,
            method_map=[("**.py", "python")],
            keywords=KEYWORDS,
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
