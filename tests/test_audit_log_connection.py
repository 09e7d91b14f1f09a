"""The audit log read as a Relay connection (`auditLogEntries`): paging by cursor, filters
applied in SQL, the `AuditAction` enum and typed snapshots of access changes."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from models.accounts import Account
from models.audit import AuditEntry
from models.companies import Establishment
from models.enums import AccessRole, DocumentKind
from schema.audit import AuditAction
from services import audit
from tests import factories
from tests.graphql import gql

ENTRIES = """
query($site: ID!, $first: Int, $after: String, $filter: AuditLogFilter) {
  auditLogEntries(establishmentId: $site, first: $first, after: $after, filter: $filter) {
    edges { cursor node { id action actorEmail } }
    nodes { id }
    pageInfo { hasNextPage endCursor }
  }
}"""
ACCESS_CHANGES = """
query($site: ID!) {
  auditLogEntries(establishmentId: $site, filter: {actions: [ACCESS_GRANTED, ACCESS_UPDATED,
                                                            ACCESS_REVOKED]}) {
    nodes {
      action before after
      accessBefore { account role documentKinds }
      accessAfter { account role documentKinds }
    }
  }
}"""
GRANT = """
mutation($site: ID!, $email: String!) {
  grantAccess(establishmentId: $site, email: $email, role: STANDARD,
              documentKinds: [INVOICE_COPY]) { id }
}"""
UPDATE = """
mutation($id: ID!) {
  updateAccess(accessId: $id, role: ADMIN) { id }
}"""
REVOKE = "mutation($id: ID!) { revokeAccess(accessId: $id) { id } }"


@dataclass
class Site:
    paris: Establishment
    lyon: Establishment
    claire: Account
    tokens: dict[str, str]


@pytest.fixture
async def site() -> Site:
    company = await factories.company("Acme")
    paris = await factories.establishment(company, "Acme Paris")
    lyon = await factories.establishment(company, "Acme Lyon")
    claire = await factories.account("claire@acme.example")
    samuel = await factories.account("samuel@acme.example")
    remi = await factories.account("remi@acme.example")
    sophie = await factories.account("sophie@espace.example", is_staff=True)
    await factories.access(claire, paris, AccessRole.ADMIN)
    await factories.access(claire, lyon, AccessRole.ADMIN)
    await factories.access(samuel, paris, AccessRole.STANDARD, [DocumentKind.INVOICE_COPY])
    people = {"claire": claire, "samuel": samuel, "remi": remi, "sophie": sophie}
    return Site(
        paris=paris,
        lyon=lyon,
        claire=claire,
        tokens={name: await factories.token_for(p) for name, p in people.items()},
    )


async def _log(site: Site, count: int) -> list[AuditEntry]:
    """`count` entries on Paris (alternating actors and actions) and one on Lyon."""
    for number in range(count):
        await audit.record(
            "invitation.sent" if number % 2 else "session.created",
            actor_email="a@acme.example" if number % 3 else "b@acme.example",
            target_type="Test",
            target_id=number,
            establishment_id=site.paris.id,
        )
    await audit.record(
        "invitation.sent", actor_email="a@acme.example", establishment_id=site.lyon.id
    )
    rows = await AuditEntry.filter(establishment_id=site.paris.id)
    return sorted(rows, key=lambda row: (row.at, row.id), reverse=True)


async def test_pages_follow_each_other_newest_first_without_gaps(client, site):
    expected = [str(row.id) for row in await _log(site, 7)]
    seen: list[str] = []
    after = None
    pages = 0
    while True:
        page = (
            await gql(
                client,
                ENTRIES,
                {"site": site.paris.id, "first": 3, "after": after},
                token=site.tokens["claire"],
            )
        ).ok()["auditLogEntries"]
        pages += 1
        assert [e["node"]["id"] for e in page["edges"]] == [n["id"] for n in page["nodes"]]
        seen += [n["id"] for n in page["nodes"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        assert page["pageInfo"]["endCursor"] == page["edges"][-1]["cursor"]
        after = page["pageInfo"]["endCursor"]
    assert seen == expected  # Lyon's entry never shows on Paris
    assert pages == 3


async def test_filters_combine_on_action_actor_and_dates(client, site):
    rows = await _log(site, 6)
    token = site.tokens["claire"]

    async def ids(wanted: dict) -> list[int]:
        result = await gql(client, ENTRIES, {"site": site.paris.id, "filter": wanted}, token)
        return [int(n["id"]) for n in result.ok()["auditLogEntries"]["nodes"]]

    invitations = [row.id for row in rows if row.action == "invitation.sent"]
    assert await ids({"actions": ["INVITATION_SENT"]}) == invitations
    by_b = [row.id for row in rows if row.actor_email == "b@acme.example"]
    assert await ids({"actorEmail": " B@Acme.example"}) == by_b
    both = [row.id for row in rows if row.id in invitations and row.id in by_b]
    assert await ids({"actions": ["INVITATION_SENT"], "actorEmail": "b@acme.example"}) == both
    oldest = rows[-1].at
    assert await ids({"from": oldest.isoformat()}) == [row.id for row in rows]
    assert await ids({"to": oldest.isoformat()}) == []
    assert await ids({"actions": []}) == []


async def test_access_changes_carry_typed_snapshots(client, site):
    token = site.tokens["claire"]
    granted = await gql(client, GRANT, {"site": site.paris.id, "email": "remi@acme.example"}, token)
    access_id = granted.ok()["grantAccess"]["id"]
    (await gql(client, UPDATE, {"id": access_id}, token)).ok()
    (await gql(client, REVOKE, {"id": access_id}, token)).ok()
    await audit.record("invitation.sent", actor=site.claire, establishment_id=site.paris.id)

    nodes = (await gql(client, ACCESS_CHANGES, {"site": site.paris.id}, token)).ok()[
        "auditLogEntries"
    ]["nodes"]
    standard = {
        "account": "remi@acme.example",
        "role": "STANDARD",
        "documentKinds": ["INVOICE_COPY"],
    }
    admin = {"account": "remi@acme.example", "role": "ADMIN", "documentKinds": []}
    assert [(n["action"], n["accessBefore"], n["accessAfter"]) for n in nodes] == [
        ("access.revoked", admin, None),
        ("access.updated", standard, admin),
        ("access.granted", None, standard),
    ]
    assert nodes[1]["before"] == standard  # the JSON fields stay as they were


async def test_only_admins_and_staff_read_it(client, site):
    await _log(site, 2)
    variables = {"site": site.paris.id}
    for persona in ("claire", "sophie"):
        result = await gql(client, ENTRIES, variables, site.tokens[persona])
        assert len(result.ok()["auditLogEntries"]["nodes"]) == 2
    standard = await gql(client, ENTRIES, variables, site.tokens["samuel"])
    assert standard.code_at("auditLogEntries") == "FORBIDDEN"
    stranger = await gql(client, ENTRIES, variables, site.tokens["remi"])
    assert stranger.code_at("auditLogEntries") == "NOT_FOUND"
    anonymous = await gql(client, ENTRIES, variables)
    assert anonymous.codes == ["UNAUTHENTICATED"]


@pytest.mark.parametrize("cursor", ["nope", "WzEsMl0=", "WyIyMDI2LTAxLTAxIiwgMF0="])
async def test_a_forged_cursor_is_bad_input(client, site, cursor):
    result = await gql(
        client, ENTRIES, {"site": site.paris.id, "after": cursor}, site.tokens["claire"]
    )
    error = result.error_at("auditLogEntries")
    assert error is not None
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["reason"] == "INVALID_CURSOR"


async def test_page_size_is_bounded(client, site):
    for first in (0, 501):
        result = await gql(
            client, ENTRIES, {"site": site.paris.id, "first": first}, site.tokens["claire"]
        )
        assert result.code_at("auditLogEntries") == "BAD_USER_INPUT"


def test_every_action_the_code_records_is_in_the_enum():
    """Action strings written in the code (literals and the `action=` of helpers) must all be
    values of `AuditAction`, so that a filter can name each of them."""
    root = Path(__file__).resolve().parent.parent
    pattern = re.compile(
        r"\"((?:account|access|admin_request|invitation|enrollment|document|course|session"
        r"|catalog|framework_agreement)\.[a-z_]+)\""
    )
    recorded: set[str] = set()
    for folder in ("services", "infra", "commands"):
        for path in (root / folder).rglob("*.py"):
            recorded |= set(pattern.findall(path.read_text()))
    recorded -= {"document.pdf"}  # a fallback file name, not an action
    recorded |= {"admin_request.approved", "admin_request.rejected"}  # f"admin_request.{status}"
    values = {action.value for action in AuditAction}
    assert recorded <= values, sorted(recorded - values)
    assert len(values) == len(AuditAction)
