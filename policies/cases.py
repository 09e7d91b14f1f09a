"""Decision cases: YAML files a reviewer writes to pin down what the policy must decide.

A case file (`policies/cases/*.yaml`) may hold three sections, shared by all files:

```yaml
personas:          # who asks
  claire:
    email: claire.admin@acme.example
    verified: true             # proved her e-mail (the default); false: history hidden
    accesses:
      - {establishment: acme-paris, role: ADMIN}
resources:         # what they ask about (a type and its attributes)
  acme-paris: {establishment: {company_id: 1}}
  remi-web-order:
    enrollment: {establishment: acme-paris, registrant_email: remi, channel: WEB}
cases:
  - case: an admin manages the accesses of their establishment
    rule: 6
    as: claire                 # a persona name, or a persona written inline
    action: manage_accesses
    on: acme-paris             # a resource name, or a resource written inline
    expect: allow              # or deny
  - case: a standard user only sees the kinds their access lists
    rule: 7
    as: samuel
    action: read_document
    on: remi-web-order
    field: EVALUATION          # asks `allow_field` instead of `allow`
    expect: deny
```

Resources are built in memory (no database): a relation (`enrollment: remi-web-order` on a
document, `establishment: acme-paris` on an enrollment) names another resource, an account
(`account: claire`) names a persona, and an `..._email` attribute may name a persona too.
An access of a persona (`access: {account: claire, establishment: acme-paris}`) takes its id,
role and document kinds from that persona's access unless the case overrides them.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from tortoise.models import Model

from policies.engine import POLICY_DIR, RESOURCE_FIELDS, Grant, Policy, Viewer

CASES_DIR = POLICY_DIR / "cases"
EXPECTATIONS = ("allow", "deny")


class CaseError(Exception):
    """A case file is not valid: the message names the file and line."""


def _snake(name: str) -> str:
    return "".join("_" + c.lower() if c.isupper() else c for c in name).lstrip("_")


_MODELS: dict[str, type[Model]] = {}
for _cls in RESOURCE_FIELDS:
    _MODELS[_cls.__name__.lower()] = _cls
    _MODELS[_snake(_cls.__name__)] = _cls


# -- YAML with line numbers --------------------------------------------------------------
class _Loader(yaml.SafeLoader):
    """Safe YAML that remembers the line of every mapping (as `__line__`), and where only
    `true`/`false` are booleans (so `on:`, `yes`, `no` stay words)."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool",
    re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    list("tTfF"),
)


def _mapping_with_line(loader: _Loader, node: yaml.MappingNode) -> dict[str, Any]:
    mapping = loader.construct_mapping(node, deep=True)
    mapping["__line__"] = node.start_mark.line + 1
    return mapping


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping_with_line)


def _clean(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items() if k != "__line__"}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


# -- the cases ---------------------------------------------------------------------------
@dataclass
class Case:
    """One expected decision."""

    name: str
    rule: str
    persona: Any  # a persona name or an inline persona mapping
    action: str
    resource: Any  # a resource name or an inline resource mapping
    expect: str
    field: str | None
    file: Path
    line: int

    @property
    def where(self) -> str:
        return f"{self.file.name}:{self.line}"

    def describe(self) -> str:
        question = f"{self.action} {self.field!r}" if self.field else self.action
        return f"as {_label(self.persona)}, {question} on {_label(self.resource)}"


def _label(value: Any) -> str:
    if isinstance(value, str):
        return value
    return yaml.safe_dump(_clean(value), default_flow_style=True, width=1000).strip()


@dataclass
class Outcome:
    case: Case
    actual: str  # "allow", "deny" or "error"
    error: str | None = None

    @property
    def passed(self) -> bool:
        return self.actual == self.case.expect


@dataclass
class Suite:
    """Every persona, resource and case of a set of case files."""

    world: World
    cases: list[Case] = field(default_factory=list)


def case_files(directory: Path = CASES_DIR) -> list[Path]:
    return sorted([*directory.glob("*.yaml"), *directory.glob("*.yml")])


