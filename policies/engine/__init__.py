"""The Oso engine loaded with `policies/*.polar`, and the bridge from its decisions to SQL.

Python never decides access by itself: it asks this module.

* `Policy.is_allowed` / `Policy.field_allowed` answer for one concrete object.
* `Policy.filter(viewer, action, Model)` returns a Tortoise `Q` derived from the policy by
  Oso's data filtering (partial evaluation), so lists are filtered in the database.
* `Policy.field_filter(viewer, action, Model, field)` does the same for an `allow_field` rule:
  the rows of `Model` on which the viewer may read `field` (used for document kinds).

Partial evaluation depends only on the policy and on the viewer's own attributes (e-mail,
staff flag, accesses), never on the rows, so its results are cached per (policy generation,
viewer fingerprint). Rights are read fresh on every request, so a changed access is a new
fingerprint and takes effect at once.
"""

from __future__ import annotations

import os
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Collection, Iterable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import Enum
from pathlib import Path
from typing import Any, cast

from oso import Oso
from polar import Variable
from polar.data.adapter import DataAdapter
from polar.data.filter import Condition, DataFilter, Projection
from polar.data_filtering import Relation, serialize_types
from polar.partial import TypeConstraint
from tortoise.expressions import Q
from tortoise.models import Model

from models.access import Access, AdminAccessRequest, Invitation
from models.accounts import Account
from models.audit import AuditEntry
from models.companies import Company, Establishment
from models.documents import Document
from models.enrollments import Enrollment, Invoice
from policies.engine.constraints import IN, NOT_IN, NOT_SAME, NOTHING, SAME, Atom, Disjunction
from services.errors import Forbidden, NotFound, Reason

# The folder of `.polar` files, `policies/`. POLICIES_DIR points the server, the tools and
# the tests at a copy instead (a reviewer trying a change, the walk-through tests).
POLICY_DIR = Path(os.environ.get("POLICIES_DIR") or Path(__file__).resolve().parent.parent)


@dataclass
class Grant:
    """One access of the viewer, as the policy sees it."""

    access_id: int
    establishment_id: int
    role: str
    document_kinds: list[str] = field(default_factory=list)
    # The company of the establishment: an access is what makes someone a member of a
    # company (a SIRET typed at sign-up proves nothing).
    company_id: int | None = None


@dataclass
class Viewer:
    """The signed-in person, with the rights read from the database for this request."""

    id: int
    email: str
    is_staff: bool = False
    accesses: list[Grant] = field(default_factory=list)
    # True once the person proved they receive mail at `email`: only then does the
    # history matched by that e-mail belong to them (rules 4 and 5).
    email_verified: bool = False

    def fingerprint(self) -> tuple[Any, ...]:
        """Everything the policy can read of the viewer, as a hashable key."""
        return (
            self.id,
            self.email,
            self.email_verified,
            self.is_staff,
            tuple(
                (
                    g.access_id,
                    g.establishment_id,
                    g.role,
                    tuple(sorted(g.document_kinds)),
                    g.company_id,
                )
                for g in self.accesses
            ),
        )


# What data filtering may read of each resource: plain columns and the relations to join.
RESOURCE_FIELDS: dict[type[Model], dict[str, Any]] = {
    Account: {"id": int, "email": str, "is_staff": bool},
    Company: {"id": int},
    Establishment: {"id": int, "company_id": int, "registered_by_id": int},
    Access: {"id": int, "account_id": int, "establishment_id": int, "role": str},
    Enrollment: {
        "id": int,
        "establishment_id": int,
        "registrant_email": str,
        "channel": str,
        "status": str,
    },
    Document: {
        "id": int,
        "kind": str,
        "enrollment_id": int,
        "enrollment": Relation(
            kind="one", other_type="Enrollment", my_field="enrollment_id", other_field="id"
        ),
    },
    Invoice: {
        "id": int,
        "enrollment_id": int,
        "enrollment": Relation(
            kind="one", other_type="Enrollment", my_field="enrollment_id", other_field="id"
        ),
    },
    AuditEntry: {"id": int, "establishment_id": int, "action": str},
    AdminAccessRequest: {"id": int, "account_id": int, "establishment_id": int},
    Invitation: {"id": int, "establishment_id": int, "email": str},
}

MATCH_NOTHING = Q(id__in=[])
# A value equal to none of a condition's values (`Policy.filter_by_parents`).
_OTHER = object()


