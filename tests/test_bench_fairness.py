"""The benchmark's "without authorization" side is fair (issue 20): the hand-written rules of
`bench/fair.py` give the same rows, document kinds and documents as the policy for each
persona of the bench's data set (a small copy of it), so that the authorization overhead
compares the same work, and the peers of `bench/peers/` serve the same answer as Espace."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import orjson
import pytest

from bench import data, fair, queries
from services.history import MAX_PAGE_SIZE
from services.login_sessions import hash_token

pytestmark = pytest.mark.skipif(
    fair.policy_fingerprint() != fair.WRITTEN_FOR_POLICY,
    reason="the policy in force is not the one bench/fair.py copies (a rule changed): "
    "`python -m bench` reports whether the copy still answers the same (case 0); update "
    "bench/fair.py and its WRITTEN_FOR_POLICY",
)

PERSONAS = ("admin", "standard")
SIZES = [n for n in (10, 50, 100) if n <= MAX_PAGE_SIZE]


@pytest.fixture
async def dataset(db: str) -> data.DataSet:
    await data.load(data.TINY)
    return await data.open_sessions(await data.describe(data.TINY))


async def _page(
    client: httpx.AsyncClient, ds: data.DataSet, persona: str, site: int | None, first: int
) -> Any:
    response = await client.post(
        "/graphql",
        json=queries.page_body(site, first),
        headers={"Authorization": f"Bearer {ds.token(persona)}"},
    )
    assert response.status_code == 200, response.text
    return queries.seen(response.json())


async def _rights(ds: data.DataSet, persona: str) -> fair.Rights:
    rights = await fair.rights_for_token(hash_token(ds.token(persona)), datetime.now(UTC))
    assert rights is not None
    return rights


@pytest.mark.parametrize("persona", PERSONAS)
async def test_the_hand_written_rules_answer_what_the_policy_answers(
    client: httpx.AsyncClient, dataset: data.DataSet, persona: str
) -> None:
    rights = await _rights(dataset, persona)
    sites = [dataset.big_id, dataset.medium_id, dataset.small_id, None]
    for site in sites:
        for first in SIZES:
            with_policy = await _page(client, dataset, persona, site, first)
            with fair.without_policy():
                hand_written_in_graphql = await _page(client, dataset, persona, site, first)
            with fair.without_policy(orm=True):
                through_the_orm = await _page(client, dataset, persona, site, first)
            alone = queries.seen(orjson.loads(await fair.page_json(rights, site, first)))
            assert with_policy == hand_written_in_graphql == through_the_orm == alone, (
                persona,
                site,
                first,
            )
            assert with_policy[1], "every page of the bench shows rows"


async def test_the_standard_persona_sees_its_own_orders_with_every_kind(
    client: httpx.AsyncClient, dataset: data.DataSet
) -> None:
    """The registrant branch of the rules is present in the data: on the big establishment,
    Samuel's own orders show every kind, the others the two kinds of his access."""
    _, rows = await _page(client, dataset, "standard", dataset.big_id, SIZES[-1])
    shown = {len(kinds) for _, kinds, _ in rows}
    assert shown == {len(fair.ALL_KINDS), len(data.STANDARD_KINDS)}
    for _, kinds, documents in rows:
        assert {kind for _, kind in documents} == set(kinds)


async def test_the_check_sees_a_hand_written_rule_showing_more(
    client: httpx.AsyncClient, dataset: data.DataSet
) -> None:
    """A hand-written side that shows a standard user every kind is not taken as fair."""
    rights = await _rights(dataset, "standard")
    wider = fair.Rights(email=rights.email, sites={site: fair.ALL_KINDS for site in rights.sites})
    with_policy = await _page(client, dataset, "standard", dataset.big_id, 50)
    assert queries.seen(orjson.loads(await fair.page_json(wider, dataset.big_id, 50))) != (
        with_policy
    )
    unverified = fair.rights(rights.email or "", False, False, [])
    assert queries.seen(orjson.loads(await fair.page_json(unverified, None, 50))) == (0, ())


async def test_the_peers_serve_the_same_page_as_espace(
    client: httpx.AsyncClient, dataset: data.DataSet
) -> None:
    """The plain Starlette endpoint and the stock Strawberry peer, over ASGI, answer what
    Espace answers to the same signed-in persona."""
    from bench.peers import plain, stock_strawberry

    for persona in PERSONAS:
        expected = await _page(client, dataset, persona, dataset.big_id, 50)
        headers = {"Authorization": f"Bearer {dataset.token(persona)}"}
        for app, request in (
            (plain.build(), ("GET", f"/page?site={dataset.big_id}&first=50", None)),
            (
                stock_strawberry.build(),
                ("POST", "/graphql", queries.page_body(dataset.big_id, 50)),
            ),
        ):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://peer") as peer:
                method, path, body = request
                response = await peer.request(method, path, json=body, headers=headers)
                assert response.status_code == 200, response.text
                assert queries.seen(response.json()) == expected, (persona, path)
