"""`espace policy mutate`: every small change to a rule must make a case fail.

The mechanism is tested on small policies written here; the shipped policy is run whole, as
CI runs it, and must leave no survivor."""

from __future__ import annotations

import re
from pathlib import Path

from policies.review.mutate import mutants_of
from policies.review.sources import parse_file
from tests.reviewer import espace, policy_copy

RULES = """# Rule 1: admins of the site.
allow(viewer: Viewer, "read", site: Establishment) if
  grant in viewer.accesses and
  grant.establishment_id = site.id and
  grant.role != "STANDARD";

# Rule 2: staff.
allow(viewer: Viewer, "read", _site: Establishment) if
  viewer.is_staff = true or viewer.id = 1;
"""


def changes(tmp_dir: Path, text: str) -> list[tuple[int, str]]:
    path = tmp_dir / "rules.polar"
    path.write_text(text)
    return [(m.line, m.change) for m in mutants_of(path, text, parse_file(path))]


def test_every_kind_of_mutant_is_made_with_its_line(tmp_dir: Path) -> None:
    found = changes(tmp_dir, RULES)
    assert (2, "without this whole rule") in found
    assert (3, "without the condition `grant in viewer.accesses`") in found
    # `grant in ...` binds grant: a loop, not a test, so it is not negated.
    assert not any(c.startswith("`grant in viewer.accesses` negated") for _, c in found)
    assert (
        4,
        "`grant.establishment_id = site.id` negated: `grant.establishment_id != site.id`",
    ) in found
    assert (5, '`grant.role != "STANDARD"` negated: `grant.role = "STANDARD"`') in found
    assert (3, "`and` turned into `or`") in found
    assert (9, "without the condition `viewer.is_staff = true`") in found
    assert (9, "`or` turned into `and`") in found
    assert len(found) == 14  # 8 for rule 1, 6 for rule 2


def test_each_mutant_is_the_file_with_one_change(tmp_dir: Path) -> None:
    path = tmp_dir / "rules.polar"
    path.write_text(RULES)
    for mutant in mutants_of(path, RULES, parse_file(path)):
        assert mutant.text != RULES
        assert mutant.text.count(";") in (RULES.count(";"), RULES.count(";") - 1)


def test_the_shipped_policy_leaves_no_survivor() -> None:
    result = espace("policy", "mutate")
    print(result.stdout)  # the run time, in the test log
    assert result.returncode == 0, result.stdout + result.stderr
    summary = re.search(
        r"(\d+) mutants: (\d+) killed .* 0 refused .* 0 survived \(([\d.]+) s\)", result.stdout
    )
    assert summary, result.stdout
    assert int(summary.group(1)) == int(summary.group(2)) > 100


def test_a_surviving_mutant_fails_the_run_and_is_named(tmp_dir: Path) -> None:
    """A rule no case needs survives its own removal: `mutate` exits 1 and names it with its
    file, line and comment, as a reviewer reads it (whatever today's rules are)."""
    copy = policy_copy(tmp_dir)
    documents = copy / "documents.polar"
    text = documents.read_text()
    documents.write_text(
        text
        + "\n# Staff see every document (said a second time, so no case can need it).\n"
        + 'allow(viewer: Viewer, "read", _document: Document) if\n  is_staff(viewer);\n'
    )
    line = len(text.splitlines()) + 3  # the new rule's head
    result = espace("policy", "mutate", "--policies", str(copy))
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"SURVIVED documents.polar:{line}: without this whole rule" in result.stdout
    assert 'in allow(viewer: Viewer, "read", _document: Document)' in result.stdout
    assert "# Staff see every document (said a second time" in result.stdout
    assert "survived" in result.stdout