# Related objects already loaded for the concrete check under way (see Policy.is_allowed).
_preloaded: ContextVar[dict[tuple[type, Any], Model] | None] = ContextVar("preloaded", default=None)


class RelationNotLoaded(LookupError):
    """A rule read a relation of a concrete object that the caller did not preload."""


@dataclass
class FilterQuery:
    """What the adapter builds: the `Q`, and the primary key when Oso asks for one row."""

    model: type[Model]
    q: Q
    pk: Any = None
    rows: Disjunction = NOTHING


class TortoiseAdapter(DataAdapter):
    """Turns an Oso `DataFilter` into a Tortoise `Q` on the filter's root model.

    Each relation Oso asks to join becomes a `relation__field` lookup path; each disjunct
    of conditions becomes an AND of lookups; the disjuncts are OR-ed, in the canonical form
    of `constraints.Disjunction` (no repeated or redundant condition, a stable order).

    Oso's engine is synchronous, so when a rule follows a relation of a concrete object
    (`document.enrollment`) the related row must already be loaded: `execute_query` serves
    it from the objects preloaded for the check, never from a blocking database call.
    """

    def build_query(self, filter: DataFilter) -> FilterQuery:
        prefixes: dict[type, str] = {filter.model: ""}
        for relation in filter.relations:
            prefixes[relation.right] = prefixes[relation.left] + relation.name + "__"
        pk = None
        if (
            len(filter.conditions) == 1
            and len(filter.conditions[0]) == 1
            and isinstance(filter.conditions[0][0].left, Projection)
            and filter.conditions[0][0].left.field in (None, "id")
            and filter.conditions[0][0].cmp == "Eq"
        ):
            pk = filter.conditions[0][0].right
        branches: list[list[Atom]] = []
        for conjunction in filter.conditions:
            atoms: list[Atom] = []
            for condition in conjunction:
                atom = self._condition(condition, prefixes)
                if atom is False:
                    break
                if atom is not True:
                    atoms.append(atom)
            else:
                branches.append(atoms)
        rows = Disjunction.of(branches)
        return FilterQuery(filter.model, rows.q(MATCH_NOTHING), pk, rows)

    def execute_query(self, query: FilterQuery) -> list[Model]:
        instance = (_preloaded.get() or {}).get((query.model, query.pk))
        if instance is None:
            raise RelationNotLoaded(
                f"a policy rule reads {query.model.__name__} {query.pk}: preload it "
                "(fetch_related) before asking the policy"
            )
        return [instance]

    def _condition(self, condition: Condition, prefixes: dict[type, str]) -> Atom | bool:
        """One comparison as an `Atom`, or its answer when it compares two constants."""
        left, right, cmp = condition.left, condition.right, condition.cmp
        if not isinstance(left, Projection):
            left, right = right, left
        if not isinstance(left, Projection):  # two constants: decide now
            return (left == right) if cmp == "Eq" else (left != right)
        path = self._path(left, prefixes)
        if isinstance(right, Projection):
            if cmp not in ("Eq", "Neq"):
                raise ValueError(f"unsupported comparison {cmp} between two fields")
            return Atom(path, SAME if cmp == "Eq" else NOT_SAME, (self._path(right, prefixes),))
        value = self._value(right)
        if cmp in ("Eq", "Neq"):
            return Atom.member(path, [value], negated=cmp == "Neq")
        if cmp in ("In", "Nin"):
            if not value:  # in nothing: never; not in nothing: always
                return cmp == "Nin"
            return Atom.member(path, value, negated=cmp == "Nin")
        raise ValueError(f"unsupported comparison {cmp}")

    @staticmethod
    def _path(projection: Projection, prefixes: dict[type, str]) -> str:
        return prefixes[projection.source] + (projection.field or "id")

    @staticmethod
    def _value(value: Any) -> Any:
        if isinstance(value, Model):
            return value.pk
        if isinstance(value, list | tuple):
            return [v.pk if isinstance(v, Model) else v for v in value]
        return value


def _forbidden(message: str | None, reason: Reason | None) -> Forbidden:
    if message is None:
        return Forbidden(reason=reason)
    return Forbidden(message, reason=reason)


class PolicyError(Exception):
    """A policy file does not load: the message names the file and line."""


@dataclass
class RefusedEdit:
    """The last set of files that did not load (hot reload kept the previous policy)."""

    at: datetime
    error: str

    @property
    def where(self) -> str:
        """`file.polar:line`, as the tools print it."""
        match = _AT.search(self.error)
        return f"{Path(match.group(2)).name}:{match.group(1)}" if match else ""


