"""`espace policy mutate`: do the cases notice when a rule is weakened or changed?

Each mutant is the policy with one small change, as a hurried edit would make it:

* a whole `allow`/`allow_field` rule dropped;
* one condition of a rule dropped (one side of an `and`, one side of an `or`, or the only
  condition, which makes the rule unconditional);
* one comparison negated (`=` and `!=` swapped, `x in list` becoming `not x in list`);
* one `and` turned into `or`, or one `or` into `and`.

Every mutant is loaded into a fresh engine and the cases are asked again, stopping at the first
that fails: that case *kills* the mutant. A mutant that no case notices *survives*: a reviewer
could make that change and every case would still pass, so a case is missing (or the condition
is useless). A mutant the engine refuses to load does not count (`espace policy check` would
stop it). The command exits with 1 when a mutant survives, naming the file, the line, the rule
and the change.

Speed: the cases' viewers and resources are built once; each mutant only loads the files and
asks cases until one fails, the cases that killed earlier mutants first. `--jobs` spreads the
mutants over several processes.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import shutil
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing.util import Finalize
from pathlib import Path
from typing import Any

from oso import Oso

from policies.engine import Policy, PolicyError, build_oso, policy_files
from policies.review.cases import case_files, decide, load_suite
from policies.review.sources import Rule, read_sources

_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_COMPARISON = re.compile(r"^(?P<left>.+?)\s*(?P<op>!=|==|=|\bin\b)\s*(?P<right>.+)$", re.S)


@dataclass(frozen=True)
class Mutant:
    """One changed copy of one file."""

    file: str  # the file's name
    line: int  # the line of the change
    rule: str  # the rule's head, as written
    comment: str  # the comment above the rule
    change: str  # what changed, in a reviewer's words
    text: str  # the whole mutated file

    def describe(self) -> str:
        lines = [f"SURVIVED {self.file}:{self.line}: {self.change}", f"  in {self.rule}"]
        if self.comment:
            lines.append(f"  # {self.comment}")
        return "\n".join(lines)


@dataclass
class Result:
    mutant: Mutant
    status: str  # "killed", "survived" or "refused" (the engine does not load it)
    killer: str = ""  # the case that noticed, "file:line name"


@dataclass
class Report:
    results: list[Result]
    seconds: float
    cases: int

    @property
    def survivors(self) -> list[Result]:
        return [r for r in self.results if r.status == "survived"]

    def count(self, status: str) -> int:
        return sum(1 for r in self.results if r.status == status)


# -- finding the conditions of a rule ----------------------------------------------------
@dataclass
class _Span:
    start: int  # offsets in the file text
    end: int

    def text(self, source: str) -> str:
        return source[self.start : self.end]


def _scan(source: str, start: int, end: int) -> Iterator[tuple[int, str]]:
    """(offset, character) of `source[start:end]` at bracket depth 0, outside strings and
    comments; other characters are yielded as a space (so words there are not seen)."""
    depth = 0
    i = start
    in_string = False
    while i < end:
        ch = source[i]
        if in_string:
            if ch == "\\":
                i += 2
                continue
            if ch == '"':
                in_string = False
            yield i, " "
        elif ch == "#":
            while i < end and source[i] != "\n":
                i += 1
            continue
        elif ch == '"':
            in_string = True
            yield i, " "
        elif ch in "([{":
            depth += 1
            yield i, " "
        elif ch in ")]}":
            depth -= 1
            yield i, " "
        else:
            yield i, ch if depth == 0 else " "
        i += 1


def _keywords(source: str, start: int, end: int, words: set[str]) -> list[tuple[int, str]]:
    """Top-level occurrences of `words` (whole words) in `source[start:end]`."""
    flat = [" "] * (end - start)
    for offset, ch in _scan(source, start, end):
        flat[offset - start] = ch
    text = "".join(flat)
    return [
        (start + m.start(), m.group(0))
        for m in _WORD.finditer(text)
        if m.group(0) in words and (m.start() == 0 or text[m.start() - 1] != ".")
    ]


def _statement_bounds(source: str, rule: Rule) -> tuple[int, int]:
    """Offsets of the rule's first character and of its closing `;`."""
    lines = source.split("\n")
    start = sum(len(line) + 1 for line in lines[: rule.location.line - 1])
    start += len(lines[rule.location.line - 1]) - len(lines[rule.location.line - 1].lstrip())
    end = sum(len(line) + 1 for line in lines[: rule.end_line])
    semicolons = [i for i, ch in _scan(source, start, end) if ch == ";"]
    return start, semicolons[0] if semicolons else end


def _line(source: str, offset: int) -> int:
    return source.count("\n", 0, offset) + 1


