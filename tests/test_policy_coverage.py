"""`espace policy coverage`: which rules no decision case exercises, from the engine's trace."""

from __future__ import annotations

import re
from pathlib import Path

from policies.engine import POLICY_DIR
from tests.reviewer import espace, policy_copy


def test_coverage_lists_every_file(tmp_dir: Path) -> None:
    result = espace("policy", "coverage")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Policy coverage: ")
    for path in POLICY_DIR.glob("*.polar"):
        assert f"{path.name}: " in result.stdout


def test_a_rule_no_case_exercises_is_reported_with_its_line(tmp_dir: Path) -> None:
    copy = policy_copy(tmp_dir)
    (copy / "extra.polar").write_text(
        "# Extra rules of this test.\n"
        "\n"
        "# Standard users read the audit log (tried by the cases, never allows in them).\n"
        'allow(viewer: Viewer, "read_audit_log", establishment: Establishment) if\n'
        "  establishment.id = 0 and has_access(viewer, establishment.id);\n"
        "\n"
        "# A new action nobody wrote a case for.\n"
        'allow(viewer: Viewer, "archive", _enrollment: Enrollment) if\n'
        "  is_staff(viewer);\n"
    )
    result = espace("policy", "coverage", "--policies", str(copy))
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "extra.polar: 0/2 rules covered" in out
    assert (
        'UNTESTED line 4: allow(viewer: Viewer, "read_audit_log", establishment: Establishment)'
        in out
    )
    assert re.search(
        r"read_audit_log.*\(tried by [1-9]\d* case\(s\), never allowed anything\)", out
    )
    assert (
        'UNTESTED line 8: allow(viewer: Viewer, "archive", _enrollment: Enrollment)'
        "  (no case reaches it)" in out
    )
    assert "# A new action nobody wrote a case for." in out
    strict = espace("policy", "coverage", "--policies", str(copy), "--strict")
    assert strict.returncode == 1

    # Once a case exercises the new action, the rule is covered.
    (copy / "cases" / "archive.yaml").write_text(
        "cases:\n"
        "  - {case: staff archive orders, rule: 13, as: sophie, action: archive,\n"
        "     on: remi-web-order, expect: allow}\n"
    )
    covered = espace("policy", "coverage", "--policies", str(copy)).stdout
    assert "extra.polar: 1/2 rules covered" in covered
    assert "archive" not in covered.split("extra.polar")[1]


def test_coverage_of_a_broken_policy_says_where(tmp_dir: Path) -> None:
    copy = policy_copy(tmp_dir)
    (copy / "broken.polar").write_text(
        'allow(viewer: Viewer, "read", x: Acount) if\n  x.id = viewer.id;\n'
    )
    result = espace("policy", "coverage", "--policies", str(copy))
    assert result.returncode == 2
    assert "broken.polar:1: Unknown class Acount" in result.stderr
