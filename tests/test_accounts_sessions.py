"""Login sessions: bearer tokens stored hashed, with a lifetime and an idle timeout."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from models.accounts import LoginSession
from services.login_sessions import hash_token
from settings import get_settings
from tests import factories
from tests.graphql import gql

ME = "{ me { email } }"


async def test_only_the_hash_of_a_token_is_stored(client):
    claire = await factories.account("claire@acme.example")
    token = await factories.token_for(claire)
    session = await LoginSession.get(account_id=claire.id)
    assert session.token_hash == hash_token(token)
    assert token not in session.token_hash


async def test_a_session_past_its_lifetime_is_ended(client):
    claire = await factories.account("claire@acme.example")
    token = await factories.token_for(claire)
    session = await LoginSession.get(account_id=claire.id)
    lifetime = session.expires_at - session.created_at
    assert lifetime <= timedelta(hours=get_settings().session_lifetime_hours)
    await LoginSession.filter(id=session.id).update(
        expires_at=datetime.now(UTC) - timedelta(seconds=1)
    )
    assert (await gql(client, ME, token=token)).ok()["me"] is None
    assert (await LoginSession.get(id=session.id)).ended_at is not None


async def test_an_idle_session_is_ended_and_an_active_one_is_kept_alive(client):
    idle_limit = timedelta(minutes=get_settings().session_idle_minutes)
    claire = await factories.account("claire@acme.example")
    bruno = await factories.account("bruno@boreal.example")
    idle = await factories.token_for(claire)
    active = await factories.token_for(bruno)
    await LoginSession.filter(account_id=claire.id).update(
        last_seen_at=datetime.now(UTC) - idle_limit - timedelta(seconds=1)
    )
    almost_idle = datetime.now(UTC) - idle_limit + timedelta(minutes=5)
    await LoginSession.filter(account_id=bruno.id).update(last_seen_at=almost_idle)

    assert (await gql(client, ME, token=idle)).ok()["me"] is None
    assert (await gql(client, ME, token=active)).ok()["me"]["email"] == bruno.email
    touched = await LoginSession.get(account_id=bruno.id)
    assert touched.last_seen_at > almost_idle  # the request reset the idle timer
    assert touched.ended_at is None


async def test_an_ended_session_never_comes_back(client):
    claire = await factories.account("claire@acme.example")
    token = await factories.token_for(claire)
    assert (await gql(client, "mutation { logOut }", token=token)).ok() == {"logOut": True}
    await LoginSession.filter(account_id=claire.id).update(
        last_seen_at=datetime.now(UTC), expires_at=datetime.now(UTC) + timedelta(days=1)
    )
    assert (await gql(client, ME, token=token)).ok()["me"] is None
