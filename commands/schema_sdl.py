"""`espace schema`: write the GraphQL schema as SDL to `schema.graphql` (or `--check` it).

The committed `schema.graphql` is what front-end developers and reviewers read; a test fails
when it no longer matches the code and names this command.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from settings import PROJECT_DIR

SDL_PATH = PROJECT_DIR / "schema.graphql"
REGENERATE = "espace schema"


def current_sdl() -> str:
    """The schema the code defines, as SDL, ending with a newline."""
    from schema import build_schema

    return build_schema().as_str().rstrip("\n") + "\n"


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "schema", help="write the GraphQL schema as SDL to schema.graphql"
    )
    parser.add_argument("--output", type=Path, default=SDL_PATH, help="where to write it")
    parser.add_argument(
        "--check",
        action="store_true",
        help="do not write: exit 1 if the file differs from the code's schema",
    )
    parser.set_defaults(handler=write_schema)


def write_schema(args: argparse.Namespace) -> int:
    sdl = current_sdl()
    path: Path = args.output
    if args.check:
        if not path.exists() or path.read_text() != sdl:
            print(f"{path} is stale: run `{REGENERATE}` and commit it.", file=sys.stderr)
            return 1
        print(f"{path} is up to date.")
        return 0
    path.write_text(sdl)
    print(f"Wrote {path}.")
    return 0
