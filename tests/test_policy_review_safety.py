"""The reviewer's tools catch a realistic leak, and a correct change goes through.

Run as a reviewer runs them (`espace policy ...` on throw-away copies of the policy folder):
the too-broad edit that let a standard user of another company download attendance sheets is
caught by the matrix (other tenants' cells change) and by the `only:` cases; each walk-through
of policies/README.md, applied block by block, passes the policy tools and the tests that
read the policy most (pointed at the copy with POLICIES_DIR). `.ci/run` goes further: it runs
the whole suite on the edited copy (`python -m tests.walkthroughs`)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from policies.review.matrix import cells
from settings import PROJECT_DIR
from tests.reviewer import espace, policy_copy
from tests.walkthroughs import apply, walkthroughs

UNDER_RULE_7 = "  has_standard_access_to_kind(viewer, enrollment.establishment_id, kind);\n"
TOO_BROAD = """
# Rule 7 (amended): standard accesses always see attendance sheets.
allow_field(viewer: Viewer, "read_document", _enrollment: Enrollment, "ATTENDANCE_SHEET") if
  grant in viewer.accesses and
  grant.role = "STANDARD";
"""
CORRECT = """
# Rule 7 (amended): standard accesses always see attendance sheets.
allow_field(viewer: Viewer, "read_document", enrollment: Enrollment, "ATTENDANCE_SHEET") if
  viewer.email_verified = true and
  grant in viewer.accesses and
  grant.establishment_id = enrollment.establishment_id and
  grant.role = "STANDARD";
"""
# The two cases the reviewer updated (the same for both edits).
CASES = [
    ("a standard user does not see the ATTENDANCE_SHEET (not listed on their access)", "deny"),
    ("a standard user cannot download a ATTENDANCE_SHEET", "deny"),
]
# Tests that read the policy: what they expect is derived from it.
READS_THE_POLICY = [
    "tests/test_history.py",
    "tests/test_downloads.py",
    "tests/test_permissions_property.py",
    "tests/test_policy_matrix.py",
    "tests/test_policy_explain.py",
]  # (the cases themselves: `espace policy test` above)


def edited(tmp_dir: Path, name: str, rule: str) -> Path:
    copy = policy_copy(tmp_dir / name)
    documents = copy / "documents.polar"
    text = documents.read_text()
    assert UNDER_RULE_7 in text
    documents.write_text(text.replace(UNDER_RULE_7, UNDER_RULE_7 + rule))
    cases = copy / "cases" / "documents.yaml"
    text = cases.read_text()
    for case, expect in CASES:
        line = next(line for line in text.splitlines() if f"case: {case}," in line)
        text = text.replace(line, line.replace(f"expect: {expect}", "expect: allow"))
    cases.write_text(text)
    # And samuel joins the people the `only:` cases of attendance sheets name.
    only = copy / "cases" / "only.yaml"
    lines = only.read_text().splitlines()
    for number, line in enumerate(lines):
        if "ATTENDANCE_SHEET" in line and "only: [remi, claire, paula, sophie]" in line:
            lines[number] = line.replace("paula, sophie]", "paula, samuel, sophie]")
    only.write_text("\n".join(lines) + "\n")
    return copy


def matrix_cells(copy: Path) -> dict[tuple[str, str, str], str]:
    result = espace("policy", "matrix", "--policies", str(copy))
    assert result.returncode == 0, result.stderr
    return cells((copy / "MATRIX.md").read_text())


def test_the_too_broad_edit_is_caught_by_the_matrix_and_by_only_cases(tmp_dir: Path) -> None:
    before = matrix_cells(policy_copy(tmp_dir / "before"))
    broad, correct = edited(tmp_dir, "broad", TOO_BROAD), edited(tmp_dir, "correct", CORRECT)
    assert espace("policy", "check", "--policies", str(broad)).returncode == 0

    # The correct edit passes every case; the too-broad one fails the `only:` cases for the
    # standard users of a sister establishment and of another company.
    assert espace("policy", "test", "--policies", str(correct)).returncode == 0
    tested = espace("policy", "test", "--policies", str(broad))
    assert tested.returncode == 1
    for persona in ("leo", "bea"):
        assert (
            f"see the ATTENDANCE_SHEET [{persona} may not]" in tested.stdout
            and f"download an ATTENDANCE_SHEET [{persona} may not]" in tested.stdout
        ), tested.stdout

    # The matrix: the correct edit changes the standard user's cells only; the too-broad one
    # also the other tenants' cells.
    def changed(copy: Path) -> set[tuple[str, str, str]]:
        after = matrix_cells(copy)
        return {key for key in before.keys() | after.keys() if before.get(key) != after.get(key)}

    right, wrong = changed(correct), changed(broad)
    assert right and {row for _, row, _ in right} == {"standard"}
    leaked = wrong - right
    assert {row for _, row, _ in leaked} == {"sister-standard", "other-company-standard"}
    assert {column for _, _, column in leaked} == {"ATTENDANCE_SHEET"}


@pytest.mark.parametrize("walk", walkthroughs(), ids=lambda w: w.title)
def test_each_readme_walkthrough_passes_the_tools_and_the_tests_that_read_the_policy(
    tmp_dir: Path, walk
) -> None:
    copy = policy_copy(tmp_dir)
    assert len(apply(walk, copy)) >= 2  # cases and a rule
    for tool in ("check", "test", "matrix", "mutate"):
        result = espace("policy", tool, "--policies", str(copy))
        assert result.returncode == 0, f"espace policy {tool}:\n{result.stdout}{result.stderr}"
    env = {k: v for k, v in os.environ.items() if k != "POLAR_LOG"}
    env["POLICIES_DIR"] = str(copy)
    suite = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", *READS_THE_POLICY],
        capture_output=True,
        text=True,
        env=env,
        cwd=PROJECT_DIR,
        timeout=1200,
    )
    assert suite.returncode == 0, suite.stdout[-4000:] + suite.stderr[-2000:]