def load_suite(files: Iterable[Path]) -> Suite:
    """Read case files (CaseError names the file and line of a mistake)."""
    personas: dict[str, dict[str, Any]] = {}
    resources: dict[str, Any] = {}
    raw_cases: list[tuple[Path, dict[str, Any]]] = []
    for path in files:
        try:
            data = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader) or {}
        except yaml.YAMLError as exc:
            raise CaseError(f"{path.name}: not valid YAML: {exc}") from exc
        if not isinstance(data, dict):
            raise CaseError(f"{path.name}: expected sections personas/resources/cases")
        unknown = set(data) - {"personas", "resources", "cases", "__line__"}
        if unknown:
            raise CaseError(f"{path.name}: unknown section(s) {', '.join(sorted(unknown))}")
        for section, target in (("personas", personas), ("resources", resources)):
            for name, spec in (data.get(section) or {}).items():
                if name == "__line__":
                    continue
                if name in target:
                    raise CaseError(f"{path.name}: {section[:-1]} {name!r} is defined twice")
                target[name] = (path, spec)
        for item in data.get("cases") or []:
            raw_cases.append((path, item))
    world = World(personas, resources)
    cases = [_case(path, item) for path, item in raw_cases]
    for case in cases:  # fail early, with the case's line, on a persona or resource typo
        try:
            world.viewer(case.persona)
            world.resource(case.resource, case.persona)
        except CaseError as exc:
            raise CaseError(f"{case.where}: {exc}") from exc
    return Suite(world, cases)


def _case(path: Path, item: Any) -> Case:
    line = item.get("__line__", 0) if isinstance(item, dict) else 0
    where = f"{path.name}:{line}"
    if not isinstance(item, dict):
        raise CaseError(f"{where}: a case is a mapping with case, rule, as, action, on, expect")
    missing = [k for k in ("case", "rule", "as", "action", "on", "expect") if k not in item]
    if missing:
        raise CaseError(f"{where}: case is missing {', '.join(missing)}")
    unknown = set(item) - {"case", "rule", "as", "action", "on", "expect", "field", "__line__"}
    if unknown:
        raise CaseError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
    expect = str(item["expect"]).lower()
    if expect not in EXPECTATIONS:
        raise CaseError(f"{where}: expect must be allow or deny, not {item['expect']!r}")
    return Case(
        name=str(item["case"]),
        rule=str(item["rule"]),
        persona=item["as"],
        action=str(item["action"]),
        resource=item["on"],
        expect=expect,
        field=None if item.get("field") is None else str(item["field"]),
        file=path,
        line=line,
    )


def decide(policy: Policy, viewer: Viewer, action: str, resource: Any, name: str | None) -> bool:
    """Ask the real engine, as the application does."""
    if name is None:
        return policy.is_allowed(viewer, action, resource)
    return policy.field_allowed(viewer, action, resource, name)


def run_case(policy: Policy, world: World, case: Case) -> Outcome:
    try:
        viewer = world.viewer(case.persona)
        resource = world.resource(case.resource, case.persona)
        allowed = decide(policy, viewer, case.action, resource, case.field)
    except Exception as exc:  # an engine error is a failed case, reported with its message
        return Outcome(case, "error", str(exc))
    return Outcome(case, "allow" if allowed else "deny")


def run_suite(policy: Policy, suite: Suite) -> list[Outcome]:
    return [run_case(policy, suite.world, case) for case in suite.cases]


def format_failure(outcome: Outcome) -> str:
    case = outcome.case
    lines = [
        f"FAIL {case.where}: {case.name} (rule {case.rule})",
        f"  {case.describe()}",
        f"  expected: {case.expect}",
        f"  got:      {outcome.actual}",
    ]
    if outcome.error:
        lines.append("  error:    " + short_error(outcome.error))
    return "\n".join(lines)


def short_error(message: str) -> str:
    """The line of an engine error a reviewer needs: what went wrong, at which file and line."""
    lines = [line.strip() for line in message.strip().splitlines() if line.strip()]
    for line in lines:
        if line.startswith("Application error:"):
            return line
    return lines[0] if lines else message


