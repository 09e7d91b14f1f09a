"""The rules written in `.polar` files, as a reviewer sees them: file, line, head, comment.

The engine reports rules by "line L of file F" (in its trace and its errors); this module
reads the same files so that the tools can list every rule, quote its source text and the
plain-English comment above it, and tell which action and resource class its head names.
It does not decide anything: the engine does.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_:]*")


@dataclass(frozen=True)
class Location:
    """Where a rule starts: the file and the 1-based line of its head."""

    file: Path
    line: int

    def __str__(self) -> str:
        return f"{self.file.name}:{self.line}"


@dataclass(frozen=True)
class Param:
    """One parameter of a rule head: a constant (`"read"`) or a variable with an optional
    class (`document: Document`)."""

    constant: str | None = None
    variable: str | None = None
    specializer: str | None = None


@dataclass
class Rule:
    """One rule of a `.polar` file."""

    location: Location
    name: str
    params: list[Param]
    text: str  # the rule as written, whitespace collapsed
    comment: str = ""  # the comment block right above it
    source: str = ""  # the rule as written, original lines
    end_line: int = 0

    @property
    def action(self) -> str | None:
        """The action constant of an `allow`/`allow_field` head, if it names one."""
        if self.name in ("allow", "allow_field") and len(self.params) >= 2:
            return self.params[1].constant
        return None

    @property
    def resource_class(self) -> str | None:
        """The class the resource parameter of an `allow`/`allow_field` head requires."""
        if self.name in ("allow", "allow_field") and len(self.params) >= 3:
            return self.params[2].specializer
        return None

    @property
    def field(self) -> Param | None:
        """The field parameter of an `allow_field` head."""
        if self.name == "allow_field" and len(self.params) >= 4:
            return self.params[3]
        return None


@dataclass
class PolicySource:
    """Every rule of a set of `.polar` files, by location."""

    rules: list[Rule] = field(default_factory=list)

    def at(self, location: Location) -> Rule | None:
        for rule in self.rules:
            if rule.location == location:
                return rule
        return None

    def by_file(self) -> dict[Path, list[Rule]]:
        result: dict[Path, list[Rule]] = {}
        for rule in self.rules:
            result.setdefault(rule.location.file, []).append(rule)
        return result


def read_sources(files: Iterable[Path]) -> PolicySource:
    source = PolicySource()
    for path in files:
        source.rules.extend(parse_file(Path(path)))
    return source


def parse_file(path: Path) -> list[Rule]:
    """The rules of one file. Statements end with `;` outside strings, comments and brackets;
    `resource`/`actor` blocks and inline queries (`?=`) are skipped."""
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    rules: list[Rule] = []
    statement: list[str] = []
    start: tuple[int, int] | None = None  # (line index, column) of the statement's first char
    depth = 0
    braces = 0
    in_string = False
    escaped = False
    line_no = 0
    col = 0
    i = 0
    while i < len(text):
        ch = text[i]
        if in_string:
            statement.append(ch)
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == "#":
            while i < len(text) and text[i] != "\n":
                i += 1
            continue
        else:
            if start is None and not ch.isspace():
                start = (line_no, col)
            if start is not None:
                statement.append(ch)
            if ch == '"':
                in_string = True
            elif ch in "([":
                depth += 1
            elif ch in ")]":
                depth -= 1
            elif ch == "{":
                braces += 1
            elif ch == "}":
                braces -= 1
                if braces == 0 and depth == 0 and _is_block("".join(statement)):
                    statement, start = [], None
            elif ch == ";" and depth == 0 and braces == 0 and start is not None:
                rule = _rule(path, lines, "".join(statement), start, line_no)
                if rule is not None:
                    rules.append(rule)
                statement, start = [], None
        if ch == "\n":
            line_no += 1
            col = 0
        else:
            col += 1
        i += 1
    return rules


def _is_block(statement: str) -> bool:
    return bool(re.match(r"\s*(actor|resource|global)\b", statement))


def _rule(
    path: Path, lines: list[str], statement: str, start: tuple[int, int], end: int
) -> Rule | None:
    statement = statement.strip()
    if statement.startswith("?="):
        return None
    match = _IDENT.match(statement)
    if match is None or not statement[match.end() :].startswith("("):
        return None
    name = match.group(0)
    head_args = _balanced(statement, match.end())
    params = [_param(arg) for arg in _split_top(head_args)]
    line = start[0] + 1
    return Rule(
        location=Location(path, line),
        name=name,
        params=params,
        text=" ".join(statement.split()),
        comment=_comment_above(lines, start[0]),
        source="\n".join(lines[start[0] : end + 1]),
        end_line=end + 1,
    )


def _balanced(text: str, open_at: int) -> str:
    """The text between the bracket at `open_at` and its matching close."""
    depth = 0
    in_string = False
    for i in range(open_at, len(text)):
        ch = text[i]
        if in_string:
            if ch == '"' and text[i - 1] != "\\":
                in_string = False
            continue
        if ch == '"':
            in_string = True
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
            if depth == 0:
                return text[open_at + 1 : i]
    return text[open_at + 1 :]


def _split_top(text: str) -> list[str]:
    parts: list[str] = []
    depth = 0
    in_string = False
    current: list[str] = []
    for i, ch in enumerate(text):
        if in_string:
            current.append(ch)
            if ch == '"' and text[i - 1] != "\\":
                in_string = False
            continue
        if ch == '"':
            in_string = True
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append("".join(current).strip())
            current = []
            continue
        current.append(ch)
    if "".join(current).strip():
        parts.append("".join(current).strip())
    return parts


def _param(text: str) -> Param:
    if text.startswith('"') and text.endswith('"'):
        return Param(constant=text[1:-1])
    variable, _, specializer = text.partition(":")
    specializer = specializer.strip()
    if specializer.startswith('"') and specializer.endswith('"'):
        return Param(variable=variable.strip(), constant=specializer[1:-1])
    match = _IDENT.match(specializer)
    return Param(variable=variable.strip(), specializer=match.group(0) if match else None)


def _comment_above(lines: list[str], index: int) -> str:
    """The block of `#` lines immediately above line `index` (0-based), without the `#`."""
    comment: list[str] = []
    i = index - 1
    while i >= 0 and lines[i].lstrip().startswith("#"):
        comment.insert(0, lines[i].lstrip()[1:].strip())
        i -= 1
    return " ".join(c for c in comment if c)
