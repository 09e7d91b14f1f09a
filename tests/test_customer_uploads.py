"""Customers upload the documents they send us (a signed quote, a purchase order) on their
own enrollments, through the real app as a GraphQL multipart request, under the same checks
as staff uploads. Who may upload which kind is the policy's (`upload_document`), asserted in
policies/cases/documents.yaml; here, the mechanism."""

from __future__ import annotations

import json

import httpx

from models.audit import AuditEntry
from models.documents import Document
from models.enrollments import Enrollment
from models.enums import AccessRole, EnrollmentStatus
from tests import factories
from tests.graphql import GraphQLResult, gql
from tests.test_documents import link_path, pdf_bytes, stored_files

UPLOAD = """
mutation Upload($enrollmentId: ID!, $kind: DocumentKind!, $file: Upload!) {
  uploadEnrollmentDocument(enrollmentId: $enrollmentId, kind: $kind, file: $file) {
    id kind filename size generated enrollmentId downloadUrl
  }
}
"""


async def upload(
    client: httpx.AsyncClient,
    token: str,
    enrollment_id: int,
    kind: str,
    data: bytes,
    filename: str = "bon-pour-accord.pdf",
) -> GraphQLResult:
    operations = {
        "query": UPLOAD,
        "variables": {"enrollmentId": str(enrollment_id), "kind": kind, "file": None},
    }
    response = await client.post(
        "/graphql",
        data={"operations": json.dumps(operations), "map": json.dumps({"0": ["variables.file"]})},
        files={"0": (filename, data, "application/pdf")},
        headers={"Authorization": f"Bearer {token}", "Apollo-Require-Preflight": "true"},
    )
    return GraphQLResult(response)


async def remi_and_his_order(
    status: EnrollmentStatus = EnrollmentStatus.VALIDATED,
) -> tuple[str, Enrollment]:
    remi = await factories.account("remi@acme.example")
    site = await factories.establishment(name="Acme Paris")
    order = await factories.enrollment(registrant_email=remi.email, site=site, status=status)
    return await factories.token_for(remi), order


async def test_the_registrant_uploads_a_signed_quote_that_staff_then_see(client):
    token, order = await remi_and_his_order()
    data = pdf_bytes("bon pour accord signé")

    result = await upload(client, token, order.id, "SIGNED_QUOTE", data, "BPA signé.pdf")

    uploaded = result.ok()["uploadEnrollmentDocument"]
    assert uploaded["kind"] == "SIGNED_QUOTE"
    assert uploaded["filename"] == "BPA signé.pdf"
    assert uploaded["size"] == len(data)
    assert uploaded["generated"] is False
    response = await client.get(link_path(uploaded["downloadUrl"]))
    assert response.content == data
    entry = await AuditEntry.get(action="document.uploaded")
    assert entry.actor_email == "remi@acme.example"
    assert entry.target_id == int(uploaded["id"])
    sophie = await factories.account("sophie.staff@espace.example", is_staff=True)
    seen = await gql(
        client,
        "query($id: ID!) { enrollment(id: $id) { signedQuote { id } } }",
        {"id": str(order.id)},
        await factories.token_for(sophie),
    )
    assert seen.ok()["enrollment"]["signedQuote"] == {"id": uploaded["id"]}


async def test_an_admin_uploads_a_purchase_order_for_an_order_placed_by_someone_else(client):
    _, order = await remi_and_his_order()
    claire = await factories.account("claire@acme.example")
    await factories.access(claire, await order.establishment, AccessRole.ADMIN)  # type: ignore[misc]

    result = await upload(
        client, await factories.token_for(claire), order.id, "PURCHASE_ORDER", pdf_bytes("BC")
    )

    assert result.ok()["uploadEnrollmentDocument"]["kind"] == "PURCHASE_ORDER"


async def test_refusals_leave_no_row_no_file_and_no_audit_entry(client):
    token, order = await remi_and_his_order()
    samuel = await factories.account("samuel@acme.example")
    await factories.access(samuel, await order.establishment, AccessRole.STANDARD)  # type: ignore[misc]
    stranger = await factories.account("nobody@elsewhere.example")
    cancelled = await factories.enrollment(
        registrant_email="remi@acme.example", status=EnrollmentStatus.CANCELLED
    )
    before = await stored_files()

    invoice = await upload(client, token, order.id, "INVOICE_COPY", pdf_bytes("fake invoice"))
    standard = await upload(
        client, await factories.token_for(samuel), order.id, "SIGNED_QUOTE", pdf_bytes("s")
    )
    foreign = await upload(
        client, await factories.token_for(stranger), order.id, "SIGNED_QUOTE", pdf_bytes("f")
    )
    on_cancelled = await upload(client, token, cancelled.id, "SIGNED_QUOTE", pdf_bytes("c"))
    not_a_pdf = await upload(client, token, order.id, "SIGNED_QUOTE", b"GIF89a" + b"\0" * 300)

    assert invoice.code_at("uploadEnrollmentDocument") == "FORBIDDEN"
    assert standard.code_at("uploadEnrollmentDocument") == "FORBIDDEN"
    assert foreign.code_at("uploadEnrollmentDocument") == "NOT_FOUND"
    assert on_cancelled.code_at("uploadEnrollmentDocument") == "FORBIDDEN"
    assert not_a_pdf.code_at("uploadEnrollmentDocument") == "BAD_USER_INPUT"
    assert await Document.all().count() == 0
    assert await AuditEntry.filter(action="document.uploaded").count() == 0
    assert await stored_files() == before


async def test_signed_out_uploads_are_refused(client):
    _, order = await remi_and_his_order()
    operations = {
        "query": UPLOAD,
        "variables": {"enrollmentId": str(order.id), "kind": "SIGNED_QUOTE", "file": None},
    }
    response = await client.post(
        "/graphql",
        data={"operations": json.dumps(operations), "map": json.dumps({"0": ["variables.file"]})},
        files={"0": ("a.pdf", pdf_bytes("a"), "application/pdf")},
        headers={"Apollo-Require-Preflight": "true"},
    )

    assert GraphQLResult(response).code_at("uploadEnrollmentDocument") == "UNAUTHENTICATED"
    assert await Document.all().count() == 0
