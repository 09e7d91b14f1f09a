"""mypy, with the settings of pyproject.toml, refuses the mistakes of `tests/typing_cases/`:
if the settings are loosened (or a model loses its declared types), this fails."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CASES = sorted((ROOT / "tests" / "typing_cases").glob("*.py"))
EXPECT = re.compile(r"#\s*expect:\s*([a-z-]+)")
ERROR = re.compile(r"^(?P<path>[^:]+):(?P<line>\d+): error: .*\[(?P<code>[a-z-]+)\]$")


def _expected(path: Path) -> set[tuple[int, str]]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return {
        (number, match.group(1))
        for number, line in enumerate(lines, start=1)
        if (match := EXPECT.search(line))
    }


@pytest.mark.slow
@pytest.mark.parametrize("case", CASES, ids=lambda path: path.stem)
def test_mypy_reports_exactly_the_marked_errors(case: Path) -> None:
    expected = _expected(case)
    assert expected, f"{case.name} marks no expected error"
    relative = str(case.relative_to(ROOT))
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--config-file", "pyproject.toml", relative],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    reported = {
        (int(match["line"]), match["code"])
        for line in done.stdout.splitlines()
        if (match := ERROR.match(line)) and Path(match["path"]).name == case.name
    }
    others = [
        line
        for line in done.stdout.splitlines()
        if ": error:" in line and not line.startswith(relative)
    ]
    assert done.returncode == 1, done.stdout + done.stderr
    assert not others, "mypy finds errors in the product code:\n" + "\n".join(others)
    assert reported == expected, done.stdout
