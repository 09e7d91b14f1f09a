"""The policy's row conditions are simplified (`policies/engine/constraints.py`) without ever
changing which rows they select: checked on every row of a small universe, for random
conditions, against the conditions as Oso gave them."""

from __future__ import annotations

import itertools
from typing import Any

from hypothesis import example, given, settings
from hypothesis import strategies as st

from policies.engine.constraints import IN, NOT_IN, Atom, Disjunction

COLUMNS = ("establishment_id", "status", "registrant_email")
VALUES = (1, 2, 3)
ROWS = [dict(zip(COLUMNS, values, strict=True)) for values in itertools.product(VALUES, repeat=3)]

atoms = st.builds(
    lambda path, negated, values: Atom.member(path, values, negated=negated),
    st.sampled_from(COLUMNS),
    st.booleans(),
    st.sets(st.sampled_from(VALUES), min_size=1, max_size=3),
)
branches = st.lists(st.lists(atoms, max_size=3), max_size=5)


def _holds(atom: Atom, row: dict[str, Any]) -> bool:
    inside = row[atom.path] in atom.values
    return inside if atom.op == IN else not inside


def _raw(branches: list[list[Atom]], row: dict[str, Any]) -> bool:
    """The conditions as given: an OR of ANDs."""
    return any(all(_holds(atom, row) for atom in branch) for branch in branches)


def _selects(rows: Disjunction, row: dict[str, Any]) -> bool:
    return any(all(_holds(atom, row) for atom in branch) for branch in rows.branches)


@settings(max_examples=300, deadline=None)
@given(branches)
@example(  # two NOT INs narrowing one IN (a bug hypothesis found)
    [
        [
            Atom.member("establishment_id", [1, 2]),
            Atom.member("establishment_id", [1], negated=True),
            Atom.member("establishment_id", [2], negated=True),
        ]
    ]
)
def test_the_canonical_form_selects_the_same_rows(raw: list[list[Atom]]) -> None:
    rows = Disjunction.of(raw)
    for row in ROWS:
        assert _selects(rows, row) == _raw(raw, row), (raw, rows, row)


@settings(max_examples=300, deadline=None)
@given(branches, st.sampled_from(COLUMNS), st.sets(st.sampled_from(VALUES), min_size=1))
def test_conditions_given_known_values_select_the_same_rows_among_those(
    raw: list[list[Atom]], column: str, possible: set[int]
) -> None:
    rows = Disjunction.of(raw).given({column: possible})
    for row in ROWS:
        if row[column] in possible:
            assert _selects(rows, row) == _raw(raw, row), (raw, column, possible, rows, row)


def test_the_same_branches_in_another_order_give_the_same_form() -> None:
    a, b = Atom.member("status", ["VALIDATED"]), Atom.member("channel", ["WEB"])
    c = Atom.member("establishment_id", [7])
    assert Disjunction.of([[a, b], [c]]) == Disjunction.of([[c], [b, a]])


def test_repeated_and_absorbed_branches_are_written_once() -> None:
    """What Oso gives for an admin of sites 1 and 2 who is also a registrant: one branch per
    site and one per status; the canonical form merges them into INs."""
    email = Atom.member("registrant_email", ["claire@acme.example"])
    web = Atom.member("channel", ["WEB"])
    statuses = ("PENDING_VALIDATION", "VALIDATED")
    raw = [[email, web, Atom.member("status", [s])] for s in statuses]
    raw += [
        [Atom.member("establishment_id", [site]), web, Atom.member("status", [s])]
        for site in (1, 2)
        for s in statuses
    ]
    raw += [[email, web, Atom.member("status", ["VALIDATED"])]]  # a duplicate
    rows = Disjunction.of(raw)
    status = Atom.member("status", statuses)
    assert set(rows.branches) == {
        frozenset({email, web, status}),
        frozenset({Atom.member("establishment_id", [1, 2]), web, status}),
    }
    # On a page of site 1 the e-mail branch adds nothing: the site's branch holds on every row.
    assert rows.given({"establishment_id": (1,)}).branches == (frozenset({web, status}),)
    # A page of a site the viewer has no access to keeps the registrant's branch only.
    assert rows.given({"establishment_id": (9,)}).branches == (frozenset({email, web, status}),)


def test_nothing_and_everything() -> None:
    site = Atom.member("establishment_id", [1])
    assert Disjunction.of([]).is_nothing
    assert Disjunction.of([[site], []]).is_everything
    assert Disjunction.of([[site]]).given({"establishment_id": (1,)}).is_everything
    assert Disjunction.of([[site]]).given({"establishment_id": (2,)}).is_nothing
    assert Disjunction.of([[site, Atom.member("establishment_id", [2])]]).is_nothing
    assert Disjunction.of([[Atom.member("status", ["A"], negated=True)]]).branches[0] == {
        Atom("status", NOT_IN, ("A",))
    }
