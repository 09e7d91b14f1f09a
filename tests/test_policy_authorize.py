"""`Policy.authorize` / `authorize_field`: the one call every use case makes, on the real
policy files. A refusal is NOT_FOUND when the viewer may not even read the resource (its
existence is not revealed), FORBIDDEN otherwise, as Oso's own `authorize()`."""

from __future__ import annotations

import pytest

from models.enums import AccessRole
from policies.engine import Policy
from services.errors import Forbidden, NotFound
from services.login_sessions import viewer_for_account
from tests import factories


async def _world() -> dict:
    site = await factories.establishment()
    admin = await factories.account()
    member = await factories.account()
    outsider = await factories.account()
    await factories.access(admin, site, AccessRole.ADMIN)
    await factories.access(member, site, AccessRole.STANDARD)
    return {
        "site": site,
        "admin": await viewer_for_account(admin),
        "member": await viewer_for_account(member),
        "outsider": await viewer_for_account(outsider),
        "member_account": member,
    }


async def test_a_resource_the_viewer_cannot_read_is_not_found(policy: Policy) -> None:
    world = await _world()
    assert not policy.is_allowed(world["outsider"], "read", world["site"])
    with pytest.raises(NotFound) as caught:
        policy.authorize(
            world["outsider"], "read_audit_log", world["site"], what="Establishment", message="no"
        )
    assert caught.value.message == "Establishment not found."
    assert caught.value.code == "NOT_FOUND"


async def test_readable_but_denied_is_forbidden_with_the_message(policy: Policy) -> None:
    world = await _world()
    assert policy.is_allowed(world["member"], "read", world["site"])
    assert not policy.is_allowed(world["member"], "read_audit_log", world["site"])
    with pytest.raises(Forbidden) as caught:
        policy.authorize(
            world["member"],
            "read_audit_log",
            world["site"],
            what="Establishment",
            message="Only admins read the audit log.",
        )
    assert caught.value.message == "Only admins read the audit log."
    assert caught.value.code == "FORBIDDEN"


async def test_allowed_returns_none(policy: Policy) -> None:
    world = await _world()
    assert policy.authorize(world["admin"], "read_audit_log", world["site"]) is None
    assert policy.authorize(world["member"], "read", world["site"]) is None


async def test_anonymous_viewer_is_not_found(policy: Policy) -> None:
    world = await _world()
    with pytest.raises(NotFound):
        policy.authorize(None, "read_audit_log", world["site"], what="Establishment")
    with pytest.raises(NotFound):
        policy.authorize(None, "read", world["site"])


async def test_denied_read_itself_is_not_found(policy: Policy) -> None:
    world = await _world()
    with pytest.raises(NotFound):
        policy.authorize(world["outsider"], "read", world["site"], what="Establishment")


async def test_without_read_check_a_refusal_is_forbidden(policy: Policy) -> None:
    """`read_action=None` (Oso's check_read=False): the caller already revealed the resource."""
    world = await _world()
    with pytest.raises(Forbidden) as caught:
        policy.authorize(
            world["outsider"], "read_audit_log", world["site"], read_action=None, message="no"
        )
    assert caught.value.message == "no"


async def test_authorize_field_forbids_a_hidden_field(policy: Policy) -> None:
    world = await _world()
    member = world["member_account"]
    assert policy.authorize_field(world["member"], "read", member, "phone") is None
    with pytest.raises(Forbidden) as caught:
        policy.authorize_field(world["outsider"], "read", member, "phone", message="hidden")
    assert caught.value.message == "hidden"
    with pytest.raises(Forbidden):
        policy.authorize_field(None, "read", member, "phone")
