"""`espace policy coverage`: which rules the decision cases exercise, from the engine's trace.

Every case is asked again with the engine's log and trace on (policies/review/trace.py). A rule is
covered when it took part in at least one decision a case checks, that is it appears in the
trace of an allowed case. A rule the engine only tried (its head matched but its body never
held) has no case showing what it allows: it is listed as untested, with the number of cases
that tried it, so a reviewer sees which rule needs a case.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from policies.engine import Policy, policy_files
from policies.review.cases import Suite
from policies.review.sources import Location, Rule, read_sources
from policies.review.trace import run_traced


@dataclass
class FileCoverage:
    file: Path
    rules: list[Rule]
    covered: list[Rule] = field(default_factory=list)
    untested: list[tuple[Rule, int]] = field(default_factory=list)  # (rule, cases that tried it)


@dataclass
class CoverageReport:
    files: list[FileCoverage]
    cases: int

    @property
    def untested(self) -> list[tuple[Rule, int]]:
        return [item for f in self.files for item in f.untested]


def measure(policy: Policy, suite: Suite) -> CoverageReport:
    used: Counter[Location] = Counter()
    tried: Counter[Location] = Counter()
    world = suite.world
    for case in suite.cases:
        viewer = world.viewer(case.persona)
        resource = world.resource(case.resource, case.persona)
        if case.field is None:
            traced = run_traced(policy.oso, "allow", viewer, case.action, resource)
        else:
            traced = run_traced(
                policy.oso, "allow_field", viewer, case.action, resource, case.field
            )
        used.update(traced.used_locations())
        tried.update(traced.tried_locations())
    files = []
    for path, rules in read_sources(policy_files(policy.directory)).by_file().items():
        report = FileCoverage(path, rules)
        for rule in rules:
            if used[rule.location]:
                report.covered.append(rule)
            else:
                report.untested.append((rule, tried[rule.location]))
        files.append(report)
    return CoverageReport(files, len(suite.cases))


def render(report: CoverageReport) -> str:
    total = sum(len(f.rules) for f in report.files)
    covered = sum(len(f.covered) for f in report.files)
    lines = [f"Policy coverage: {covered} of {total} rules exercised by {report.cases} cases.", ""]
    for file in report.files:
        lines.append(f"{file.file.name}: {len(file.covered)}/{len(file.rules)} rules covered")
        for rule, tried in file.untested:
            how = (
                f"tried by {tried} case(s), never allowed anything"
                if tried
                else "no case reaches it"
            )
            head = rule.text.split(" if ")[0].rstrip(";")
            lines.append(f"  UNTESTED line {rule.location.line}: {head}  ({how})")
            if rule.comment:
                lines.append(f"      # {rule.comment}")
    if report.untested:
        lines += ["", "Add a case that this rule allows to policies/cases/*.yaml (see README.md)."]
    return "\n".join(lines) + "\n"
