"""Every persona × every query and mutation of establishments, accesses, the audit log and
admin access requests, through GraphQL (rules 6-9).

The world: Acme Paris, administered by Claire and Bruno, where Samuel has a STANDARD access to
invoice copies and certificates and Rémi places orders without any access; Acme Lyon,
administered by Olga, that none of them may see. Ursula is an unrelated customer, Sophie is
staff. Each case checks allow/deny, NOT_FOUND vs FORBIDDEN, and that no list or nested field
shows an access or an audit entry the persona may not see.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from models.access import Access, AdminAccessRequest
from models.audit import AuditEntry
from models.companies import Establishment
from models.enums import AccessRole, DocumentKind
from services import audit
from tests import factories
from tests.graphql import GraphQLResult, gql

PERSONAS = ("claire", "bruno", "samuel", "remi", "ursula", "sophie", "anonymous")
ADMINS = ("claire", "bruno")


@dataclass
class World:
    paris: Establishment
    lyon: Establishment
    tokens: dict[str, str | None]
    access_ids: dict[str, int]  # persona -> id of their access (olga's is on Lyon)
    emails: dict[str, str]
    audit_ids: dict[str, set[int]] = field(default_factory=dict)  # establishment -> entries
    pending_request_id: int = 0

    def ids(self, *personas: str) -> set[str]:
        return {str(self.access_ids[p]) for p in personas}


async def build_world() -> World:
    company = await factories.company("Acme")
    paris = await factories.establishment(company, "Acme Paris")
    lyon = await factories.establishment(company, "Acme Lyon")
    people = {
        name: await factories.account(f"{name}@acme.example")
        for name in ("claire", "bruno", "samuel", "remi", "ursula", "olga")
    }
    people["sophie"] = await factories.account("sophie@espace.example", is_staff=True)
    accesses = {
        "claire": await factories.access(people["claire"], paris, AccessRole.ADMIN),
        "bruno": await factories.access(people["bruno"], paris, AccessRole.ADMIN),
        "samuel": await factories.access(
            people["samuel"],
            paris,
            AccessRole.STANDARD,
            [DocumentKind.INVOICE_COPY, DocumentKind.CERTIFICATE_OF_ATTENDANCE],
        ),
        "olga": await factories.access(people["olga"], lyon, AccessRole.ADMIN),
    }
    await factories.enrollment(registrant_email="remi@acme.example", site=paris)
    world = World(
        paris=paris,
        lyon=lyon,
        tokens={name: await factories.token_for(people[name]) for name in PERSONAS[:-1]},
        access_ids={name: a.id for name, a in accesses.items()},
        emails={name: p.email for name, p in people.items()},
    )
    world.tokens["anonymous"] = None
    for site in (paris, lyon):
        entry = await audit.record(
            "access.granted",
            actor_email="system",
            target_type="Access",
            establishment_id=site.id,
            after={"site": site.name},
        )
        world.audit_ids[site.name] = {entry.id}
    request = await AdminAccessRequest.create(
        account=people["remi"], establishment=paris, message="I place all our orders."
    )
    world.pending_request_id = request.id
    return world


# -- what each operation sends, and how to read its answer --------------------------------

ACCESS_FIELDS = "id role documentKinds account { email } establishment { id }"
ESTABLISHMENT_FIELDS = f"id name siret city companyName accesses {{ {ACCESS_FIELDS} }}"


@dataclass(frozen=True)
class Operation:
    name: str
    query: str
    variables: Callable[[World], dict[str, Any]]
    root: str  # the top-level field of the answer


OPERATIONS = {
    op.name: op
    for op in [
        Operation(
            "establishments",
            f"{{ establishments {{ {ESTABLISHMENT_FIELDS} }} }}",
            lambda w: {},
            "establishments",
        ),
        Operation(
            "establishment_paris",
            f"query($id: ID!) {{ establishment(id: $id) {{ {ESTABLISHMENT_FIELDS} }} }}",
            lambda w: {"id": str(w.paris.id)},
            "establishment",
        ),
        Operation(
            "establishment_lyon",
            f"query($id: ID!) {{ establishment(id: $id) {{ {ESTABLISHMENT_FIELDS} }} }}",
            lambda w: {"id": str(w.lyon.id)},
            "establishment",
        ),
        Operation(
            "audit_log_paris",
            "query($id: ID!) { auditLog(establishmentId: $id, first: 100) "
            "{ id action actorEmail before after } }",
            lambda w: {"id": str(w.paris.id)},
            "auditLog",
        ),
        Operation(
            "audit_log_lyon",
            "query($id: ID!) { auditLog(establishmentId: $id) { id action } }",
            lambda w: {"id": str(w.lyon.id)},
            "auditLog",
        ),
        Operation(
            "admin_access_requests",
            "{ adminAccessRequests(status: PENDING) { id status message account { email } "
            f"establishment {{ {ESTABLISHMENT_FIELDS} }} }} }}",
            lambda w: {},
            "adminAccessRequests",
        ),
        Operation(
            "grant_paris",
            "mutation($id: ID!) { grantAccessOrInvite(establishmentId: $id, "
            'email: "new@acme.example", role: STANDARD, documentKinds: [EVALUATION]) '
            f"{{ access {{ {ACCESS_FIELDS} }} invitation {{ email role documentKinds }} }} }}",
            lambda w: {"id": str(w.paris.id)},
            "grantAccessOrInvite",
        ),
        Operation(
            "grant_lyon",
            'mutation($id: ID!) { grantAccess(establishmentId: $id, email: "new@acme.example", '
            f"role: ADMIN) {{ {ACCESS_FIELDS} }} }}",
            lambda w: {"id": str(w.lyon.id)},
            "grantAccess",
        ),
        Operation(
            "update_samuel",
            "mutation($id: ID!) { updateAccess(accessId: $id, role: STANDARD, "
            f"documentKinds: [EVALUATION, INVOICE_COPY]) {{ {ACCESS_FIELDS} }} }}",
            lambda w: {"id": str(w.access_ids["samuel"])},
            "updateAccess",
        ),
        Operation(
            "demote_bruno",
            "mutation($id: ID!) { updateAccess(accessId: $id, role: STANDARD, "
            f"documentKinds: [EVALUATION]) {{ {ACCESS_FIELDS} }} }}",
            lambda w: {"id": str(w.access_ids["bruno"])},
            "updateAccess",
        ),
        Operation(
            "revoke_samuel",
            f"mutation($id: ID!) {{ revokeAccess(accessId: $id) {{ {ACCESS_FIELDS} }} }}",
            lambda w: {"id": str(w.access_ids["samuel"])},
            "revokeAccess",
        ),
        Operation(
            "revoke_claire",
            f"mutation($id: ID!) {{ revokeAccess(accessId: $id) {{ {ACCESS_FIELDS} }} }}",
            lambda w: {"id": str(w.access_ids["claire"])},
            "revokeAccess",
        ),
        Operation(
            "revoke_olga",
            f"mutation($id: ID!) {{ revokeAccess(accessId: $id) {{ {ACCESS_FIELDS} }} }}",
            lambda w: {"id": str(w.access_ids["olga"])},
            "revokeAccess",
        ),
        Operation(
            "request_admin_paris",
            'mutation($siret: String!) { requestAdminAccess(siret: $siret, message: "please") '
            "{ id status establishment { name accesses { id } } } }",
            lambda w: {"siret": w.paris.siret},
            "requestAdminAccess",
        ),
        Operation(
            "decide_request",
            "mutation($id: ID!) { decideAdminAccessRequest(requestId: $id, approve: true, "
            'note: "welcome") { id status account { email } } }',
            lambda w: {"id": str(w.pending_request_id)},
            "decideAdminAccessRequest",
        ),
    ]
}

# -- expected outcomes ---------------------------------------------------------------------
# A string is the error code at the operation's root; a callable checks a successful answer.

Check = Callable[[World, str, GraphQLResult], Any]


def _accesses_of(establishment: dict[str, Any]) -> set[str]:
    return {a["id"] for a in establishment["accesses"]}


def paris_with_every_access(w: World, persona: str, r: GraphQLResult) -> None:
    site = r.ok()["establishment"]
    assert site["name"] == "Acme Paris" and site["companyName"] == "Acme"
    assert _accesses_of(site) == w.ids("claire", "bruno", "samuel")


def paris_without_accesses(w: World, persona: str, r: GraphQLResult) -> None:
    assert r.data is not None
    assert r.data["establishment"]["name"] == "Acme Paris"
    assert r.data["establishment"]["accesses"] is None
    assert r.codes == ["FORBIDDEN"]
    assert r.code_at("establishment", "accesses") == "FORBIDDEN"


def lyon_for_staff(w: World, persona: str, r: GraphQLResult) -> None:
    assert _accesses_of(r.ok()["establishment"]) == w.ids("olga")


def establishments_of_admin(w: World, persona: str, r: GraphQLResult) -> None:
    sites = r.ok()["establishments"]
    assert [s["name"] for s in sites] == ["Acme Paris"]
    assert _accesses_of(sites[0]) == w.ids("claire", "bruno", "samuel")
    assert {a["establishment"]["id"] for a in sites[0]["accesses"]} == {str(w.paris.id)}


def establishments_of_standard(w: World, persona: str, r: GraphQLResult) -> None:
    assert r.data is not None
    assert [(s["name"], s["accesses"]) for s in r.data["establishments"]] == [("Acme Paris", None)]
    assert r.codes == ["FORBIDDEN"]
    assert r.code_at("establishments", 0, "accesses") == "FORBIDDEN"


def no_establishments(w: World, persona: str, r: GraphQLResult) -> None:
    assert r.ok() == {"establishments": []}


def establishments_of_staff(w: World, persona: str, r: GraphQLResult) -> None:
    sites = {s["name"]: s for s in r.ok()["establishments"]}
    assert list(sites) == ["Acme Lyon", "Acme Paris"]
    assert _accesses_of(sites["Acme Paris"]) == w.ids("claire", "bruno", "samuel")
    assert _accesses_of(sites["Acme Lyon"]) == w.ids("olga")


def paris_audit_log(w: World, persona: str, r: GraphQLResult) -> None:
    entries = r.ok()["auditLog"]
    assert {int(e["id"]) for e in entries} == w.audit_ids["Acme Paris"]
    assert entries[0]["after"] == {"site": "Acme Paris"}


def lyon_audit_log(w: World, persona: str, r: GraphQLResult) -> None:
    assert {int(e["id"]) for e in r.ok()["auditLog"]} == w.audit_ids["Acme Lyon"]


def pending_requests(w: World, persona: str, r: GraphQLResult) -> None:
    requests = r.ok()["adminAccessRequests"]
    assert [(q["id"], q["account"]["email"]) for q in requests] == [
        (str(w.pending_request_id), "remi@acme.example")
    ]
    assert _accesses_of(requests[0]["establishment"]) == w.ids("claire", "bruno", "samuel")


def granted(w: World, persona: str, r: GraphQLResult) -> None:
    """An address without a verified account gets an invitation, not the access."""
    outcome = r.ok()["grantAccessOrInvite"]
    assert outcome["access"] is None
    assert outcome["invitation"] == {
        "email": "new@acme.example",
        "role": "STANDARD",
        "documentKinds": ["EVALUATION"],
    }


def samuel_updated(w: World, persona: str, r: GraphQLResult) -> None:
    assert r.ok()["updateAccess"]["documentKinds"] == ["EVALUATION", "INVOICE_COPY"]


def bruno_demoted(w: World, persona: str, r: GraphQLResult) -> None:
    access = r.ok()["updateAccess"]
    assert (access["account"]["email"], access["role"]) == ("bruno@acme.example", "STANDARD")


def revoked(who: str) -> Check:
    def check(w: World, persona: str, r: GraphQLResult) -> None:
        assert r.ok()["revokeAccess"]["account"]["email"] == f"{who}@acme.example"

    return check


def request_filed(w: World, persona: str, r: GraphQLResult) -> None:
    assert r.data is not None and r.data["requestAdminAccess"]["status"] == "PENDING"
    site = r.data["requestAdminAccess"]["establishment"]
    # The requester learns nothing of who has an access there.
    assert site == {"name": "Acme Paris", "accesses": None}
    assert r.codes == ["FORBIDDEN"]
    assert r.code_at("requestAdminAccess", "establishment", "accesses") == "FORBIDDEN"


def request_filed_unseen(w: World, persona: str, r: GraphQLResult) -> None:
    """Named by SIRET, an establishment the requester may not read is not shown."""
    assert r.data is not None and r.data["requestAdminAccess"]["status"] == "PENDING"
    assert r.data["requestAdminAccess"]["establishment"] is None
    assert r.codes == ["FORBIDDEN"]
    assert r.code_at("requestAdminAccess", "establishment") == "FORBIDDEN"


def request_filed_by_staff(w: World, persona: str, r: GraphQLResult) -> None:
    site = r.ok()["requestAdminAccess"]["establishment"]
    assert _accesses_of({"accesses": site["accesses"]}) == w.ids("claire", "bruno", "samuel")


def request_approved(w: World, persona: str, r: GraphQLResult) -> None:
    assert r.ok()["decideAdminAccessRequest"]["status"] == "APPROVED"


def everyone(default: Any, **overrides: Any) -> dict[str, Any]:
    """Expected outcome per persona: `default`, anonymous UNAUTHENTICATED, then overrides."""
    table = {p: default for p in PERSONAS}
    table["anonymous"] = "UNAUTHENTICATED"
    table.update(overrides)
    return table


EXPECTED: dict[str, dict[str, Any]] = {
    "establishments": everyone(
        no_establishments,
        claire=establishments_of_admin,
        bruno=establishments_of_admin,
        samuel=establishments_of_standard,
        sophie=establishments_of_staff,
    ),
    "establishment_paris": everyone(
        "NOT_FOUND",
        claire=paris_with_every_access,
        bruno=paris_with_every_access,
        samuel=paris_without_accesses,
        sophie=paris_with_every_access,
    ),
    "establishment_lyon": everyone("NOT_FOUND", sophie=lyon_for_staff),
    "audit_log_paris": everyone(
        "NOT_FOUND",
        claire=paris_audit_log,
        bruno=paris_audit_log,
        samuel="FORBIDDEN",
        sophie=paris_audit_log,
    ),
    "audit_log_lyon": everyone("NOT_FOUND", sophie=lyon_audit_log),
    "admin_access_requests": everyone("FORBIDDEN", sophie=pending_requests),
    "grant_paris": everyone(
        "NOT_FOUND", claire=granted, bruno=granted, samuel="FORBIDDEN", sophie="FORBIDDEN"
    ),
    "grant_lyon": everyone("NOT_FOUND", sophie="FORBIDDEN"),
    "update_samuel": everyone(
        "NOT_FOUND",
        claire=samuel_updated,
        bruno=samuel_updated,
        samuel="FORBIDDEN",
        sophie="FORBIDDEN",
    ),
    "demote_bruno": everyone(
        "NOT_FOUND",
        claire=bruno_demoted,
        bruno="FORBIDDEN",
        samuel="NOT_FOUND",
        sophie="FORBIDDEN",
    ),
    "revoke_samuel": everyone(
        "NOT_FOUND",
        claire=revoked("samuel"),
        bruno=revoked("samuel"),
        samuel="FORBIDDEN",
        sophie="FORBIDDEN",
    ),
    "revoke_claire": everyone(
        "NOT_FOUND",
        claire="FORBIDDEN",
        bruno=revoked("claire"),
        sophie="FORBIDDEN",
    ),
    "revoke_olga": everyone("NOT_FOUND", sophie="FORBIDDEN"),
    "request_admin_paris": everyone(
        request_filed,
        claire="CONFLICT",
        bruno="CONFLICT",
        remi="CONFLICT",  # his request is already waiting for staff
        ursula=request_filed_unseen,
        sophie=request_filed_by_staff,
    ),
    "decide_request": everyone("FORBIDDEN", sophie=request_approved),
}

CASES = [(op, persona) for op in OPERATIONS for persona in PERSONAS]


def test_the_table_covers_every_operation_and_persona():
    assert set(EXPECTED) == set(OPERATIONS)
    assert all(set(row) == set(PERSONAS) for row in EXPECTED.values())


async def _state() -> tuple[list[tuple[Any, ...]], int, list[tuple[Any, ...]]]:
    accesses = await Access.all().order_by("id").values_list("id", "role", "document_kinds")
    requests = await AdminAccessRequest.all().order_by("id").values_list("id", "status")
    return accesses, await AuditEntry.all().count(), requests


@pytest.mark.parametrize(("operation", "persona"), CASES)
async def test_persona_operation(client, operation: str, persona: str) -> None:
    world = await build_world()
    op = OPERATIONS[operation]
    before = await _state()
    result = await gql(client, op.query, op.variables(world), token=world.tokens[persona])
    expected = EXPECTED[operation][persona]
    if isinstance(expected, str):
        assert result.codes == [expected], result.errors
        assert result.code_at(op.root) == expected
        assert result.data is None or result.data[op.root] is None
        # A refused operation changes nothing, not even the audit log.
        assert await _state() == before
    else:
        expected(world, persona, result)
        if op.query.startswith("mutation"):
            _, audit_count, _ = await _state()
            assert audit_count > before[1], "every change is written to the audit log"