_AT = re.compile(r"at line (\d+), column \d+ of file (\S+?):?$", re.MULTILINE)
_UNEXPECTED = re.compile(
    r"^did not expect to find the token '(?P<token>\w+)' at line (?P<line>\d+), "
    r"column (?P<column>\d+) of file (?P<file>\S+?):"
)


def located(message: str) -> str:
    """The engine's load error, pointing at the line to fix. A rule missing its `;` is
    reported where the *next* rule starts (often three lines later, past a blank line and a
    comment): name the line that lacks the `;` instead."""
    match = _UNEXPECTED.match(message)
    if match is None:
        return message
    path, line = Path(match.group("file")), int(match.group("line"))
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError:
        return message
    if line > len(lines) or lines[line - 1][: int(match.group("column")) - 1].strip():
        return message  # not the start of a new rule
    index = line - 2
    while index >= 0 and (not lines[index].strip() or lines[index].lstrip().startswith("#")):
        index -= 1
    if index < 0 or lines[index].rstrip().endswith((";", "{", "}")):
        return message
    column = len(lines[index].rstrip()) + 1
    number = f"{index + 1:03d}: "
    return (
        f"missing `;` at the end of this rule at line {index + 1}, column {column} of file "
        f"{path}:\n\t{number}{lines[index].rstrip()}\n\t{' ' * (len(number) + column - 1)}^\n"
        f"\t(the engine only noticed at line {line}, where the next rule starts with "
        f"'{match.group('token')}')"
    )


def policy_files(directory: Path = POLICY_DIR) -> list[Path]:
    return sorted(directory.glob("*.polar"))


def build_oso(files: Iterable[Path]) -> Oso:
    """A fresh Oso with our classes registered and the given files loaded (or PolicyError)."""
    oso = Oso()
    oso.register_class(Viewer)
    oso.register_class(Grant)
    for cls, fields in RESOURCE_FIELDS.items():
        oso.register_class(cls, fields=fields)
    oso.set_data_filtering_adapter(TortoiseAdapter())
    try:
        oso.load_files([str(f) for f in files])
    except Exception as exc:  # oso raises several error types, all with file and line
        raise PolicyError(located(str(exc))) from exc
    return oso


