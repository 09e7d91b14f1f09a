"""The decision matrix: what each kind of person may do, on every resource, for every action.

`render_matrix(directory)` asks the real engine, loaded with the `.polar` files of
`directory`, every question the rules can answer (the actions and fields named in rule heads)
for five people in a small world, and writes the answers as Markdown tables. The committed
`policies/MATRIX.md` is that output; a test fails when it differs, so each policy change shows
its effect as a diff in review. Regenerate it with `espace policy matrix`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from models.enums import DocumentKind
from policies.cases import World
from policies.engine import POLICY_DIR, Policy, policy_files
from policies.sources import Rule, read_sources

MATRIX_FILE = POLICY_DIR / "MATRIX.md"
REGENERATE = "espace policy matrix"
ALLOW, DENY, NOT_APPLICABLE, ERROR = "allow", "deny", "n/a", "error"
STANDARD_KINDS = [DocumentKind.INVOICE_COPY.value, DocumentKind.CERTIFICATE_OF_ATTENDANCE.value]

# Rows: who asks. Every persona is set up around one establishment and one online order.
ROWS: list[tuple[str, str]] = [
    ("admin", "admin of the establishment"),
    ("standard", f"standard user of the establishment, sees {', '.join(STANDARD_KINDS)}"),
    ("registrant", "registrant of the orders, no access (a stranger to the company)"),
    ("unrelated", "an account with no link to the establishment or its orders"),
    ("staff", "back office"),
]

_PERSONAS: dict[str, Any] = {
    "admin": {
        "email": "admin@matrix.example",
        "accesses": [{"establishment": "site", "role": "ADMIN"}],
    },
    "standard": {
        "email": "standard@matrix.example",
        "accesses": [{"establishment": "site", "role": "STANDARD", "kinds": STANDARD_KINDS}],
    },
    "registrant": {"email": "registrant@matrix.example"},
    "unrelated": {"email": "unrelated@matrix.example"},
    "staff": {"email": "staff@matrix.example", "staff": True},
}


def _order(channel: str, status: str) -> dict[str, Any]:
    return {
        "enrollment": {
            "establishment": "site",
            "registrant_email": "registrant",
            "channel": channel,
            "status": status,
        }
    }


_RESOURCES: dict[str, Any] = {
    "site": {"establishment": {"company_id": 1}},
    "colleague": {"account": "colleague"},
    "web-order": _order("WEB", "VALIDATED"),
    "phone-order": _order("PHONE", "VALIDATED"),
    "invoiced-order": _order("WEB", "INVOICED"),
    "standard-access": {"access": {"account": "standard", "establishment": "site"}},
    "colleague-admin-access": {
        "access": {"account": "colleague", "establishment": "site", "role": "ADMIN"}
    },
    "registrant-account": {"account": "registrant"},
    "audit-entry": {"auditentry": {"establishment": "site", "action": "access.granted"}},
    "admin-request": {"adminaccessrequest": {"account": "registrant", "establishment": "site"}},
    "company": {"company": {"id": 1}},
    "invitation": {"invitation": {"establishment": "site", "email": "invitee@matrix.example"}},
}
_PERSONAS["colleague"] = {
    "email": "colleague@matrix.example",
    "accesses": [{"establishment": "site", "role": "ADMIN"}],
}

# What each resource class is asked about: (label, resource name). "self" is the viewer
# itself, "own-access" the viewer's own access.
SUBJECTS: dict[str, list[tuple[str, str]]] = {
    "Establishment": [("the establishment", "site")],
    "Access": [
        ("the standard user's access", "standard-access"),
        ("another admin's access", "colleague-admin-access"),
        ("the viewer's own access", "own-access"),
    ],
    "Account": [("the registrant's account", "registrant-account")],
    "Enrollment": [
        ("an online order, VALIDATED", "web-order"),
        ("an order taken by phone, VALIDATED", "phone-order"),
        ("an online order, INVOICED", "invoiced-order"),
    ],
    "AuditEntry": [("an audit entry of the establishment", "audit-entry")],
    "AdminAccessRequest": [("the registrant's admin access request", "admin-request")],
    "Company": [("the company of the establishment", "company")],
    "Invitation": [("a pending invitation to the establishment", "invitation")],
    "Viewer": [("the viewer themselves", "self")],
}
ANY_SUBJECT = ("any resource (asked on the establishment)", "site")
CLASS_ORDER = ["Establishment", "Access", "Account", "Enrollment", "Document"]


@dataclass
class Table:
    title: str
    columns: list[str]
    rows: list[tuple[str, list[str]]]


def _world() -> World:
    here = Path(__file__)
    personas = {name: (here, spec) for name, spec in _PERSONAS.items()}
    resources = {name: (here, spec) for name, spec in _RESOURCES.items()}
    return World(personas, resources)


def _ordered(rules: list[Rule]) -> tuple[list[str], dict[str | None, dict[str, list[str]]]]:
    """Resource classes in a stable order, and for each its actions and field questions."""
    questions: dict[str | None, dict[str, list[str]]] = {}
    for rule in rules:
        action = rule.action
        if action is None:
            continue
        cls = rule.resource_class
        entry = questions.setdefault(cls, {})
        if rule.name == "allow":
            entry.setdefault("", [])
            if action not in entry[""]:
                entry[""].append(action)
        else:
            field = rule.field
            if field is None:
                continue
            names = [field.constant] if field.constant else [k.value for k in DocumentKind]
            target = entry.setdefault(action, [])
            target.extend(n for n in names if n not in target)
    classes = [c for c in CLASS_ORDER if c in questions]
    classes += sorted(c for c in questions if c is not None and c not in classes)
    return classes, questions


def build_tables(directory: Path = POLICY_DIR) -> list[Table]:
    """Ask the engine loaded with `directory`'s files every question of the matrix."""
    files = policy_files(directory)
    policy = Policy(directory)
    world = _world()
    classes, questions = _ordered(read_sources(files).rules)
    tables: list[Table] = []
    for cls in [*classes, None]:
        if cls not in questions:
            continue
        asked = questions[cls]
        if cls == "Document":
            subjects = [
                (f"a {kind.value} of the online order", f"document:{kind.value}")
                for kind in DocumentKind
            ]
            for action in asked.get("", []):
                tables.append(_per_kind_table(policy, world, action, subjects))
            continue
        subjects = SUBJECTS.get(cls or "", [ANY_SUBJECT]) if cls else [ANY_SUBJECT]
        for number, (label, subject) in enumerate(subjects):
            title = f"{cls}: {label}" if cls else label[0].upper() + label[1:]
            if asked.get(""):
                tables.append(_table(policy, world, title, subject, asked[""], None))
            for action, fields in asked.items():
                if action and number == 0:  # field questions: asked on the first subject
                    tables.append(
                        _table(policy, world, f"{title}, {action} field", subject, fields, action)
                    )
    return tables


