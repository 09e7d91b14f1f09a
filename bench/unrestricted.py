"""Authorization switched off, for the benchmark only.

`UnrestrictedPolicy` is never imported by the application: the only way to use it is to pass
it to `server.create_app` from bench code, so the API cannot reach it.
"""

from __future__ import annotations

from typing import Any

from tortoise.expressions import Q
from tortoise.models import Model

from policies.engine import Policy, Viewer


class UnrestrictedPolicy(Policy):
    """Allows everything: `filter`/`field_filter` return an empty Q (no WHERE clause at all),
    `is_allowed` and `field_allowed` return True. Counts calls like the real one."""

    def is_allowed(self, viewer: Viewer | None, action: str, resource: Any) -> bool:
        self.calls += 1
        return True

    def field_allowed(self, viewer: Viewer | None, action: str, resource: Any, name: str) -> bool:
        self.calls += 1
        return True

    def filter(self, viewer: Viewer | None, action: str, model: type[Model]) -> Q:
        return Q()

    def field_filter(self, viewer: Viewer | None, action: str, model: type[Model], name: str) -> Q:
        return Q()