class Policy:
    """The loaded policy. `swap` replaces it atomically (hot reload); counters let tests and
    benchmarks see how many times the engine was asked."""

    def __init__(self, directory: Path = POLICY_DIR, cache_size: int = 2048) -> None:
        self.directory = directory
        self._oso = build_oso(policy_files(directory))
        self.generation = 0
        self._cache: OrderedDict[tuple[Any, ...], Q] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()
        self.calls = 0  # engine queries actually run (cache misses included, hits not)
        self.loaded_at = datetime.now(UTC)
        self.last_refused: RefusedEdit | None = None  # set by hot reload (policies.engine.reload)

    # -- loading ----------------------------------------------------------------------
    def reload(self) -> None:
        """Load the files again; on error keep the current policy and raise PolicyError."""
        self.swap(build_oso(policy_files(self.directory)))

    def swap(self, oso: Oso) -> None:
        with self._lock:
            self._oso = oso
            self.generation += 1
            self.loaded_at = datetime.now(UTC)
            self._cache.clear()

    def status(self) -> dict[str, Any]:
        """The generation in force and the last edit that was refused (for /healthz, dev)."""
        refused = self.last_refused
        return {
            "generation": self.generation,
            "loadedAt": self.loaded_at.isoformat(timespec="seconds"),
            "lastRefused": None
            if refused is None
            else {
                "at": refused.at.isoformat(timespec="seconds"),
                "where": refused.where,
                "error": refused.error,
                # True while the files on disk are still the refused ones (no good save since).
                "pending": refused.at >= self.loaded_at,
            },
        }

    @property
    def oso(self) -> Oso:
        return self._oso

    # -- single objects -----------------------------------------------------------------
    def is_allowed(self, viewer: Viewer | None, action: str, resource: Any) -> bool:
        if viewer is None:
            return False
        self.calls += 1
        token = _preloaded.set(_loaded_relations(resource))
        try:
            return self._oso.is_allowed(viewer, action, resource)
        finally:
            _preloaded.reset(token)

    def field_allowed(self, viewer: Viewer | None, action: str, resource: Any, name: str) -> bool:
        if viewer is None:
            return False
        self.calls += 1
        token = _preloaded.set(_loaded_relations(resource))
        try:
            return bool(self._oso.query_rule_once("allow_field", viewer, action, resource, name))
        finally:
            _preloaded.reset(token)

    def authorize(
        self,
        viewer: Viewer | None,
        action: str,
        resource: Any,
        *,
        read_action: str | None = "read",
        what: str | None = None,
        message: str | None = None,
        reason: Reason | None = None,
    ) -> None:
        """Return if `viewer` may `action` `resource`; otherwise raise, as Oso's `authorize`.

        A viewer who may not even `read_action` the resource gets `NotFound(what)`, so its
        existence is not revealed; one who may read it gets `Forbidden(message)`. With
        `read_action=None` (Oso's `check_read=False`: the caller already revealed the
        resource, or it is a class or the viewer itself) a refusal is always `Forbidden`.
        `reason` is the Forbidden's `extensions.reason` when finer than NOT_ALLOWED.
        """
        if self.is_allowed(viewer, action, resource):
            return
        if read_action is None or (
            action != read_action and self.is_allowed(viewer, read_action, resource)
        ):
            raise _forbidden(message, reason)
        raise NotFound(what) if what is not None else NotFound()

    def authorize_field(
        self,
        viewer: Viewer | None,
        action: str,
        resource: Any,
        name: str,
        *,
        message: str | None = None,
        reason: Reason | None = None,
    ) -> None:
        """Return if `viewer` may `action` field `name` of `resource`, else raise Forbidden."""
        if not self.field_allowed(viewer, action, resource, name):
            raise _forbidden(message, reason)

    # -- lists, as SQL ------------------------------------------------------------------
    def filter(
        self,
        viewer: Viewer | None,
        action: str,
        model: type[Model],
        given: Known | None = None,
    ) -> Q:
        """A `Q` selecting the rows of `model` on which `viewer` may perform `action`.

        `given` (column -> the values it can have) states what the caller already knows of
        the rows, because its own filter says so (`{"establishment_id": (7,)}` for a page of
        one establishment): the `Q` is then simplified for those rows only, and is only
        right AND-ed with that filter."""
        if viewer is None:
            return MATCH_NOTHING
        key = ("allow", self.generation, viewer.fingerprint(), action, model)
        return self._q(viewer, key, given)

    def field_filter(
        self,
        viewer: Viewer | None,
        action: str,
        model: type[Model],
        name: str,
        given: Known | None = None,
    ) -> Q:
        """A `Q` selecting the rows of `model` on which `viewer` may `action` field `name`
        (`given` as for `filter`)."""
        if viewer is None:
            return MATCH_NOTHING
        key = ("allow_field", self.generation, viewer.fingerprint(), action, model, name)
        return self._q(viewer, key, given)

    def filter_by_parents(
        self,
        viewer: Viewer | None,
        action: str,
        model: type[Model],
        parent: str,
        parents: Mapping[int, Any],
    ) -> Q:
        """A `Q` selecting the rows of `model` that belong to these parents (`parent` is the
        relation's name: the documents of enrollments, `"enrollment"`) and on which `viewer`
        may perform `action`.

        `parents` maps each parent's id to the parent as already read (an object with its
        columns as attributes, or a mapping of them). The policy's condition is read on each
        parent's own values, as `filter(given=...)` reads it on known values: what they
        decide (the parent's establishment, its registrant) is decided per parent, so the
        query does not join the parent's table for it, and parents left with the same
        condition share one `IN`. A column the parent lacks stays in the SQL."""
        if viewer is None or not parents:
            return MATCH_NOTHING
        rows = self._rows(viewer, ("allow", self.generation, viewer.fingerprint(), action, model))
        prefix = parent + "__"
        # The parent's columns the condition compares with values, and those values: any
        # other value compares the same way (`_OTHER`), so parents group before evaluating.
        compared: dict[str, set[Any]] = {}
        negated: set[str] = set()  # columns compared with NOT IN somewhere
        for branch in rows.branches:
            for atom in branch:
                column = atom.path[len(prefix) :]
                if atom.path.startswith(prefix) and "__" not in column and atom.op in (IN, NOT_IN):
                    compared.setdefault(column, set()).update(atom.values)
                    if atom.op == NOT_IN:
                        negated.add(column)
        # SQL's null is in no list and in no NOT IN list either: a null column answers like
        # another value where the column is only compared with IN lists without null; else
        # the SQL decides.
        null_is_other = {
            c for c, values in compared.items() if c not in negated and None not in values
        }
        by_values: dict[tuple[tuple[str, Any], ...], list[int]] = {}
        for parent_id, row in parents.items():
            known = []
            for column, values in compared.items():
                value = (
                    row.get(column, _OTHER)
                    if isinstance(row, Mapping)
                    else getattr(row, column, _OTHER)
                )
                if value is _OTHER:  # not read: left to the SQL
                    continue
                if isinstance(value, Enum):  # the policy compares the stored value
                    value = value.value
                if value is None:
                    if column in null_is_other:
                        known.append((column, _OTHER))
                    continue
                try:
                    known.append((column, value if value in values else _OTHER))
                except TypeError:  # not a plain value: left to the SQL
                    continue
            by_values.setdefault(tuple(known), []).append(parent_id)
        groups: dict[Disjunction, list[int]] = {}
        for known_values, ids in by_values.items():
            given = {prefix + column: (value,) for column, value in known_values}
            groups.setdefault(rows.given(given), []).extend(ids)
        result: Q | None = None
        for condition, ids in groups.items():
            if condition.is_nothing:
                continue
            of_these: dict[str, Any] = {f"{parent}_id__in": ids}
            q = Q(**of_these)
            if not condition.is_everything:
                q &= condition.q(MATCH_NOTHING)
            result = q if result is None else result | q
        return MATCH_NOTHING if result is None else result

    def _q(self, viewer: Viewer, key: tuple[Any, ...], given: Known | None) -> Q:
        """The cached `Q` of the rows of `key` (given what the caller knows of them)."""
        known = _known(given)
        return cast(
            Q,
            self._cached(
                ("q", *key, known),
                lambda: self._rows(viewer, key).given(dict(known)).q(MATCH_NOTHING),
            ),
        )

    def _rows(self, viewer: Viewer, key: tuple[Any, ...]) -> Disjunction:
        """The cached rows (`Disjunction`) the policy's rule allows for `key`."""
        rule, _generation, _fingerprint, action, model, *extra = key
        return cast(
            Disjunction,
            self._cached(key, lambda: self._partial(rule, viewer, action, model, tuple(extra))),
        )

    def _cached(self, key: tuple[Any, ...], compute: Callable[[], Any]) -> Any:
        with self._lock:
            hit = self._cache.get(key)
            if hit is not None:
                self._cache.move_to_end(key)
                return hit
        value = compute()
        with self._lock:
            self._cache[key] = value
            if len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return value

    def _partial(
        self, rule: str, viewer: Viewer, action: str, model: type[Model], extra: tuple[Any, ...]
    ) -> Disjunction:
        """Partially evaluate `rule(viewer, action, <unknown model>, *extra)` into the rows
        it allows."""
        self.calls += 1
        oso = self._oso
        host = oso.host
        class_name = host.types[model].name
        resource = Variable("resource")
        constraint = TypeConstraint(resource, class_name)
        results = oso.query_rule(
            rule,
            viewer,
            action,
            resource,
            *extra,
            bindings={"resource": constraint},
            accept_expression=True,
        )
        bindings = [
            {"bindings": {k: host.to_polar(v)}}
            for result in results
            for k, v in result["bindings"].items()
        ]
        types = serialize_types(host.distinct_user_types(), host.types)
        plan = oso.ffi_polar.build_data_filter(types, bindings, "resource", class_name)
        built = host.adapter.build_query(DataFilter.parse(oso, plan))
        return cast(FilterQuery, built).rows


# What a caller knows of the rows it filters: column -> the values it can have.
Known = Mapping[str, Collection[Any]]


def _known(given: Known | None) -> tuple[tuple[str, frozenset[Any]], ...]:
    """`given` as a hashable cache key."""
    if not given:
        return ()
    return tuple(sorted((path, frozenset(values)) for path, values in given.items()))


def _loaded_relations(resource: Any) -> dict[tuple[type, Any], Model]:
    """The related rows already fetched on `resource`, for the relations rules may read."""
    loaded: dict[tuple[type, Any], Model] = {}
    for name, spec in RESOURCE_FIELDS.get(type(resource), {}).items():
        if isinstance(spec, Relation):
            related = getattr(resource, f"_{name}", None)
            if isinstance(related, Model):
                loaded[(type(related), related.pk)] = related
    return loaded


__all__ = ["Grant", "Policy", "PolicyError", "RefusedEdit", "RelationNotLoaded", "Viewer"]
