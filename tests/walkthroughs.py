"""The walk-throughs of policies/README.md, applied block by block to a copy of the policy
folder, as a reviewer following them would (see test_policy_review_safety.py)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from policies.review.cases import _Loader
from policies.review.sources import parse_file

README = Path(__file__).resolve().parent.parent / "policies" / "README.md"
_BLOCK = re.compile(r"^ *```(\w+)\n(.*?)^ *```", re.S | re.M)
_UNDER = re.compile(r"under rule (\d+) in `(\w+\.polar)`")


@dataclass
class WalkThrough:
    title: str
    text: str

    def blocks(self, language: str) -> list[str]:
        return [body for lang, body in _BLOCK.findall(self.text) if lang == language]


def walkthroughs(readme: Path = README) -> list[WalkThrough]:
    text = readme.read_text(encoding="utf-8")
    parts = re.split(r"^## ", text, flags=re.M)
    return [
        WalkThrough(part.splitlines()[0], part)
        for part in parts
        if part.startswith("Walk-through:")
    ]


def _key(case: dict) -> tuple:
    shape = "only" if "only" in case else case.get("as")
    return (shape, case.get("action"), repr(case.get("on")), case.get("field"))


def apply(walk: WalkThrough, copy: Path) -> list[str]:
    """Apply the walk-through's YAML and Polar blocks to `copy`; what was changed."""
    changed: list[str] = []
    for block in walk.blocks("yaml"):
        for line in block.splitlines():
            if not line.strip().startswith("- "):
                continue
            new = _strip(yaml.load(line.strip(), Loader=_Loader)[0])
            changed.append(_replace_case(copy, new, line.strip()))
    for block in walk.blocks("polar"):
        match = _UNDER.search(walk.text)
        assert match, f"{walk.title}: say `under rule N in `file.polar`` before the rule"
        number, name = match.groups()
        target = copy / name
        anchor = next(r for r in parse_file(target) if r.comment.startswith(f"Rule {number}:"))
        lines = target.read_text(encoding="utf-8").splitlines()
        rule = "\n".join(line.strip() if i == 0 else line for i, line in enumerate(_dedent(block)))
        lines[anchor.end_line : anchor.end_line] = ["", rule]
        target.write_text("\n".join(lines) + "\n", encoding="utf-8")
        changed.append(f"{name}: rule added under rule {number}")
    return changed


def _dedent(block: str) -> list[str]:
    lines = block.rstrip("\n").splitlines()
    indent = min(len(line) - len(line.lstrip()) for line in lines if line.strip())
    return [line[indent:] for line in lines]


def _replace_case(copy: Path, new: dict, text: str) -> str:
    """Replace the case asking the same question (or the same `only:` question) by `text`."""
    for path in sorted((copy / "cases").glob("*.yaml")):
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader) or {}
        for case in data.get("cases") or []:
            clean = {k: v for k, v in case.items() if k != "__line__"}
            if _key(_strip(clean)) == _key(new):
                lines = path.read_text(encoding="utf-8").splitlines()
                lines[case["__line__"] - 1] = "  " + text
                path.write_text("\n".join(lines) + "\n", encoding="utf-8")
                return f"{path.name}:{case['__line__']}: {new['case']}"
    raise AssertionError(f"no case asks the question of {new['case']!r}")


def _strip(value: object) -> object:
    if isinstance(value, dict):
        return {k: _strip(v) for k, v in value.items() if k != "__line__"}
    if isinstance(value, list):
        return [_strip(v) for v in value]
    return value


def main(argv: list[str] | None = None) -> int:
    """`python -m tests.walkthroughs DIR`: a copy of the policy folder at DIR with every
    walk-through applied and its MATRIX.md regenerated, as the reviewer would commit it.
    `.ci/run` then runs the whole suite with POLICIES_DIR=DIR."""
    import argparse
    import shutil

    from policies.engine import POLICY_DIR
    from policies.review.matrix import render_matrix

    parser = argparse.ArgumentParser(prog="python -m tests.walkthroughs")
    parser.add_argument("directory", type=Path, help="where to write the edited copy")
    target = parser.parse_args(argv).directory
    shutil.copytree(
        POLICY_DIR, target, ignore=shutil.ignore_patterns("*.py", "__pycache__", "engine", "review")
    )
    for walk in walkthroughs():
        for change in apply(walk, target):
            print(f"{walk.title}: {change}")
    (target / "MATRIX.md").write_text(render_matrix(target), encoding="utf-8")
    print(f"edited copy of the policy in {target}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
