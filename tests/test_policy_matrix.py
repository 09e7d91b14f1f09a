"""`espace policy matrix`: the committed MATRIX.md is what the policy decides, and a one-rule
change shows up in exactly the cells it should."""

from __future__ import annotations

from pathlib import Path

from models.enums import DocumentKind
from policies.review.matrix import MATRIX_FILE, REGENERATE, cells, render_matrix
from tests.reviewer import espace, policy_copy

ALL_KINDS = [kind.value for kind in DocumentKind]


def test_committed_matrix_matches_the_policy() -> None:
    committed = MATRIX_FILE.read_text(encoding="utf-8")
    current = render_matrix()
    was, now = cells(committed), cells(current)
    stale = sorted(
        f"{table} / {row} / {column}: {was.get(key)} -> {now.get(key)}"
        for key in was.keys() | now.keys()
        if was.get(key) != now.get(key)
        for table, row, column in [key]
    )
    assert committed == current, (
        f"policies/MATRIX.md is out of date: run `{REGENERATE}` and commit the result. "
        f"Changed cells: {stale[:20]}"
    )


def test_changing_one_rule_changes_exactly_its_cells(tmp_dir: Path) -> None:
    copy = policy_copy(tmp_dir)
    assert espace("policy", "matrix", "--policies", str(copy)).returncode == 0
    before = cells((copy / "MATRIX.md").read_text())

    # Rule 7 changed: a standard user sees every kind, whatever their access lists.
    documents = copy / "documents.polar"
    text = documents.read_text()
    changed = text.replace(
        "has_standard_access_to_kind(viewer, enrollment.establishment_id, kind);",
        "has_access(viewer, enrollment.establishment_id) and kind = kind;",
    )
    assert changed != text, "documents.polar no longer has the rule 7 this test edits"
    documents.write_text(changed)

    result = espace("policy", "matrix", "--policies", str(copy))
    assert result.returncode == 0, result.stderr
    after = cells((copy / "MATRIX.md").read_text())
    differences = {key for key in before.keys() | after.keys() if before.get(key) != after.get(key)}
    expected = {  # the standard user's kinds that were denied, on the order and the download
        (table, "standard", kind)
        for table in (
            "Enrollment: an online order, VALIDATED, read_document field",
            "Document of the online order, read per kind",
        )
        for kind in ALL_KINDS
        if before[(table, "standard", kind)] == "deny"
    }
    assert expected
    assert differences == expected
    assert all(after[key] == "allow" for key in expected)


def test_matrix_check_tells_how_to_regenerate(tmp_dir: Path) -> None:
    copy = policy_copy(tmp_dir)
    assert espace("policy", "matrix", "--policies", str(copy)).returncode == 0
    assert espace("policy", "matrix", "--policies", str(copy), "--check").returncode == 0
    establishments = copy / "establishments.polar"
    establishments.write_text(
        establishments.read_text()
        + "\n# Rule 6 (test): standard users read the audit log too.\n"
        + 'allow(viewer: Viewer, "read_audit_log", establishment: Establishment) if\n'
        + "  has_access(viewer, establishment.id);\n"
    )
    result = espace("policy", "matrix", "--policies", str(copy), "--check")
    assert result.returncode == 1
    assert "out of date: run `espace policy matrix`" in result.stdout


def test_a_broken_policy_file_writes_no_matrix(tmp_dir: Path) -> None:
    copy = policy_copy(tmp_dir)
    (copy / "MATRIX.md").unlink()
    (copy / "broken.polar").write_text('allow(viewer: Viewer, "read", x: Account) if\n  x.id = ;\n')
    result = espace("policy", "matrix", "--policies", str(copy))
    assert result.returncode == 2
    assert "broken.polar:2" in result.stderr
    assert not (copy / "MATRIX.md").exists()
