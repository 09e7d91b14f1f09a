"""`espace policy explain`: one decision and the rules that produced it, in a reviewer's words.

The decision and the rules come from the engine itself (see policies/review/trace.py): for an
allowed action, the rules of each way the engine found to allow it, with the rules they
called; for a denied one, every rule the engine tried, none of which matched. Each rule is
shown with its file and line, the comment above it and its text.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from typing import Any

from tortoise.models import Model

from policies.engine import RESOURCE_FIELDS, Grant, Policy, Viewer
from policies.engine.actions import ACTIONS, FIELDS
from policies.review.cases import unknown_word
from policies.review.denial import Failure, failing_condition
from policies.review.sources import Location, PolicySource, Rule, read_sources
from policies.review.trace import Step, Traced, run_traced


class ExplainError(Exception):
    """The question cannot be asked (unknown account, type or record)."""


@dataclass
class Explanation:
    allowed: bool
    text: str


def resource_model(type_name: str) -> type[Model]:
    """The model called `type_name` (case-insensitive: enrollment, Document, audit_entry)."""
    wanted = type_name.replace("_", "").lower()
    for cls in RESOURCE_FIELDS:
        if cls.__name__.lower() == wanted:
            return cls
    known = ", ".join(cls.__name__ for cls in RESOURCE_FIELDS)
    raise ExplainError(f"unknown resource type {type_name!r} (known: {known})")


def check_question(rules: list[Rule], action: str, field: str | None) -> None:
    """Refuse an action or field that neither the application nor any rule uses."""
    actions = ACTIONS | {rule.action for rule in rules if rule.action}
    if action not in actions:
        raise ExplainError(unknown_word("action", action, actions))
    fields = FIELDS | {r.field.constant for r in rules if r.field is not None and r.field.constant}
    if field is not None and field not in fields:
        raise ExplainError(unknown_word("field", field, fields))


def parse_target(target: str) -> tuple[type[Model], int]:
    type_name, sep, raw_id = target.partition(":")
    if not sep or not raw_id.strip().isdigit():
        raise ExplainError(f"--on takes TYPE:ID (for example Enrollment:12), not {target!r}")
    return resource_model(type_name.strip()), int(raw_id)


async def establishment_names(viewer: Viewer, resource: Any) -> dict[int, str]:
    """The names of the establishments an explanation mentions (the viewer's, the resource's)."""
    from models.companies import Establishment

    ids = {grant.establishment_id for grant in viewer.accesses}
    for candidate in (resource, getattr(resource, "_enrollment", None)):
        establishment_id = getattr(candidate, "establishment_id", None)
        if isinstance(establishment_id, int):
            ids.add(establishment_id)
        if isinstance(candidate, Establishment):
            ids.add(candidate.id)
    rows = await Establishment.filter(id__in=sorted(ids)).values("id", "name")
    return {row["id"]: row["name"] for row in rows}


async def load_question(email: str, target: str) -> tuple[Viewer, Any]:
    """The viewer (account and accesses, as a request would see them) and the resource, with
    the relations the rules follow already fetched."""
    from models.accounts import Account
    from services.emails import normalize_email
    from services.login_sessions import viewer_for_account

    model, record_id = parse_target(target)
    account = await Account.get_or_none(email=normalize_email(email))
    if account is None:
        seeded = await Account.exists()
        raise ExplainError(
            f"no account with the e-mail {email}"
            + ("" if seeded else ": the database has no account at all, run `espace seed-demo`")
        )
    resource = await model.get_or_none(id=record_id)
    if resource is None:
        raise ExplainError(f"no {model.__name__} with id {record_id}")
    relations = [
        name for name, spec in RESOURCE_FIELDS[model].items() if not isinstance(spec, type)
    ]
    if relations:
        await resource.fetch_related(*relations)
    return await viewer_for_account(account), resource


def explain(
    policy: Policy,
    viewer: Viewer,
    action: str,
    resource: Any,
    field: str | None = None,
    names: dict[int, str] | None = None,
) -> Explanation:
    """Ask the engine with its trace on, and write what it did for a reviewer. `names` are
    establishment names by id, to say "Acme Paris" rather than "establishment 3"."""
    global _names
    _names = names or {}
    if field is None:
        traced = run_traced(policy.oso, "allow", viewer, action, resource)
    else:
        traced = run_traced(policy.oso, "allow_field", viewer, action, resource, field)
    source = read_sources(_files_of(traced, policy))
    text = render(traced, source, viewer, action, resource, field)
    if not traced.allowed and not traced.error:
        args = [viewer, action, resource, *([field] if field is not None else [])]
        text += _failures(policy, traced, source, args)
    return Explanation(traced.allowed, text)


_names: dict[int, str] = {}


def _failures(policy: Policy, traced: Traced, source: PolicySource, args: list[Any]) -> str:
    """For each rule tried for the question, the condition that failed, with its values."""
    lines: list[str] = []
    for attempt in traced.attempts:
        rule = source.at(attempt.location) if attempt.depth == 0 else None
        if rule is None:
            continue
        failure = failing_condition(policy.directory, source, rule, args, describe_value)
        if failure is None:
            continue
        if not lines:
            lines += ["", "Why each rule did not allow it (the first condition that failed):"]
        lines += _failure_lines(failure, 2)
    return "\n".join(lines) + ("\n" if lines else "")


def _failure_lines(failure: Failure, indent: int) -> list[str]:
    pad = " " * indent
    where = f"{failure.rule.location.file.name} line {failure.rule.location.line}"
    lines = [f"{pad}{where}: `{failure.condition}` is false"]
    lines += [f"{pad}    {value}" for value in failure.values]
    for inner in failure.inner:
        lines += _failure_lines(inner, indent + 4)
    return lines


def describe_value(name: str, value: Any) -> str:
    """A value as people know it: an establishment id with its name, a list of kinds."""
    if isinstance(value, Grant):
        place = _names.get(value.establishment_id, f"establishment {value.establishment_id}")
        return f"{value.role} access to {place}"
    is_site = name.endswith(("establishment_id", "establishment.id"))
    if is_site and isinstance(value, int) and value in _names:
        return f"{value} ({_names[value]})"
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "nil"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, list | tuple):
        return "[" + ", ".join(str(v) for v in value) + "]"
    return str(value)


def _files_of(traced: Traced, policy: Policy) -> list[Any]:
    from policies.engine import policy_files

    files = set(policy_files(policy.directory))
    files |= {attempt.location.file for attempt in traced.attempts}
    return sorted(files)


def describe_viewer(viewer: Viewer) -> list[str]:
    lines = [f"{viewer.email} (account {viewer.id}{', staff' if viewer.is_staff else ''})"]
    if not viewer.accesses:
        lines.append("  no access to any establishment")
    for grant in viewer.accesses:
        kinds = f", sees {', '.join(grant.document_kinds)}" if grant.role == "STANDARD" else ""
        place = _names.get(grant.establishment_id, f"establishment {grant.establishment_id}")
        lines.append(f"  {grant.role} access {grant.access_id} to {place}{kinds}")
    return lines


def describe_resource(resource: Any) -> str:
    if isinstance(resource, Viewer):
        return f"Viewer {resource.email}"
    fields = RESOURCE_FIELDS.get(type(resource), {})
    known = _known_as(resource)
    shown = [known] if known else []
    for name, spec in fields.items():
        if name == "id":
            continue
        if isinstance(spec, type):
            value = getattr(resource, name, None)
            place = (
                _names.get(value)
                if name.endswith("establishment_id") and isinstance(value, int)
                else None
            )
            shown.append(f"{name}={value!r}" + (f" ({place})" if place else ""))
        else:
            related = getattr(resource, f"_{name}", None)
            if isinstance(related, Model):
                shown.append(f"{name}=({describe_resource(related)})")
    return f"{type(resource).__name__} {resource.pk}: " + ", ".join(shown)


def _known_as(resource: Any) -> str:
    """What people call the record: an order's reference, a site's name, a person's e-mail."""
    for attribute in ("reference", "name", "email", "number"):
        value = getattr(resource, attribute, None)
        if isinstance(value, str) and value:
            return value
    return ""


