"""`espace policy check`: what a reviewer runs before committing a policy change."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from policies.engine import POLICY_DIR
from tests.reviewer import espace


def check_with(tmp_dir: Path, extra: str) -> subprocess.CompletedProcess[str]:
    copy = tmp_dir / "policies"
    shutil.copytree(
        POLICY_DIR, copy, ignore=shutil.ignore_patterns("*.py", "__pycache__", "engine", "review")
    )
    (copy / "zz_review.polar").write_text(extra)
    return espace("policy", "check", "--policies", str(copy))


def test_the_committed_policy_passes() -> None:
    result = espace("policy", "check")
    assert result.returncode == 0, result.stdout
    assert "OK: " in result.stdout
    assert "error:" not in result.stdout


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (
            '# missing semicolon\nallow(viewer: Viewer, "read", x: Account) if\n  x.id = 1\n',
            "error: zz_review.polar:3: hit the end of the file unexpectedly. Did you forget",
        ),
        (
            'allow(viewer: Viewer, "read", x: Acount) if\n  x.id = viewer.id;\n',
            "error: zz_review.polar:1: Unknown class Acount (not a registered class",
        ),
        (
            'allow(viewer: Viewer, "read", x: Account) if\n  is_frend(viewer, x);\n',
            "error: zz_review.polar:2: Call to undefined rule: is_frend(viewer, x)",
        ),
        (
            'allow(viewer: Viewer, "read", x: Account) if\n  y.id = viewer.id;\n',
            "error: zz_review.polar:1: Singleton variable x is unused or undefined",
        ),
        (
            'allow(viewer: Viewer, "read", x: Account, "phone") if\n  x.id = viewer.id;\n',
            "error: zz_review.polar:1: Invalid rule: allow(",
        ),
    ],
    ids=["syntax", "unknown class", "undefined rule", "unused variable", "wrong rule shape"],
)
def test_a_broken_file_fails_with_file_and_line(tmp_dir: Path, source: str, expected: str) -> None:
    result = check_with(tmp_dir, source)
    assert result.returncode == 1
    assert expected in result.stdout
    assert "the policy does not load as it is" in result.stdout


def test_rules_that_can_never_match_are_pointed_out(tmp_dir: Path) -> None:
    result = check_with(
        tmp_dir,
        "# Two rules the engine proves dead, and a helper nothing calls.\n"
        'allow(viewer: Viewer, "read", x: Account) if\n'
        "  x matches Enrollment and viewer.id = 3;\n"
        "\n"
        'allow_field(viewer: Viewer, "read_document", enrollment: Enrollment, "EVALUATION") if\n'
        '  is_level(viewer, "ADMIN") and enrollment.id = 1;\n'
        "\n"
        'is_level(_viewer: Viewer, level) if level = "STANDARD";\n'
        "\n"
        "forgotten_helper(viewer: Viewer) if viewer.id = 1;\n",
    )
    assert result.returncode == 0, result.stdout  # warnings: the policy still loads
    out = result.stdout
    assert "warning: zz_review.polar:2: this rule can never match" in out
    assert "warning: zz_review.polar:5: this rule can never match" in out
    assert "warning: zz_review.polar:10: forgotten_helper is never used" in out
    for path in POLICY_DIR.glob("*.polar"):
        assert f"{path.name}:" not in out  # nothing to say about the committed rules
