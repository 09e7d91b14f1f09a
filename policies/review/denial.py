"""Why a rule did not allow: the first condition of its body that failed, with the values.

For a rule `head if c1 and c2 and ... and cn`, the engine is asked again with probe rules
`head if c1`, `head if c1 and c2`, ... (same head, so the same arguments match): the first
probe that fails names the condition that failed. Its values are read from the objects of the
question (`enrollment.establishment_id`, `kind`, each `grant.document_kinds`). When that
condition calls a helper rule (`has_standard_access_to_kind(...)`), the helper's own failing
condition is found the same way. The engine decides; this only narrows down where.
"""

from __future__ import annotations

import contextlib
import io
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from oso import Oso

from policies.engine import PolicyError, build_oso, policy_files
from policies.review.mutate import (
    _SINGLETON,
    _keywords,
    _Span,
    _statement_bounds,
    _trim,
    _underscore,
)
from policies.review.sources import PolicySource, Rule
from policies.review.trace import run_traced

_PATH = re.compile(r"\b([a-z_][A-Za-z0-9_]*)((?:\.[A-Za-z_][A-Za-z0-9_]*)+)")
_LOOP = re.compile(r"^([a-z_]\w*) in (.+)$", re.S)
_CALL = re.compile(r"^([a-z_]\w*)\((.*)\)$", re.S)


@dataclass
class Failure:
    """The condition of `rule` that failed, the values it compared, and inside a helper."""

    rule: Rule
    condition: str
    values: list[str] = field(default_factory=list)
    inner: list[Failure] = field(default_factory=list)


def conditions(rule: Rule) -> tuple[list[str], bool]:
    """The conditions of a rule's body, and whether they are all joined by `and`."""
    source = rule.location.file.read_text(encoding="utf-8")
    start, end = _statement_bounds(source, rule)
    ifs = _keywords(source, start, end, {"if"})
    if not ifs:
        return [], True
    body = _Span(ifs[0][0] + 2, end)
    joins = _keywords(source, body.start, body.end, {"and", "or"})
    bounds = [body.start] + [at + len(word) for at, word in joins]
    ends = [at for at, _ in joins] + [body.end]
    parts = [_trim(source, _Span(s, e)).text(source) for s, e in zip(bounds, ends, strict=True)]
    return [" ".join(p.split()) for p in parts], all(word == "and" for _, word in joins)


def _probe_oso(directory: Path, probes: str) -> Oso | None:
    """The policy plus the probe rules (variables left single by a cut renamed `_x`)."""
    with tempfile.TemporaryDirectory(prefix="espace-explain-") as scratch:
        path = Path(scratch) / "zz_probes.polar"
        for _ in range(12):
            path.write_text(probes, encoding="utf-8")
            try:
                with contextlib.redirect_stdout(io.StringIO()):
                    return build_oso([*policy_files(directory), path])
            except PolicyError as error:
                singleton = _SINGLETON.search(str(error))
                if singleton is None or "zz_probes" not in str(error):
                    return None
                probes = _underscore(probes, singleton.group(1), int(singleton.group(2)))
    return None


def failing_condition(
    directory: Path,
    source: PolicySource,
    rule: Rule,
    args: list[Any],
    describe: Any,
    depth: int = 0,
) -> Failure | None:
    """The first condition of `rule` that fails for `args` (its head's arguments)."""
    parts, conjunction = conditions(rule)
    if not parts or not conjunction:
        return None
    head = rule.text.split(" if ")[0].rstrip(";")
    name_end = head.index("(")
    probes = "\n".join(
        f"__probe_{k}{head[name_end:]} if\n  " + " and\n  ".join(parts[:k]) + ";"
        for k in range(1, len(parts) + 1)
    )
    oso = _probe_oso(directory, probes + "\n")
    if oso is None:
        return None
    for k, condition in enumerate(parts, start=1):
        if run_traced(oso, f"__probe_{k}", *args, limit=1).allowed:
            continue
        env = _environment(rule, args)
        for earlier in parts[: k - 1]:
            loop = _LOOP.match(earlier)
            if loop and loop.group(1) not in env:
                env[loop.group(1)] = _Each(_value(loop.group(2), env))
        failure = Failure(rule, condition, _values(condition, env, describe))
        call = _CALL.match(condition)
        if call and depth < 2:
            called = [r for r in source.rules if r.name == call.group(1)]
            call_args = [_value(a.strip(), env) for a in _split_args(call.group(2))]
            if all(not isinstance(a, _Unknown | _Each) for a in call_args):
                for helper in [r for r in called if _head_matches(r, call_args)]:
                    inner = failing_condition(
                        directory, source, helper, call_args, describe, depth + 1
                    )
                    if inner is not None:
                        failure.inner.append(inner)
        return failure
    return None


_BUILT_IN = {"String", "Integer", "Float", "Boolean", "List", "Dictionary"}


def _head_matches(rule: Rule, args: list[Any]) -> bool:
    """Whether the rule's head can match these arguments (its constants and classes)."""
    if len(rule.params) != len(args):
        return False
    for param, arg in zip(rule.params, args, strict=True):
        if param.constant is not None and isinstance(arg, str) and param.constant != arg:
            return False
        wanted = param.specializer
        if wanted and wanted not in _BUILT_IN and type(arg).__name__ != wanted:
            return False
    return True


class _Unknown:
    def __repr__(self) -> str:
        return "?"


class _Each(list[Any]):
    """A variable bound by `x in list`: each of the list's items in turn."""


def _environment(rule: Rule, args: list[Any]) -> dict[str, Any]:
    env: dict[str, Any] = {}
    for param, arg in zip(rule.params, args, strict=False):
        if param.variable:
            env[param.variable] = arg
    return env


def _value(expression: str, env: dict[str, Any]) -> Any:
    expression = expression.strip()
    if expression.startswith('"') and expression.endswith('"'):
        return expression[1:-1]
    if expression in ("true", "false"):
        return expression == "true"
    if expression == "nil":
        return None
    root, *attributes = expression.split(".")
    if root not in env:
        return _Unknown()
    value = env[root]
    for attribute in attributes:
        if isinstance(value, _Each):
            value = _Each(_attribute(item, attribute) for item in value)
        else:
            value = _attribute(value, attribute)
    return value


def _attribute(value: Any, name: str) -> Any:
    related = getattr(value, f"_{name}", None)  # a relation already fetched
    return related if related is not None else getattr(value, name, _Unknown())


def _values(condition: str, env: dict[str, Any], describe: Any) -> list[str]:
    """`name = value` for each variable and attribute path the condition reads."""
    shown: list[str] = []
    seen: set[str] = set()
    words = [m.group(0) for m in _PATH.finditer(condition)]
    words += [w for w in re.findall(r"(?<![\w.\"])([a-z_]\w*)(?![\w(.])", condition) if w in env]
    for word in words:
        if word in seen or word.split(".")[0] not in env:
            continue
        seen.add(word)
        value = _value(word, env)
        if isinstance(value, _Each):
            items = ", ".join(describe(word, item) for item in value) or "none"
            shown.append(f"{word} = {items} (one per {word.split('.')[0]})")
        elif not hasattr(value, "_meta") and not hasattr(value, "accesses"):
            shown.append(f"{word} = {describe(word, value)}")
    return shown


def _split_args(text: str) -> list[str]:
    parts, depth, current = [], 0, ""
    for ch in text:
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += ch
    return [*parts, current] if current.strip() else parts
