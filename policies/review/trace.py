"""The engine's own account of a decision: which rules it tried and which ones produced it.

Oso 0.27 explains itself in two ways, both used here:

* its log (`POLAR_LOG=info`): for every rule call, the applicable rules with "line L of file F",
  then one `RULE:` line per rule it tries, in that order;
* its trace (a query created with tracing on): for each result, the tree of rules that
  produced it, printed in the same words as the `RULE:` log lines.

`run_traced` asks one question with both turned on and returns the rules tried and the rules
that made each result, by location. Nothing here decides anything: it records what the engine
did. The log goes to a list, not to stdout, and `POLAR_LOG` is set only for the question.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from oso import Oso
from polar.ffi import Query as FfiQuery
from polar.ffi import ffi_serialize, lib, process_messages
from polar.predicate import Predicate
from polar.query import Query

from policies.engine import _loaded_relations, _preloaded
from policies.review.sources import Location

_APPLICABLE = re.compile(r"^(.*) at line (\d+), column \d+ of file (.+)$")
_LOG_LINE = re.compile(r"^\[oso\]\[\w+\](\s*)(.*)$")
_env_lock = threading.Lock()


@dataclass
class Attempt:
    """The engine tried one rule (its head matched the call)."""

    location: Location
    text: str  # the rule as the engine prints it
    depth: int  # nesting: 0 for the rule answering the question, 1 for rules it calls...


@dataclass
class Step:
    """One rule in the derivation of a result, with the rules its body called."""

    location: Location | None
    text: str
    children: list[Step] = field(default_factory=list)


@dataclass
class Traced:
    """What the engine did to answer one question."""

    allowed: bool
    attempts: list[Attempt]
    derivations: list[Step]  # one root per result (a rule can allow in several ways)
    error: str | None = None

    def used_locations(self) -> set[Location]:
        """Every rule that took part in at least one result."""
        found: set[Location] = set()

        def walk(step: Step) -> None:
            if step.location is not None:
                found.add(step.location)
            for child in step.children:
                walk(child)

        for root in self.derivations:
            walk(root)
        return found

    def tried_locations(self) -> set[Location]:
        return {attempt.location for attempt in self.attempts}


@contextmanager
def _polar_log() -> Iterator[None]:
    """Turn the engine's log on for one question (the core reads POLAR_LOG per query)."""
    with _env_lock:
        previous = os.environ.get("POLAR_LOG")
        os.environ["POLAR_LOG"] = "info"
        try:
            yield
        finally:
            if previous is None:
                os.environ.pop("POLAR_LOG", None)
            else:
                os.environ["POLAR_LOG"] = previous


class _CollectingQuery(FfiQuery):
    """An engine query whose log messages go to a list instead of stdout."""

    def __init__(self, ptr: Any, sink: list[str]) -> None:
        super().__init__(ptr)
        self.sink = sink

    def process_messages(self) -> None:
        for message in process_messages(self.next_message):
            self.sink.append(message)


def run_traced(
    oso: Oso,
    rule: str,
    *args: Any,
    bindings: dict[str, Any] | None = None,
    accept_expression: bool = False,
    limit: int = 20,
) -> Traced:
    """Ask `rule(*args)` with the engine's log and trace on; at most `limit` results."""
    log: list[str] = []
    results: list[dict[str, Any]] = []
    error: str | None = None
    relations: dict[tuple[type, Any], Any] = {}
    for arg in args:
        relations.update(_loaded_relations(arg))
    token = _preloaded.set(relations)
    try:
        with _polar_log():
            host = oso.host.copy()
            host.set_accept_expression(accept_expression)
            term = host.to_polar(Predicate(name=rule, args=list(args)))
            ptr = lib.polar_new_query_from_term(oso.ffi_polar.ptr, ffi_serialize(term), 1)
            for message in process_messages(oso.ffi_polar.next_message):
                log.append(message)
            query = _CollectingQuery(oso.ffi_polar.check_result(ptr), log)
            try:
                for result in Query(query, host=host, bindings=bindings).run():
                    results.append(result)
                    if len(results) >= limit:
                        break
            except Exception as exc:  # the engine's error names the file and line
                error = str(exc)
    finally:
        _preloaded.reset(token)
    attempts = parse_log(log)
    texts: dict[str, Location] = {}
    for attempt in attempts:
        texts.setdefault(attempt.text, attempt.location)
    derivations = [
        step
        for result in results
        if result.get("trace")
        for step in parse_trace(result["trace"].get("formatted", ""), texts)
    ]
    return Traced(bool(results), attempts, derivations, error)


def parse_log(messages: list[str]) -> list[Attempt]:
    """The rules tried, from the log: each `RULE:` line is the next of the applicable rules
    listed at the same indentation."""
    pending: dict[int, list[Location]] = {}
    collecting: int | None = None
    open_rules: list[int] = []  # indentation of the enclosing RULE lines
    attempts: list[Attempt] = []
    for message in messages:
        for raw in message.splitlines():
            match = _LOG_LINE.match(raw)
            if match is None:
                continue
            indent, body = len(match.group(1)), match.group(2)
            if body == "APPLICABLE_RULES:":
                collecting = indent
                pending[indent] = []
                continue
            if collecting is not None and indent > collecting:
                found = _APPLICABLE.match(body)
                if found:
                    location = Location(Path(found.group(3)), int(found.group(2)))
                    pending[collecting].append(location)
                    continue
            collecting = None
            if body.startswith("RULE: ") and pending.get(indent):
                location = pending[indent].pop(0)
                while open_rules and open_rules[-1] >= indent:
                    open_rules.pop()
                attempts.append(Attempt(location, body[len("RULE: ") :], len(open_rules)))
                open_rules.append(indent)
    return attempts


def parse_trace(formatted: str, texts: dict[str, Location]) -> list[Step]:
    """The rules of one result's trace tree. The engine prints each node as `text [` ... `]`
    (or `text []`); rule nodes end with `;` and read like the log's `RULE:` lines."""
    root = Step(None, "")
    stack: list[Step] = [root]
    kinds: list[bool] = []  # for each open node: is it a rule (pushed on `stack`)?
    for raw in formatted.splitlines():
        line = raw.strip()
        if not line:
            continue
        if line == "]":
            if kinds and kinds.pop():
                stack.pop()
            continue
        opens = line.endswith(" [")
        text = line[:-2] if opens else line.removesuffix(" []")
        is_rule = text.endswith(";")
        if is_rule:
            step = Step(texts.get(text), text)
            stack[-1].children.append(step)
            if opens:
                stack.append(step)
        if opens:
            kinds.append(is_rule)
    return root.children