def render(
    traced: Traced,
    source: PolicySource,
    viewer: Viewer,
    action: str,
    resource: Any,
    field: str | None,
) -> str:
    question = f"{action} the {field!r} of" if field else action
    subject = describe_resource(resource).split(":")[0]
    verdict = "ALLOWED" if traced.allowed else "DENIED"
    can = "may" if traced.allowed else "may not"
    lines = [f"{verdict}: {viewer.email} {can} {question} {subject}.", ""]
    lines.append("Who asks:")
    lines += ["  " + line for line in describe_viewer(viewer)]
    lines.append("About:")
    lines.append("  " + describe_resource(resource))
    lines.append("")
    if traced.error:
        lines.append("The engine stopped with an error:")
        lines += ["  " + line for line in traced.error.strip().splitlines()]
        return "\n".join(lines)
    if traced.allowed:
        ways = _distinct(traced.derivations)
        intro = "Allowed by this rule" if len(ways) == 1 else f"Allowed in {len(ways)} ways"
        lines.append(f"{intro} (from the engine's trace):")
        for number, step in enumerate(ways, start=1):
            if len(ways) > 1:
                lines.append(f"  way {number}:")
            lines += _step_lines(step, source, 2 if len(ways) == 1 else 4)
    else:
        top = [a for a in traced.attempts if a.depth == 0]
        if not top:
            rule = "allow_field" if field else "allow"
            lines.append(
                f"No rule was tried: no {rule} rule of the policy is written for "
                f"{question!r} on a {subject.split()[0]}."
            )
        else:
            lines.append("No rule allows it. The engine tried these rules, and none matched:")
            for attempt in traced.attempts:
                indent = 2 + 4 * attempt.depth
                prefix = "" if attempt.depth == 0 else "which called "
                lines += _rule_lines(attempt.location, source, indent, prefix, attempt.text)
    return "\n".join(lines).rstrip() + "\n"


def _distinct(steps: list[Step]) -> list[Step]:
    seen: set[tuple[Any, ...]] = set()
    result = []
    for step in steps:
        key = _signature(step)
        if key not in seen:
            seen.add(key)
            result.append(step)
    return result


def _signature(step: Step) -> tuple[Any, ...]:
    return (step.location, tuple(_signature(child) for child in step.children))


def _step_lines(step: Step, source: PolicySource, indent: int, prefix: str = "") -> list[str]:
    lines = _rule_lines(step.location, source, indent, prefix, step.text)
    for child in step.children:
        lines += _step_lines(child, source, indent + 4, "using ")
    return lines


def _rule_lines(
    location: Location | None, source: PolicySource, indent: int, prefix: str, text: str
) -> list[str]:
    pad = " " * indent
    rule: Rule | None = source.at(location) if location else None
    if rule is None or location is None:
        return [f"{pad}{prefix}{location or '(unknown place)'}: {text}"]
    lines = [f"{pad}{prefix}{location.file.name} line {location.line}:"]
    if rule.comment:
        wrapped = textwrap.wrap(rule.comment, width=max(40, 96 - indent))
        lines += [f"{pad}  # {line}" for line in wrapped]
    lines += [f"{pad}  {line}" for line in textwrap.dedent(rule.source).splitlines()]
    return lines
