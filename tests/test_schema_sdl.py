"""The committed `schema.graphql` is the schema the code serves."""

from __future__ import annotations

import subprocess
import sys

from commands.schema_sdl import REGENERATE, SDL_PATH, current_sdl
from settings import PROJECT_DIR


def test_the_committed_schema_graphql_is_up_to_date():
    committed = SDL_PATH.read_text() if SDL_PATH.exists() else ""
    assert committed == current_sdl(), (
        f"schema.graphql is stale: run `{REGENERATE}` and commit the result."
    )


def test_the_check_command_fails_on_a_stale_file_and_names_the_fix(tmp_dir):
    stale = tmp_dir / "schema.graphql"
    stale.write_text(current_sdl().replace("type Query", "type Query @deprecated", 1))
    check = [sys.executable, "-c", "from commands import main; main()", "schema", "--check"]
    result = subprocess.run(
        [*check, "--output", str(stale)], cwd=PROJECT_DIR, capture_output=True, text=True
    )
    assert result.returncode == 1
    assert "run `espace schema`" in result.stderr

    written = subprocess.run(
        [
            sys.executable,
            "-c",
            "from commands import main; main()",
            "schema",
            "--output",
            str(stale),
        ],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
    )
    assert written.returncode == 0
    assert stale.read_text() == current_sdl()
    assert subprocess.run([*check, "--output", str(stale)], cwd=PROJECT_DIR).returncode == 0
