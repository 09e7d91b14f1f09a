"""Signed download links by persona (rules 4-7, 12): each kind of document uploaded by staff,
listed, downloaded and checked byte for byte, and refused (403) the moment the policy says no.

Acme Paris: Claire is its admin, Samuel a standard user who sees invoice copies and
certificates only, Rémi placed the order without any access, Bruno administers another
company, Sophie is staff.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest

from models.access import Access
from models.accounts import Account
from models.audit import AuditEntry
from models.enrollments import Enrollment
from models.enums import AccessRole, DocumentKind
from services import documents
from tests import factories
from tests.graphql import GraphQLResult, gql
from tests.test_documents import link_path, multipart_body, pdf_bytes, upload
from web.downloads import content_disposition

ALL_KINDS = [k.value for k in DocumentKind]
SAMUEL_KINDS = ["INVOICE_COPY", "CERTIFICATE_OF_ATTENDANCE"]

LIST = """
query($id: ID!) {
  enrollment(id: $id) {
    visibleDocumentKinds
    documents { id kind filename size checksum downloadUrl }
  }
}
"""

DOCUMENT = "query($id: ID!) { document(id: $id) { id } }"


@dataclass
class Acme:
    enrollment: Enrollment
    people: dict[str, Account]
    tokens: dict[str, str]
    files: dict[str, bytes]  # uploaded bytes by kind
    ids: dict[str, int]  # document id by kind
    claire_access: Access
    samuel_access: Access


@pytest.fixture
async def acme(client: httpx.AsyncClient) -> Acme:
    paris = await factories.establishment(name="Acme Paris")
    boreal = await factories.establishment(name="Boréal Nantes")
    people = {
        "claire": await factories.account("claire.admin@acme.example"),
        "samuel": await factories.account("samuel.standard@acme.example"),
        "remi": await factories.account("remi.registrant@acme.example"),
        "bruno": await factories.account("bruno.admin@boreal.example"),
        "sophie": await factories.account("sophie.staff@espace.example", is_staff=True),
    }
    claire_access = await factories.access(people["claire"], paris, AccessRole.ADMIN)
    samuel_access = await factories.access(
        people["samuel"],
        paris,
        AccessRole.STANDARD,
        [DocumentKind.INVOICE_COPY, DocumentKind.CERTIFICATE_OF_ATTENDANCE],
    )
    await factories.access(people["bruno"], boreal, AccessRole.ADMIN)
    enrollment = await factories.enrollment(
        registrant_email="remi.registrant@acme.example", site=paris
    )
    tokens = {name: await factories.token_for(person) for name, person in people.items()}
    files: dict[str, bytes] = {}
    ids: dict[str, int] = {}
    for kind in ALL_KINDS:
        files[kind] = pdf_bytes(f"{kind} of {enrollment.reference}")
        result = await upload(
            client, tokens["sophie"], enrollment.id, kind, files[kind], f"{kind.lower()}.pdf"
        )
        ids[kind] = int(result.ok()["attachDocument"]["id"])
    return Acme(enrollment, people, tokens, files, ids, claire_access, samuel_access)


async def listed(client: httpx.AsyncClient, acme: Acme, who: str) -> dict[str, dict]:
    result = await gql(client, LIST, {"id": str(acme.enrollment.id)}, acme.tokens[who])
    enrollment = result.ok()["enrollment"]
    docs = {d["kind"]: d for d in enrollment["documents"]}
    assert sorted(enrollment["visibleDocumentKinds"]) == sorted(docs)
    return docs


def assert_pdf_download(response: httpx.Response, data: bytes, filename: str) -> None:
    assert response.status_code == 200
    assert response.content == data
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-length"] == str(len(data))
    assert response.headers["cache-control"] == "private, no-store"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["content-disposition"] == (
        f"attachment; filename=\"{filename}\"; filename*=UTF-8''{filename}"
    )


def refused(response: httpx.Response, status: int = 403) -> bool:
    return (
        response.status_code == status
        and response.content == b""
        and response.headers["cache-control"] == "private, no-store"
    )


def own_link(acme: Acme, who: str, kind: str, **kwargs: object) -> str:
    """A correctly signed link for this person, as if the API had handed it out."""
    return documents.sign_download(acme.ids[kind], acme.people[who].id, **kwargs).path  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("who", "kinds"),
    [
        ("claire", ALL_KINDS),  # rule 6: the admin sees every document
        ("samuel", SAMUEL_KINDS),  # rule 7: the standard user sees the chosen kinds only
        ("remi", ALL_KINDS),  # rule 4: the registrant sees his own orders' documents
        ("sophie", ALL_KINDS),  # staff
    ],
)
async def test_each_persona_lists_and_downloads_exactly_the_kinds_it_may_see(
    client, acme, who, kinds
):
    docs = await listed(client, acme, who)

    assert sorted(docs) == sorted(kinds)
    for kind in kinds:
        doc = docs[kind]
        assert doc["checksum"] == hashlib.sha256(acme.files[kind]).hexdigest()
        response = await client.get(link_path(doc["downloadUrl"]))
        assert_pdf_download(response, acme.files[kind], f"{kind.lower()}.pdf")
        assert hashlib.sha256(response.content).hexdigest() == doc["checksum"]
    for kind in set(ALL_KINDS) - set(kinds):
        single = await gql(client, DOCUMENT, {"id": str(acme.ids[kind])}, acme.tokens[who])
        assert single.code_at("document") == "NOT_FOUND"
        assert refused(await client.get(own_link(acme, who, kind))), kind
    entries = await AuditEntry.filter(action="document.downloaded").order_by("id")
    assert [(e.actor_id, e.target_id) for e in entries] == [  # type: ignore[attr-defined]
        (acme.people[who].id, acme.ids[kind]) for kind in kinds
    ]
    assert all(e.establishment_id == acme.enrollment.establishment_id for e in entries)  # type: ignore[attr-defined]


async def test_an_unrelated_account_sees_nothing_and_cannot_download(client, acme):
    result = await gql(client, LIST, {"id": str(acme.enrollment.id)}, acme.tokens["bruno"])

    assert result.code_at("enrollment") == "NOT_FOUND"
    for kind in ALL_KINDS:
        single = await gql(client, DOCUMENT, {"id": str(acme.ids[kind])}, acme.tokens["bruno"])
        assert single.code_at("document") == "NOT_FOUND"
        assert refused(await client.get(own_link(acme, "bruno", kind))), kind
    assert not await AuditEntry.filter(action="document.downloaded").exists()


async def test_an_admin_link_replayed_after_the_admin_is_removed_is_refused(client, acme):
    claire_docs = await listed(client, acme, "claire")
    claire_links = {kind: doc["downloadUrl"] for kind, doc in claire_docs.items()}
    first = await client.get(link_path(claire_links["INVOICE_COPY"]))
    assert first.status_code == 200

    await Access.filter(id=acme.claire_access.id).delete()  # another admin removes Claire

    for kind, url in claire_links.items():
        assert refused(await client.get(link_path(url))), kind
    # Samuel cannot borrow Claire's links by putting his own account in them either.
    for kind, url in claire_links.items():
        parts = urlsplit(link_path(url))
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        query["account"] = str(acme.people["samuel"].id)
        assert refused(await client.get(f"{parts.path}?{urlencode(query)}")), kind
    assert await AuditEntry.filter(action="document.downloaded").count() == 1


async def test_a_standard_user_loses_a_kind_and_its_link_stops_working(client, acme):
    url = (await listed(client, acme, "samuel"))["CERTIFICATE_OF_ATTENDANCE"]["downloadUrl"]
    assert (await client.get(link_path(url))).status_code == 200

    acme.samuel_access.document_kinds = ["INVOICE_COPY"]
    await acme.samuel_access.save()

    assert refused(await client.get(link_path(url)))
    assert sorted(await listed(client, acme, "samuel")) == ["INVOICE_COPY"]


async def test_a_link_older_than_five_minutes_is_refused(client, acme):
    issued = documents.now()

    fresh = own_link(acme, "claire", "EVALUATION", issued_at=issued - timedelta(minutes=4))
    stale = own_link(
        acme, "claire", "EVALUATION", issued_at=issued - timedelta(minutes=5, seconds=1)
    )

    assert (await client.get(fresh)).status_code == 200
    assert refused(await client.get(stale))


def tampered(path: str, **changes: str | None) -> str:
    parts = urlsplit(path)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    for key, value in changes.items():
        if value is None:
            query.pop(key, None)
        else:
            query[key] = value
    return f"{parts.path}?{urlencode(query)}"


async def test_a_tampered_or_incomplete_link_is_refused(client, acme):
    good = own_link(acme, "remi", "SIGNED_QUOTE")
    signature = parse_qs(urlsplit(good).query)["signature"][0]
    expires = int(parse_qs(urlsplit(good).query)["expires"][0])
    flipped = signature[:-1] + ("0" if signature[-1] != "0" else "1")
    other_document = good.replace(
        f"/documents/{acme.ids['SIGNED_QUOTE']}?", f"/documents/{acme.ids['INVOICE_COPY']}?"
    )
    variants = {
        "signature changed": tampered(good, signature=flipped),
        "expiry pushed back": tampered(good, expires=str(expires + 3600)),
        "another account": tampered(good, account=str(acme.people["claire"].id)),
        "another document": other_document,
        "no signature": tampered(good, signature=None),
        "no expiry": tampered(good, expires=None),
        "no account": tampered(good, account=None),
        "garbage expiry": tampered(good, expires="soon"),
        "empty signature": tampered(good, signature=""),
        "no query at all": f"/documents/{acme.ids['SIGNED_QUOTE']}",
    }

    for label, path in variants.items():
        assert refused(await client.get(path)), label
    assert (await client.get(good)).status_code == 200  # the untouched link still works


async def test_an_unknown_document_is_404_and_reveals_nothing(client, acme):
    staff = acme.people["sophie"].id
    signed_for_missing = documents.sign_download(987654, staff).path
    unsigned_missing = "/documents/987654?expires=1&account=1&signature=00"

    assert refused(await client.get(signed_for_missing), 404)
    assert refused(await client.get(unsigned_missing), 403)  # a bad link says nothing more
    assert refused(await client.get("/documents/not-a-number"), 404)


async def test_the_offered_file_name_is_safe_whatever_was_uploaded(client, acme):
    data = pdf_bytes("convention signée")
    boundary = "name-test"
    body = multipart_body(
        acme.enrollment.id,
        "TRAINING_AGREEMENT",
        data,
        boundary,
        "C:\\fakepath\\Convention; été\t2027",
    )
    result = GraphQLResult(
        await client.post(
            "/graphql",
            content=body,
            headers={
                "Authorization": f"Bearer {acme.tokens['sophie']}",
                "Content-Type": f"multipart/form-data; boundary={boundary}",
            },
        )
    )
    document = result.ok()["attachDocument"]
    assert document["filename"] == "Convention; été2027.pdf"

    response = await client.get(link_path(document["downloadUrl"]))

    assert response.status_code == 200
    assert response.content == data
    assert response.headers["content-disposition"] == (
        'attachment; filename="Convention_ ete2027.pdf"; '
        "filename*=UTF-8''Convention%3B%20%C3%A9t%C3%A92027.pdf"
    )


def test_a_file_name_cannot_break_out_of_its_header():
    header = content_disposition('a"b\r\nSet-Cookie: x=1;.pdf')

    assert "\r" not in header and "\n" not in header
    assert header.startswith('attachment; filename="a_b_Set-Cookie_ x_1_.pdf"; filename*=')
    assert header.endswith("a%22b%0D%0ASet-Cookie%3A%20x%3D1%3B.pdf")
