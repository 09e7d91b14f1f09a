"""The policy reviewers' tools for the front end's reviewer page (development only, served
by `web/policy_review.py` when ENVIRONMENT=dev): the decision matrix and one decision
explained, exactly as `espace policy matrix` and `espace policy explain` write them."""

from __future__ import annotations

from dataclasses import dataclass

from policies.engine import Policy, policy_files
from policies.review.explain import (
    ExplainError,
    check_question,
    establishment_names,
    explain,
    load_question,
)
from policies.review.matrix import MATRIX_FILE
from policies.review.sources import read_sources

__all__ = ["ExplainError", "Explained", "explain_decision", "matrix_markdown"]


@dataclass(frozen=True)
class Explained:
    allowed: bool
    text: str


def matrix_markdown() -> str:
    """The committed decision matrix (`policies/MATRIX.md`, which a test keeps current)."""
    return MATRIX_FILE.read_text(encoding="utf-8")


async def explain_decision(
    policy: Policy, email: str, action: str, target: str, field: str | None = None
) -> Explained:
    """Who (`email`), `action`, object (`TYPE:ID`) -> the rules that decided, or why none
    did. Raises ExplainError for a question that cannot be asked (unknown account, word,
    type or record)."""
    check_question(read_sources(policy_files(policy.directory)).rules, action, field)
    viewer, resource = await load_question(email, target)
    names = await establishment_names(viewer, resource)
    explanation = explain(policy, viewer, action, resource, field, names)
    return Explained(explanation.allowed, explanation.text)
