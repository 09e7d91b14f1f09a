"""The decision cases of policies/cases/*.yaml, run by pytest and by `espace policy test`
as a reviewer runs it (a subprocess on real files)."""

from __future__ import annotations

from pathlib import Path

import pytest

from policies.engine import Policy
from policies.review.cases import Case, case_files, load_suite, run_case
from tests.reviewer import espace, policy_copy

SUITE = load_suite(case_files())
PRODUCT_RULES = {"4", "5", "6", "7", "8", "9", "12", "13", "14"}


@pytest.mark.parametrize("case", SUITE.cases, ids=lambda c: f"{c.where} {c.name}")
def test_shipped_case(case: Case, policy: Policy) -> None:
    outcome = run_case(policy, SUITE.world, case)
    assert outcome.passed, (
        f"{case.describe()}: expected {case.expect}, got {outcome.actual} {outcome.error or ''}"
    )


def test_cases_cite_every_product_rule_and_every_action() -> None:
    cited = {case.rule for case in SUITE.cases}
    assert cited >= PRODUCT_RULES, f"no case for rule(s) {sorted(PRODUCT_RULES - cited)}"
    asked = {(case.action, case.field is not None) for case in SUITE.cases}
    for action in [
        "read",
        "manage_accesses",
        "read_audit_log",
        "request_admin_access",
        "update",
        "demote",
        "revoke",
        "cancel",
        "request_postponement",
        "validate",
        "record_invoice",
        "attach_document",
        "staff_cancel",
    ]:
        assert (action, False) in asked, action
    fields = {case.field for case in SUITE.cases if case.action == "read_document"}
    assert {
        "INVOICE_COPY",
        "TRAINING_AGREEMENT",
        "ATTENDANCE_SHEET",
        "EVALUATION",
        "CERTIFICATE_OF_ATTENDANCE",
        "FUNDING_APPROVAL",
        "PURCHASE_ORDER",
        "SIGNED_QUOTE",
    } <= fields
    assert {"accesses", "phone"} <= {case.field for case in SUITE.cases if case.action == "read"}


def test_policy_test_passes_on_the_committed_policy() -> None:
    result = espace("policy", "test")
    assert result.returncode == 0, result.stdout + result.stderr
    count = len(SUITE.cases)
    assert f"{count} cases, {count} passed, 0 failed." in result.stdout


def test_a_case_the_policy_contradicts_fails_and_says_why(tmp_dir: Path) -> None:
    copy = policy_copy(tmp_dir)
    (copy / "cases" / "wrong.yaml").write_text(
        "cases:\n"
        "  - case: a standard user manages accesses (wrong on purpose)\n"
        "    rule: 7\n"
        "    as: samuel\n"
        "    action: manage_accesses\n"
        "    on: acme-paris\n"
        "    expect: allow\n"
    )
    result = espace("policy", "test", "--policies", str(copy))
    assert result.returncode == 1
    assert (
        "FAIL wrong.yaml:2: a standard user manages accesses (wrong on purpose) (rule 7)"
        in result.stdout
    )
    assert "as samuel, manage_accesses on acme-paris" in result.stdout
    assert "expected: allow" in result.stdout
    assert "got:      deny" in result.stdout
    assert "1 failed." in result.stdout


def test_a_rule_change_that_breaks_a_product_rule_fails_its_cases(tmp_dir: Path) -> None:
    copy = policy_copy(tmp_dir)
    accesses = copy / "accesses.polar"
    text = accesses.read_text()
    # Forget rule 8's "never their own": an admin could now remove their own access.
    changed = text.replace("  access.account_id != viewer.id;", "  access.id = access.id;")
    assert changed != text
    accesses.write_text(changed)
    result = espace("policy", "test", "--policies", str(copy))
    assert result.returncode == 1
    assert "an admin can never remove their own access (rule 8)" in result.stdout
    assert "an admin can never lower their own admin rights (rule 8)" in result.stdout


def test_a_broken_policy_file_is_reported_with_file_and_line(tmp_dir: Path) -> None:
    copy = policy_copy(tmp_dir)
    (copy / "broken.polar").write_text(
        "# a rule without its closing semicolon\n"
        'allow(viewer: Viewer, "read", _x: Account) if\n'
        "  viewer.is_staff = true\n"
    )
    result = espace("policy", "test", "--policies", str(copy))
    assert result.returncode == 2
    assert "broken.polar:3" in result.stderr
    assert "semi-colon" in result.stderr


def test_a_case_naming_an_unknown_persona_is_reported_with_its_line(tmp_dir: Path) -> None:
    copy = policy_copy(tmp_dir)
    (copy / "cases" / "typo.yaml").write_text(
        "cases:\n"
        "  - {case: typo, rule: 6, as: clarie, action: read, on: acme-paris, expect: allow}\n"
    )
    result = espace("policy", "test", "--policies", str(copy))
    assert result.returncode == 2
    assert "typo.yaml:2: unknown persona 'clarie'" in result.stderr
