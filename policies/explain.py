"""`espace policy explain`: one decision and the rules that produced it, in a reviewer's words.

The decision and the rules come from the engine itself (see policies/trace.py): for an
allowed action, the rules of each way the engine found to allow it, with the rules they
called; for a denied one, every rule the engine tried, none of which matched. Each rule is
shown with its file and line, the comment above it and its text.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from typing import Any

from tortoise.models import Model

from policies.engine import RESOURCE_FIELDS, Policy, Viewer
from policies.sources import Location, PolicySource, Rule, read_sources
from policies.trace import Step, Traced, run_traced


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


def parse_target(target: str) -> tuple[type[Model], int]:
    type_name, sep, raw_id = target.partition(":")
    if not sep or not raw_id.strip().isdigit():
        raise ExplainError(f"--on takes TYPE:ID (for example Enrollment:12), not {target!r}")
    return resource_model(type_name.strip()), int(raw_id)


async def load_question(email: str, target: str) -> tuple[Viewer, Any]:
    """The viewer (account and accesses, as a request would see them) and the resource, with
    the relations the rules follow already fetched."""
    from models.accounts import Account
    from services.emails import normalize_email
    from services.login_sessions import viewer_for_account

    model, record_id = parse_target(target)
    account = await Account.get_or_none(email=normalize_email(email))
    if account is None:
        raise ExplainError(f"no account with the e-mail {email}")
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
    policy: Policy, viewer: Viewer, action: str, resource: Any, field: str | None = None
) -> Explanation:
    """Ask the engine with its trace on, and write what it did for a reviewer."""
    if field is None:
        traced = run_traced(policy.oso, "allow", viewer, action, resource)
    else:
        traced = run_traced(policy.oso, "allow_field", viewer, action, resource, field)
    source = read_sources(_files_of(traced, policy))
    return Explanation(traced.allowed, render(traced, source, viewer, action, resource, field))


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
        lines.append(
            f"  {grant.role} access {grant.access_id} to establishment {grant.establishment_id}"
            f"{kinds}"
        )
    return lines


def describe_resource(resource: Any) -> str:
    if isinstance(resource, Viewer):
        return f"Viewer {resource.email}"
    fields = RESOURCE_FIELDS.get(type(resource), {})
    shown = []
    for name, spec in fields.items():
        if name == "id":
            continue
        if isinstance(spec, type):
            shown.append(f"{name}={getattr(resource, name, None)!r}")
        else:
            related = getattr(resource, f"_{name}", None)
            if isinstance(related, Model):
                shown.append(f"{name}=({describe_resource(related)})")
    return f"{type(resource).__name__} {resource.pk}: " + ", ".join(shown)


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
    if rule is None:
        return [f"{pad}{prefix}{location or '(unknown place)'}: {text}"]
    lines = [f"{pad}{prefix}{location.file.name} line {location.line}:"]
    if rule.comment:
        wrapped = textwrap.wrap(rule.comment, width=max(40, 96 - indent))
        lines += [f"{pad}  # {line}" for line in wrapped]
    lines += [f"{pad}  {line}" for line in textwrap.dedent(rule.source).splitlines()]
    return lines
