"""Each piece of `performance/` can be switched off by a setting (performance/README.md,
"How to switch each piece off"), with no code edited: the served schema, its extensions and
the database engine follow the settings, and the answers stay the same."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from starlette.routing import Route

from models.database import tortoise_config
from models.enums import AccessRole
from performance.executor import EspaceExecutor
from performance.operation_cache import ParsedOnce, ValidatedOnce
from policies.engine import Policy
from server import EspaceGraphQL, create_app
from settings import Settings, get_settings
from tests import factories
from tests.test_query_counts import QUERY, _history


def _graphql(settings: Settings, policy: Policy) -> EspaceGraphQL:
    app = create_app(settings, policy, manage_database=False)
    route = next(r for r in app.routes if isinstance(r, Route) and r.path == "/graphql")
    assert isinstance(route.endpoint, EspaceGraphQL)
    return route.endpoint


def _switched(**values: Any) -> Settings:
    return get_settings().model_copy(update=values)


def test_the_executor_and_the_operation_caches_are_on_by_default(policy: Policy) -> None:
    schema = _graphql(get_settings(), policy).schema
    assert schema.execution_context_class is EspaceExecutor
    extensions = list(schema.extensions)
    assert ParsedOnce in extensions and ValidatedOnce in extensions


def test_standard_execution_serves_with_strawberry_s_own_executor(policy: Policy) -> None:
    schema = _graphql(_switched(espace_standard_execution=True), policy).schema
    assert schema.execution_context_class is not EspaceExecutor
    assert not issubclass(schema.execution_context_class or object, EspaceExecutor)


def test_operation_caches_off_leaves_both_caches_out(policy: Policy) -> None:
    extensions = list(_graphql(_switched(espace_operation_caches=False), policy).schema.extensions)
    assert ParsedOnce not in extensions and ValidatedOnce not in extensions


@pytest.mark.parametrize("readers", [True, False])
def test_sqlite_readers_follow_their_setting(
    monkeypatch: pytest.MonkeyPatch, readers: bool
) -> None:
    monkeypatch.setenv("ESPACE_SQLITE_READERS", "1" if readers else "0")
    get_settings.cache_clear()
    try:
        connection = tortoise_config("sqlite:///tmp/espace-switch.sqlite3")["connections"][
            "default"
        ]
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
    engine = connection.get("engine") if isinstance(connection, dict) else None
    assert (engine == "performance.sqlite_readers") is readers


async def test_a_page_is_the_same_with_every_piece_switched_off(policy: Policy) -> None:
    """The same request through the app as configured and with everything off."""
    import httpx

    site = await factories.establishment(name="Acme Brest")
    claire = await factories.account("claire@acme.example")
    await factories.access(claire, site, AccessRole.ADMIN)
    await _history(site, 12)
    token = await factories.token_for(claire)
    bodies = []
    for settings in (
        get_settings(),
        _switched(espace_standard_execution=True, espace_operation_caches=False),
    ):
        app = create_app(settings, policy, manage_database=False)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            response = await client.post(
                "/graphql",
                json={"query": QUERY, "variables": {"first": 12}},
                headers={"Authorization": f"Bearer {token}"},
            )
        assert response.status_code == 200
        bodies.append(orjson.loads(response.content))
    assert bodies[0] == bodies[1]
    assert len(bodies[0]["data"]["enrollments"]["edges"]) == 12
