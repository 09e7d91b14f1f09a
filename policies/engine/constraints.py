"""The policy's row conditions in a canonical form, before they become a Tortoise `Q`.

Oso's data filtering answers with a disjunction of conjunctions of column comparisons, one
conjunction per way a rule can hold. Taken as is, they repeat themselves: `status in [...]`
becomes one disjunct per status, each access one `establishment_id = n` disjunct, and the
same comparisons come in varying order. PostgreSQL estimates such an OR badly, and once a
caller adds `establishment_id = n` of its own, a generic (prepared) plan takes
`(e-mail = $1 OR site = $2) AND site = $3` for a handful of rows and reads the whole
establishment (issue 20). So the conditions are simplified here, with the plain rules of
boolean algebra, into one canonical form: the same rows, written once, in a stable order (the
same SQL text for the same viewer, so prepared statements are reused).

`Disjunction.given(...)` goes one step further: the conditions as they read on rows already
known to have some column values (the establishment a page is filtered by), where a branch
that must hold is "every row" and one that cannot is dropped.
"""

from __future__ import annotations

import itertools
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from tortoise.expressions import F, Q

# A comparison of a column with a value: equal to one of `values` (op IN), none of them
# (NOT IN), or equal to another column (SAME, `values` holds its path).
IN = "in"
NOT_IN = "not_in"
SAME = "same"
NOT_SAME = "not_same"


def _sort_key(value: Any) -> tuple[str, str]:
    return (type(value).__name__, repr(value))


@dataclass(frozen=True, order=False)
class Atom:
    """One comparison: `path` (a Tortoise lookup path from the filtered model) `op` `values`."""

    path: str
    op: str
    values: tuple[Any, ...]

    @staticmethod
    def member(path: str, values: Iterable[Any], negated: bool = False) -> Atom:
        unique = sorted(set(values), key=_sort_key)
        return Atom(path, NOT_IN if negated else IN, tuple(unique))

    @property
    def key(self) -> tuple[Any, ...]:
        return (self.path, self.op, tuple(_sort_key(v) for v in self.values))

    def q(self) -> Q:
        lookup: dict[str, Any]
        if self.op in (SAME, NOT_SAME):
            lookup = {self.path: F(self.values[0])}
        elif len(self.values) == 1:
            lookup = {self.path: self.values[0]}
        else:
            lookup = {f"{self.path}__in": list(self.values)}
        q = Q(**lookup)
        return ~q if self.op in (NOT_IN, NOT_SAME) else q

    def truth(self, possible: Collection[Any]) -> bool | None:
        """True/False when every row whose `path` is one of `possible` passes/fails this
        comparison; None when it depends on the row."""
        if self.op == IN:
            if all(v in self.values for v in possible):
                return True
            if not any(v in self.values for v in possible):
                return False
        elif self.op == NOT_IN:
            if not any(v in self.values for v in possible):
                return True
            if all(v in self.values for v in possible):
                return False
        return None


Conjunction = frozenset[Atom]


def _simplify_conjunction(atoms: Iterable[Atom]) -> Conjunction | None:
    """The atoms AND-ed, memberships of one column intersected; None when they contradict."""
    members: dict[str, set[Any]] = {}
    others: set[Atom] = set()
    for atom in atoms:
        if atom.op == IN:
            current = members.get(atom.path)
            values = set(atom.values)
            members[atom.path] = values if current is None else current & values
        else:
            others.add(atom)
    kept: set[Atom] = set()
    for atom in others:  # a NOT IN that the column's IN already decides narrows the IN
        if atom.op == NOT_IN and atom.path in members:
            members[atom.path] = members[atom.path] - set(atom.values)
        else:
            kept.add(atom)
    if any(not values for values in members.values()):
        return None
    return frozenset({Atom.member(path, values) for path, values in members.items()} | kept)


def _merge_pair(a: Conjunction, b: Conjunction) -> Conjunction | None:
    """(X AND col IN s) OR (X AND col IN t) = X AND col IN (s | t), else None."""
    if len(a) != len(b):
        return None
    only_a, only_b = a - b, b - a
    if len(only_a) != 1 or len(only_b) != 1:
        return None
    (x,), (y,) = only_a, only_b
    if x.op != IN or y.op != IN or x.path != y.path:
        return None
    return (a & b) | {Atom.member(x.path, x.values + y.values)}


@dataclass(frozen=True)
class Disjunction:
    """Rows matching any of `branches` (each an AND of atoms). No branch: no row; an empty
    branch: every row."""

    branches: tuple[Conjunction, ...]

    @property
    def is_everything(self) -> bool:
        return any(not branch for branch in self.branches)

    @property
    def is_nothing(self) -> bool:
        return not self.branches

    @staticmethod
    def of(branches: Iterable[Iterable[Atom]]) -> Disjunction:
        """The canonical form of an OR of ANDs: contradictory branches dropped, duplicates and
        branches implied by a shorter one (A OR (A AND B) = A) removed, branches differing by
        the value of one column merged into an IN, in a stable order."""
        found: list[Conjunction] = []
        for atoms in branches:
            conjunction = _simplify_conjunction(atoms)
            if conjunction is None:
                continue
            if not conjunction:
                return EVERYTHING
            found.append(conjunction)
        current = set(found)
        changed = True
        while changed:
            changed = False
            # Absorption: a branch containing all the atoms of another selects a subset of it.
            kept = {b for b in current if not any(o < b for o in current)}
            if kept != current:
                current, changed = kept, True
            for a, b in itertools.combinations(sorted(current, key=_branch_key), 2):
                merged = _merge_pair(a, b)
                if merged is not None:
                    current = (current - {a, b}) | {merged}
                    changed = True
                    break
        return Disjunction(tuple(sorted(current, key=_branch_key)))

    def given(self, known: Mapping[str, Collection[Any]]) -> Disjunction:
        """These conditions on rows whose column `path` is known to be one of `known[path]`:
        each comparison those values decide is replaced by its answer."""
        if not known:
            return self
        branches: list[list[Atom]] = []
        for branch in self.branches:
            atoms: list[Atom] = []
            for atom in branch:
                truth = atom.truth(known[atom.path]) if atom.path in known else None
                if truth is False:
                    break
                if truth is None:
                    atoms.append(atom)
            else:
                branches.append(atoms)
        return Disjunction.of(branches)

    def q(self, nothing: Q) -> Q:
        """The Tortoise `Q`: `Q()` for every row, `nothing` for no row."""
        if self.is_nothing:
            return nothing
        if self.is_everything:
            return Q()
        result: Q | None = None
        for branch in self.branches:
            conjunction = _and(sorted(branch, key=lambda atom: atom.key))
            result = conjunction if result is None else result | conjunction
        assert result is not None
        return result


def _and(atoms: list[Atom]) -> Q:
    q = atoms[0].q()
    for atom in atoms[1:]:
        q &= atom.q()
    return q


def _branch_key(branch: Conjunction) -> tuple[Any, ...]:
    return (len(branch), sorted(atom.key for atom in branch))


EVERYTHING = Disjunction((frozenset(),))
NOTHING = Disjunction(())

__all__ = ["EVERYTHING", "NOTHING", "Atom", "Disjunction"]