# -- personas and resources, built in memory ---------------------------------------------
class World:
    """Builds viewers and unsaved model instances from persona and resource descriptions."""

    def __init__(
        self,
        personas: dict[str, tuple[Path, Any]] | None = None,
        resources: dict[str, tuple[Path, Any]] | None = None,
    ) -> None:
        self.personas = personas or {}
        self.resources = resources or {}
        ids = itertools.count(1)
        self._ids: dict[str, int] = {}
        for name, (_, spec) in self.personas.items():
            self._ids[f"persona:{name}"] = (
                int(spec["id"]) if isinstance(spec, dict) and "id" in spec else next(ids) + 1000
            )
        for name in self.resources:
            self._ids[f"resource:{name}"] = next(ids) + 1000
        self._inline = itertools.count(900_000)

    # personas
    def persona_spec(self, persona: Any) -> tuple[str, dict[str, Any]]:
        if isinstance(persona, str):
            if persona not in self.personas:
                raise CaseError(f"unknown persona {persona!r}")
            return persona, self.personas[persona][1] or {}
        if isinstance(persona, dict):
            return "", persona
        raise CaseError(f"a persona is a name or a mapping, not {persona!r}")

    def persona_id(self, persona: Any) -> int:
        name, spec = self.persona_spec(persona)
        if "id" in spec:
            return int(spec["id"])
        if name:
            return self._ids[f"persona:{name}"]
        return 999_999

    def viewer(self, persona: Any) -> Viewer:
        name, spec = self.persona_spec(persona)
        unknown = set(spec) - {
            "id",
            "email",
            "verified",
            "staff",
            "accesses",
            "__line__",
        }
        if unknown:
            raise CaseError(f"unknown persona key(s) {', '.join(sorted(unknown))}")
        verified = spec.get("verified", True)
        if not isinstance(verified, bool):
            raise CaseError(f"a persona's verified is true or false, not {verified!r}")
        persona_id = self.persona_id(persona)
        grants = []
        for number, access in enumerate(spec.get("accesses") or [], start=1):
            if not isinstance(access, dict) or "establishment" not in access:
                raise CaseError("an access names an establishment (and a role, kinds)")
            role = str(access.get("role", "STANDARD")).upper()
            if role not in ("ADMIN", "STANDARD"):
                raise CaseError(f"an access role is ADMIN or STANDARD, not {role!r}")
            grants.append(
                Grant(
                    access_id=int(access.get("id", persona_id * 100 + number)),
                    establishment_id=self.establishment_id(access["establishment"]),
                    role=role,
                    document_kinds=[str(k) for k in access.get("kinds") or []],
                    company_id=self._company_of(access["establishment"]),
                )
            )
        return Viewer(
            id=persona_id,
            email=str(spec.get("email") or f"{name or 'someone'}@cases.example").lower(),
            # A persona proved its e-mail unless it says `verified: false` (rule 4).
            email_verified=verified,
            is_staff=bool(spec.get("staff", False)),
            accesses=grants,
        )

    def _company_of(self, establishment: Any) -> int | None:
        """The company of an establishment resource (an access makes its holder a member)."""
        if isinstance(establishment, str) and establishment in self.resources:
            _, attrs = _type_and_attrs(self.resources[establishment][1])
            company = attrs.get("company_id") if isinstance(attrs, dict) else None
            return None if company is None else self._ref_id(company)
        return None

    def establishment_id(self, ref: Any) -> int:
        return self._ref_id(ref)

    def _ref_id(self, ref: Any) -> int:
        if isinstance(ref, int):
            return ref
        if isinstance(ref, str) and ref in self.resources:
            spec = self.resources[ref][1]
            _, attrs = _type_and_attrs(spec)
            return int(attrs.get("id", self._ids[f"resource:{ref}"]))
        raise CaseError(f"unknown resource {ref!r}")

    # resources
    def resource(self, ref: Any, persona: Any = None) -> Any:
        if ref == "self":  # the viewer itself (rules on `viewer: Viewer`)
            return self.viewer(persona)
        if isinstance(ref, str):
            if ref not in self.resources:
                raise CaseError(f"unknown resource {ref!r}")
            spec = self.resources[ref][1]
            return self._build(spec, self._ids[f"resource:{ref}"], persona)
        if isinstance(ref, dict):
            return self._build(ref, next(self._inline), persona)
        raise CaseError(f"a resource is a name or a mapping, not {ref!r}")

    def _build(self, spec: Any, default_id: int, persona: Any) -> Any:
        kind, attrs = _type_and_attrs(spec)
        if kind == "viewer":
            return self.viewer(attrs.get("persona", persona) if isinstance(attrs, dict) else attrs)
        if kind == "account" and isinstance(attrs, str):  # `account: claire`
            attrs = {"persona": attrs}
        model = _MODELS.get(kind)
        if model is None:
            known = ", ".join(sorted({m.__name__.lower() for m in _MODELS.values()}))
            raise CaseError(f"unknown resource type {kind!r} (known: {known}, viewer)")
        values: dict[str, Any] = {}
        meta = model._meta
        if model.__name__ == "Account" and "persona" in attrs:
            viewer = self.viewer(attrs["persona"])
            values.update(id=viewer.id, email=viewer.email, is_staff=viewer.is_staff)
        if model.__name__ == "Access" and "account" in attrs:
            values.update(self._access_defaults(attrs))
        for key, value in attrs.items():
            if key in ("__line__", "persona"):
                continue
            if key in meta.fk_fields:
                related = self._related(_related_model(meta.fields_map[key]), value)
                values[key] = related
                values[meta.fields_map[key].source_field or f"{key}_id"] = related.pk
            elif key.endswith("_id") and key[:-3] in meta.fk_fields:
                values[key] = self._ref_id(value)
            elif key in meta.fields_map:
                if key.endswith("_email") and isinstance(value, str) and value in self.personas:
                    value = self.viewer(value).email
                values[key] = value
            else:
                raise CaseError(f"{model.__name__} has no field {key!r}")
        for name in meta.fk_fields:  # an unset relation is empty, as in a fresh row
            values.setdefault(f"{name}_id", None)
        values.setdefault("id", default_id)
        return model.construct(_saved_in_db=True, **values)

    def _access_defaults(self, attrs: dict[str, Any]) -> dict[str, Any]:
        """An access of a persona: its id, role and kinds come from that persona's access."""
        account = attrs["account"]
        if not (isinstance(account, str) and account in self.personas):
            return {}
        viewer = self.viewer(account)
        wanted = self.establishment_id(attrs["establishment"]) if "establishment" in attrs else None
        for grant in viewer.accesses:
            if wanted is None or grant.establishment_id == wanted:
                return {
                    "id": grant.access_id,
                    "role": grant.role,
                    "document_kinds": list(grant.document_kinds),
                    "establishment_id": grant.establishment_id,
                }
        return {}

    def _related(self, model: type[Model], value: Any) -> Model:
        if model.__name__ == "Account":
            if isinstance(value, str) and value in self.personas:
                viewer = self.viewer(value)
                return model.construct(
                    _saved_in_db=True, id=viewer.id, email=viewer.email, is_staff=viewer.is_staff
                )
            if isinstance(value, int):
                return model.construct(_saved_in_db=True, id=value)
        if isinstance(value, int):
            return model.construct(_saved_in_db=True, id=value)
        built = self.resource(value)
        if not isinstance(built, model):
            raise CaseError(f"{value!r} is not a {model.__name__.lower()}")
        return built


def _related_model(fk: Any) -> type[Model]:
    """The model a foreign key points to, without an initialised Tortoise."""
    name = str(fk.model_name).rpartition(".")[2]
    for cls in RESOURCE_FIELDS:
        if cls.__name__ == name:
            return cls
    raise CaseError(f"cases cannot describe a {name} (not a policy resource)")


def _type_and_attrs(spec: Any) -> tuple[str, Any]:
    if not isinstance(spec, dict):
        raise CaseError(f"a resource is written `type: {{attributes}}`, not {spec!r}")
    keys = [k for k in spec if k != "__line__"]
    if len(keys) != 1:
        raise CaseError(f"a resource has exactly one type, got {', '.join(keys) or 'none'}")
    kind = keys[0]
    attrs = spec[kind]
    if attrs is None:
        attrs = {}
    return str(kind).lower(), attrs
