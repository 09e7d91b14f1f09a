"""One registry of the words the application asks the policy (policies/engine/actions.py):
every action has a rule and every rule's action is registered; the code asks only registered
words; an unknown word is refused by `check`, `test` and `explain` (a misspelled `revoek`
would otherwise pass as a deny)."""

from __future__ import annotations

import ast
from pathlib import Path

from policies.engine import policy_files
from policies.engine.actions import ACTIONS, FIELDS, Action, Field
from policies.review.sources import read_sources
from settings import PROJECT_DIR
from tests.reviewer import espace, policy_copy

RULES = read_sources(policy_files()).rules
ASKING = {"is_allowed", "field_allowed", "field_filter", "authorize", "authorize_field"}


def test_every_registered_action_has_a_rule_and_every_rule_action_is_registered() -> None:
    heads = {rule.action for rule in RULES if rule.action}
    assert heads == {action.value for action in Action}


def test_every_field_rule_names_a_registered_field() -> None:
    named = {r.field.constant for r in RULES if r.field is not None and r.field.constant}
    assert named <= FIELDS
    assert {f.value for f in Field} <= named


def _asked_words() -> set[tuple[str, str]]:
    """(path:line, word) of every literal action or field the product code asks."""
    found: set[tuple[str, str]] = set()
    folders = ["services", "schema", "web", "commands"]
    files = [p for f in folders for p in (PROJECT_DIR / f).rglob("*.py")]
    for path in [*files, PROJECT_DIR / "server.py"]:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            receiver = ast.unparse(func.value) if isinstance(func, ast.Attribute) else ""
            asks = name in ASKING or name.startswith("_require")
            asks |= name == "filter" and receiver.endswith("policy")
            if not asks or len(node.args) < 2:
                continue
            where = f"{Path(path).relative_to(PROJECT_DIR)}:{node.lineno}"
            action = node.args[1]
            if isinstance(action, ast.Constant) and isinstance(action.value, str):
                found.add((where, action.value))
            if "field" in name and len(node.args) >= 4:
                field = node.args[3]
                if isinstance(field, ast.Constant) and isinstance(field.value, str):
                    found.add((where, "field:" + field.value))
    return found


def test_the_code_asks_only_registered_words() -> None:
    asked = _asked_words()
    assert len({word for _, word in asked}) >= 15  # the scan does find the code's questions
    unknown = sorted(
        f"{where}: {word}"
        for where, word in asked
        if (
            word.removeprefix("field:") not in FIELDS
            if word.startswith("field:")
            else word not in ACTIONS
        )
    )
    assert not unknown, f"add these to policies/engine/actions.py (or fix the typo): {unknown}"


def test_a_misspelled_action_is_refused_by_check_and_test(tmp_dir: Path) -> None:
    copy = policy_copy(tmp_dir)
    (copy / "cases" / "typo.yaml").write_text(
        "cases:\n"
        "  - {case: a standard user cannot remove an access, rule: 8, as: samuel,"
        " action: revoek, on: paula-paris-access, expect: deny}\n"
    )
    tested = espace("policy", "test", "--policies", str(copy))
    assert tested.returncode == 2
    assert "typo.yaml:2: unknown action 'revoek'" in tested.stderr
    assert "did you mean 'revoke'?" in tested.stderr

    (copy / "cases" / "typo.yaml").unlink()
    accesses = copy / "accesses.polar"
    accesses.write_text(accesses.read_text().replace('"revoke"', '"revoek"'))
    checked = espace("policy", "check", "--policies", str(copy))
    assert checked.returncode == 1
    assert "accesses.polar:" in checked.stdout and "unknown action 'revoek'" in checked.stdout


def test_an_unknown_document_kind_is_refused(tmp_dir: Path) -> None:
    copy = policy_copy(tmp_dir)
    documents = copy / "documents.polar"
    documents.write_text(
        documents.read_text()
        + '\nallow_field(viewer: Viewer, "read_document", _e: Enrollment, "EVALUATON") if\n'
        + "  is_staff(viewer);\n"
    )
    checked = espace("policy", "check", "--policies", str(copy))
    assert checked.returncode == 1
    assert "unknown field 'EVALUATON'" in checked.stdout and "'EVALUATION'" in checked.stdout
    documents.write_text(
        documents.read_text().split('\nallow_field(viewer: Viewer, "read_document", _e')[0]
    )
    (copy / "cases" / "kind.yaml").write_text(
        "cases:\n"
        "  - {case: typo, rule: 12, as: samuel, action: read,"
        " on: {document: {enrollment: remi-web-order, kind: INVOICE_COPPY}}, expect: deny}\n"
    )
    tested = espace("policy", "test", "--policies", str(copy))
    assert tested.returncode == 2
    assert "unknown document kind 'INVOICE_COPPY'" in tested.stderr
