"""`espace policy check`: load and validate the `.polar` files, as a reviewer does before
committing.

Three kinds of finding, each with file and line:

* errors the engine raises while loading (syntax, a variable used once, a call to a rule that
  does not exist, ...): the policy cannot be used at all;
* warnings the engine prints while loading (an unknown class in a rule head): the rule can
  never apply, because nothing is ever of that class;
* rules the engine can prove never match: for every question the rule heads name (action,
  resource class, field), the engine evaluates the policy with everything unknown (partial
  evaluation, as for SQL filters) and reports which rules took part in some answer. A rule it
  tried but that never took part (for example `x.id = 1 and x.id = 2`) can never allow
  anything; a helper rule nothing reaches is reported as unused.
"""

from __future__ import annotations

import contextlib
import io
import re
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from oso import Oso
from polar import Variable
from polar.partial import TypeConstraint

from models import enums
from policies.engine import PolicyError, build_oso, policy_files
from policies.engine.actions import ACTIONS, FIELDS
from policies.review.cases import unknown_word
from policies.review.sources import Location, Rule, read_sources
from policies.review.trace import run_traced

_AT = re.compile(r"at line (\d+), column \d+ of file (\S+?):?$", re.MULTILINE)
_TOP_RULES = ("allow", "allow_field")
_UPPER = re.compile(r'"([A-Z][A-Z0-9_]+)"')


@dataclass
class Finding:
    level: str  # "error" or "warning"
    location: str  # "file.polar:line" when known
    message: str
    detail: str = ""

    def format(self) -> str:
        text = (
            f"{self.level}: {self.location}: {self.message}"
            if self.location
            else (f"{self.level}: {self.message}")
        )
        if self.detail:
            text += "\n" + "\n".join("    " + line for line in self.detail.splitlines())
        return text


@dataclass
class CheckReport:
    files: list[Path]
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not any(f.level == "error" for f in self.findings)


def where(message: str) -> str:
    """`file.polar:line` from an engine message that says "at line L ... of file F"."""
    match = _AT.search(message)
    if match is None:
        return ""
    return f"{Path(match.group(2)).name}:{match.group(1)}"


def _headline(message: str) -> str:
    first = message.strip().splitlines()[0] if message.strip() else message
    return _AT.sub("", first).strip().rstrip(":").strip()


def _excerpt(message: str) -> str:
    """The engine's quote of the offending line (the lines after the headline)."""
    lines = message.strip().splitlines()[1:]
    return "\n".join(line.replace("\t", "  ") for line in lines if "help.osohq.com" not in line)


def load_checked(files: list[Path]) -> tuple[Oso | None, list[Finding]]:
    """Load the files; the engine's errors and load-time warnings as findings."""
    printed = io.StringIO()
    findings: list[Finding] = []
    oso: Oso | None = None
    with contextlib.redirect_stdout(printed):
        try:
            oso = build_oso(files)
        except PolicyError as exc:
            message = str(exc)
            findings.append(Finding("error", where(message), _headline(message), _excerpt(message)))
    for block in re.split(r"\n(?=\[warning\])", printed.getvalue()):
        block = block.strip()
        if not block.startswith("[warning]"):
            continue
        message = block[len("[warning]") :].strip()
        headline = _headline(message)
        if headline.startswith("Unknown specializer"):
            headline = headline.replace("Unknown specializer", "Unknown class", 1) + (
                " (not a registered class: the rule can never apply)"
            )
        findings.append(Finding("error", where(message), headline, _excerpt(message)))
    return oso, findings


def _question(rule: Rule) -> tuple[Any, ...]:
    """The question a top-level rule head answers, with unknowns where the head has variables."""
    return (rule.name, *[(p.constant, p.specializer) for p in rule.params])


def never_matching(oso: Oso, rules: list[Rule]) -> list[Finding]:
    """Rules the engine, evaluating with everything unknown, never uses in an answer."""
    used: set[Location] = set()
    tried: set[Location] = set()
    failures: list[Finding] = []
    seen: set[tuple[Any, ...]] = set()
    for rule in rules:
        if rule.name not in _TOP_RULES:
            continue
        question = _question(rule)
        if question in seen:
            continue
        seen.add(question)
        args: list[Any] = []
        bindings: dict[str, Any] = {}
        for index, param in enumerate(rule.params):
            if param.constant is not None and param.variable is None:
                args.append(param.constant)
                continue
            name = f"arg{index}"
            variable = Variable(name)
            args.append(variable)
            if param.specializer:
                bindings[name] = TypeConstraint(variable, param.specializer)
        traced = run_traced(
            oso, rule.name, *args, bindings=bindings, accept_expression=True, limit=200
        )
        if traced.error:
            failures.append(
                Finding(
                    "warning",
                    str(rule.location),
                    "the engine could not analyse this rule without concrete data",
                    _headline(traced.error),
                )
            )
            used.add(rule.location)
            continue
        used |= traced.used_locations()
        tried |= traced.tried_locations()
    findings = list(failures)
    for rule in rules:
        if rule.location in used:
            continue
        if rule.location in tried:
            message = "this rule can never match: the engine found no data that satisfies it"
        elif rule.name in _TOP_RULES:
            continue  # not reached by its own question: reported by the engine's analysis error
        else:
            message = f"{rule.name} is never used by an allow or allow_field rule"
        findings.append(Finding("warning", str(rule.location), message, rule.source))
    return findings


def _enum_values() -> frozenset[str]:
    """Every upper-case word the models know (document kinds, statuses, channels, roles)."""
    values: set[str] = set()
    for value in vars(enums).values():
        if isinstance(value, type) and issubclass(value, StrEnum) and value is not StrEnum:
            values |= {member.value for member in value}
    return frozenset(values)


def unknown_words(rules: list[Rule]) -> list[Finding]:
    """Rule heads naming an action or field the application never asks, and upper-case words
    (document kinds, statuses...) no model knows: such a rule can never apply."""
    findings = []
    words = _enum_values()
    for rule in rules:
        if rule.action is not None and rule.action not in ACTIONS:
            message = unknown_word("action", rule.action, ACTIONS)
            findings.append(Finding("error", str(rule.location), message, rule.source))
        elif rule.field is not None and rule.field.constant and rule.field.constant not in FIELDS:
            message = unknown_word("field", rule.field.constant, FIELDS)
            findings.append(Finding("error", str(rule.location), message, rule.source))
        for word in _UPPER.findall(rule.text):
            if word not in words:
                message = unknown_word("word", word, words)
                findings.append(Finding("error", str(rule.location), message, rule.source))
    return findings


def check_policies(directory: Path) -> CheckReport:
    files = policy_files(directory)
    report = CheckReport(files)
    if not files:
        report.findings.append(Finding("error", "", f"no .polar files in {directory}"))
        return report
    oso, findings = load_checked(files)
    report.findings.extend(findings)
    if oso is not None and not findings:
        rules = read_sources(files).rules
        report.findings.extend(unknown_words(rules))
        report.findings.extend(never_matching(oso, rules))
    return report