def _trim(source: str, span: _Span) -> _Span:
    text = span.text(source)
    lead = len(text) - len(text.lstrip())
    return _Span(span.start + lead, span.start + len(text.rstrip()))


def mutants_of(path: Path, source: str, rules: list[Rule]) -> list[Mutant]:
    """Every mutant of one file."""
    result: list[Mutant] = []
    heads_count: dict[tuple[str, int], int] = {}
    for rule in rules:
        heads_count[(rule.name, len(rule.params))] = (
            heads_count.get((rule.name, len(rule.params)), 0) + 1
        )
    for rule in rules:
        start, end = _statement_bounds(source, rule)
        head = rule.text.split(" if ")[0].rstrip(";")

        def make(
            line: int, change: str, text: str, *, _rule: Rule = rule, _head: str = head
        ) -> None:
            result.append(Mutant(path.name, line, _head, _rule.comment, change, text))

        # The whole rule (a helper with a single definition would only stop the file loading).
        if rule.name in ("allow", "allow_field") or heads_count[(rule.name, len(rule.params))] > 1:
            make(
                rule.location.line,
                "without this whole rule",
                source[:start] + source[end + 1 :],
            )
        ifs = _keywords(source, start, end, {"if"})
        if not ifs:
            continue
        if_at = ifs[0][0]
        body = _Span(if_at + 2, end)
        joins = _keywords(source, body.start, body.end, {"and", "or"})
        # The conditions between the joins, each with the join before it.
        bounds = [body.start] + [at + len(word) for at, word in joins]
        ends = [at for at, _ in joins] + [body.end]
        conditions = [_trim(source, _Span(s, e)) for s, e in zip(bounds, ends, strict=True)]
        for index, condition in enumerate(conditions):
            shown = " ".join(condition.text(source).split())
            line = _line(source, condition.start)
            # Drop the condition (with the join on one side of it).
            if len(conditions) == 1:
                cut = _Span(if_at - 1 if source[if_at - 1] == " " else if_at, end)
                dropped = source[: cut.start] + source[cut.end :]
                make(line, f"without its only condition `{shown}` (always true)", dropped)
            else:
                if index == 0:
                    cut = _Span(condition.start, conditions[1].start)
                else:
                    cut = _Span(conditions[index - 1].end, condition.end)
                dropped = source[: cut.start] + source[cut.end :]
                make(line, f"without the condition `{shown}`", dropped)
            negated = _negate(
                condition.text(source), _bound_before(source, rule, conditions, index)
            )
            if negated is not None:
                changed = source[: condition.start] + negated + source[condition.end :]
                make(line, f"`{shown}` negated: `{' '.join(negated.split())}`", changed)
        for at, word in joins:
            other = "or" if word == "and" else "and"
            changed = source[:at] + other + source[at + len(word) :]
            make(_line(source, at), f"`{word}` turned into `{other}`", changed)
    return result


def _bound_before(source: str, rule: Rule, conditions: list[_Span], index: int) -> set[str]:
    """The variables known before condition `index`: the head's and earlier conditions'."""
    known = {p.variable for p in rule.params if p.variable}
    for condition in conditions[:index]:
        known |= set(_WORD.findall(condition.text(source)))
    return known


def _negate(condition: str, bound: set[str]) -> str | None:
    """The comparison negated, or None when the condition is not a comparison (a call) or is
    `x in list` binding a new `x` (a loop, not a test)."""
    match = _COMPARISON.match(condition.strip())
    if match is None or not _is_top_level_comparison(condition.strip(), match):
        return None
    left, op, right = match.group("left"), match.group("op"), match.group("right")
    if op in ("=", "=="):
        return f"{left} != {right}"
    if op == "!=":
        return f"{left} = {right}"
    if _WORD.fullmatch(left.strip()) and left.strip() not in bound:
        return None
    return f"not {left} in {right}"


def _is_top_level_comparison(text: str, match: re.Match[str]) -> bool:
    """The operator found is outside brackets and strings."""
    at = match.start("op")
    return any(offset == at and ch != " " for offset, ch in _scan(text, 0, len(text)))