def _per_kind_table(
    policy: Policy, world: World, action: str, subjects: list[tuple[str, str]]
) -> Table:
    kinds = [subject.partition(":")[2] for _, subject in subjects]
    rows = []
    for row, _ in ROWS:
        cells = [
            _ask(policy, world, row, action, {"document": {"enrollment": "web-order", "kind": k}})
            for k in kinds
        ]
        rows.append((row, cells))
    return Table(f"Document of the online order, {action} per kind", kinds, rows)


def _table(
    policy: Policy,
    world: World,
    title: str,
    subject: str,
    columns: list[str],
    field_action: str | None,
) -> Table:
    rows = []
    for row, _ in ROWS:
        cells = []
        for column in columns:
            if field_action is None:
                cells.append(_ask(policy, world, row, column, subject))
            else:
                cells.append(_ask(policy, world, row, field_action, subject, column))
        rows.append((row, cells))
    return Table(title, columns, rows)


def _ask(
    policy: Policy,
    world: World,
    row: str,
    action: str,
    subject: Any,
    field: str | None = None,
) -> str:
    try:
        viewer = world.viewer(row)
        if subject == "own-access":
            if not viewer.accesses:
                return NOT_APPLICABLE
            subject = {"access": {"account": row, "establishment": "site"}}
        resource = world.resource(subject, row)
        if field is None:
            allowed = policy.is_allowed(viewer, action, resource)
        else:
            allowed = policy.field_allowed(viewer, action, resource, field)
    except Exception:  # `espace policy check` and the cases say why; the matrix says where
        return ERROR
    return ALLOW if allowed else DENY


def render_matrix(directory: Path = POLICY_DIR) -> str:
    lines = [
        "# Policy decision matrix",
        "",
        f"Generated from `policies/*.polar` by `{REGENERATE}`: do not edit by hand. A test fails",
        "when this file differs from what the policy decides, so every policy change shows",
        "its effect here, as a diff, in review.",
        "",
        "Rows are who asks, all around one establishment and its orders:",
        "",
    ]
    lines += [f"- **{name}**: {description}" for name, description in ROWS]
    lines += [
        "",
        "Columns are the actions (and fields) the rules name. `allow` and `deny` are the",
        "engine's answers; `n/a` means the question does not apply to that person; `error`",
        "means the engine failed (run `espace policy check`).",
        "",
    ]
    for table in build_tables(directory):
        lines.append(f"## {table.title}")
        lines.append("")
        lines.append("| who | " + " | ".join(table.columns) + " |")
        lines.append("| --- |" + " --- |" * len(table.columns))
        for row, cells in table.rows:
            lines.append(f"| {row} | " + " | ".join(cells) + " |")
        lines.append("")
    return "\n".join(lines)


def write_matrix(directory: Path = POLICY_DIR, output: Path | None = None) -> Path:
    target = output or directory / "MATRIX.md"
    target.write_text(render_matrix(directory), encoding="utf-8")
    return target


def cells(markdown: str) -> dict[tuple[str, str, str], str]:
    """Every cell of a rendered matrix as {(table title, row, column): decision}."""
    result: dict[tuple[str, str, str], str] = {}
    title = ""
    columns: list[str] = []
    for line in markdown.splitlines():
        if line.startswith("## "):
            title, columns = line[3:], []
        elif line.startswith("| who |"):
            columns = [c.strip() for c in line.strip("|").split("|")][1:]
        elif line.startswith("| ") and columns and not line.startswith("| ---"):
            parts = [c.strip() for c in line.strip("|").split("|")]
            for column, value in zip(columns, parts[1:], strict=False):
                result[(title, parts[0], column)] = value
    return result