# -- running the cases against each mutant -----------------------------------------------
class _Runner:
    """The questions of every case, built once; a mutant is a file replaced in a scratch copy
    of the policy folder."""

    def __init__(self, directory: Path, cases_dir: Path) -> None:
        self.scratch = Path(tempfile.mkdtemp(prefix="espace-mutate-"))
        for path in policy_files(directory):
            shutil.copy(path, self.scratch / path.name)
        self.originals = {p.name: p.read_text(encoding="utf-8") for p in policy_files(directory)}
        suite = load_suite(case_files(cases_dir))
        self.policy = Policy(self.scratch)
        self.questions: list[tuple[str, Any, str, Any, str | None, bool]] = []
        for case in suite.cases:
            viewer = suite.world.viewer(case.persona)
            resource = suite.world.resource(case.resource, case.persona)
            label = f"{case.where} {case.name}"
            self.questions.append(
                (label, viewer, case.action, resource, case.field, case.expect == "allow")
            )

    def _load(self, mutant: Mutant) -> Oso | None:
        """The engine with the mutant in place. A dropped condition often leaves a variable
        used once, which the engine refuses: it is renamed `_name`, as a person would."""
        target = self.scratch / mutant.file
        text = mutant.text
        try:
            for _ in range(4):
                target.write_text(text, encoding="utf-8")
                try:
                    with contextlib.redirect_stdout(io.StringIO()):  # load-time warnings
                        return build_oso(policy_files(self.scratch))
                except PolicyError as error:
                    singleton = _SINGLETON.search(str(error))
                    if singleton is None:
                        return None
                    text = _underscore(text, singleton.group(1), int(singleton.group(2)))
            return None
        finally:
            target.write_text(self.originals[mutant.file], encoding="utf-8")

    def run(self, mutant: Mutant) -> Result:
        oso = self._load(mutant)
        if oso is None:
            return Result(mutant, "refused")
        self.policy.swap(oso)
        for index, (label, viewer, action, resource, field, expected) in enumerate(self.questions):
            try:
                allowed = decide(self.policy, viewer, action, resource, field)
            except Exception:  # an engine error is a failed case
                allowed = not expected
            if allowed != expected:
                # Ask this case first next time: a case that kills one mutant often kills
                # its neighbours.
                self.questions.insert(0, self.questions.pop(index))
                return Result(mutant, "killed", label)
        return Result(mutant, "survived")

    def close(self) -> None:
        shutil.rmtree(self.scratch, ignore_errors=True)


_SINGLETON = re.compile(r"Singleton variable (\w+) is unused or undefined.*? at line (\d+)", re.S)


def _underscore(text: str, name: str, line: int) -> str:
    """`name` renamed `_name` at its first use on `line` (1-based)."""
    lines = text.split("\n")
    pattern = re.compile(rf"(?<![\w.]){re.escape(name)}\b")
    lines[line - 1] = pattern.sub("_" + name, lines[line - 1], count=1)
    return "\n".join(lines)


_worker: _Runner | None = None


def _init_worker(directory: Path, cases_dir: Path) -> None:
    global _worker
    _worker = _Runner(directory, cases_dir)
    # Pool processes end without running atexit; multiprocessing's own finalizers do run.
    Finalize(None, _worker.close, exitpriority=10)


def _run_in_worker(mutants: list[Mutant]) -> list[Result]:
    assert _worker is not None
    return [_worker.run(mutant) for mutant in mutants]


def all_mutants(directory: Path) -> list[Mutant]:
    source = read_sources(policy_files(directory))
    result: list[Mutant] = []
    for path, rules in source.by_file().items():
        result += mutants_of(path, path.read_text(encoding="utf-8"), rules)
    return result


def mutate(directory: Path, cases_dir: Path | None = None, jobs: int = 1) -> Report:
    """Run every mutant of the policy in `directory` against its cases."""
    began = time.perf_counter()
    cases_dir = cases_dir or directory / "cases"
    mutants = all_mutants(directory)
    cases = len(load_suite(case_files(cases_dir)).cases)
    jobs = max(1, min(jobs, len(mutants)))
    if jobs == 1:
        runner = _Runner(directory, cases_dir)
        try:
            results = [runner.run(mutant) for mutant in mutants]
        finally:
            runner.close()
    else:
        # Neighbouring mutants tend to die to the same case: give each process a stretch.
        size = -(-len(mutants) // jobs)
        chunks = [mutants[i : i + size] for i in range(0, len(mutants), size)]
        with ProcessPoolExecutor(
            jobs, initializer=_init_worker, initargs=(directory, cases_dir)
        ) as pool:
            results = [r for chunk in pool.map(_run_in_worker, chunks) for r in chunk]
    return Report(results, time.perf_counter() - began, cases)


def default_jobs() -> int:
    return max(1, min(4, os.cpu_count() or 1))


def render(report: Report) -> str:
    lines = [survivor.mutant.describe() for survivor in report.survivors]
    if lines:
        lines += [
            "",
            "Each surviving change passes every case: add a case that it would break "
            "(an `only:` case often does), or remove the condition if it is useless.",
            "",
        ]
    lines.append(
        f"{len(report.results)} mutants: {report.count('killed')} killed by the "
        f"{report.cases} cases, {report.count('refused')} refused by the engine, "
        f"{len(report.survivors)} survived ({report.seconds:.1f} s)."
    )
    return "\n".join(lines) + "\n"
