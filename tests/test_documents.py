"""Staff attach and generate documents (rule 12); refused uploads leave nothing behind;
`espace documents verify` finds missing and corrupt files."""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from pypdf import PdfReader

from infra.pdf import simple_pdf
from models.audit import AuditEntry
from models.documents import Document
from models.enrollments import Enrollment, Trainee
from models.enums import AccessRole, DocumentKind
from services import documents
from services.errors import BadUserInput
from settings import PROJECT_DIR, get_settings
from tests import factories
from tests.graphql import GraphQLResult, gql

ATTACH = """
mutation Attach($enrollmentId: ID!, $kind: DocumentKind!, $file: Upload!) {
  attachDocument(enrollmentId: $enrollmentId, kind: $kind, file: $file) {
    id kind filename size checksum generated enrollmentId downloadUrl
  }
}
"""

GENERATE = """
mutation Generate($enrollmentId: ID!, $kind: DocumentKind!) {
  generateDocument(enrollmentId: $enrollmentId, kind: $kind) {
    id kind filename size checksum generated downloadUrl
  }
}
"""


def pdf_bytes(text: str) -> bytes:
    """A real, distinct PDF."""
    return simple_pdf([text], title="Test document")


def multipart_fields(enrollment_id: int, kind: str) -> dict[str, str]:
    operations = {
        "query": ATTACH,
        "variables": {"enrollmentId": str(enrollment_id), "kind": kind, "file": None},
    }
    return {"operations": json.dumps(operations), "map": json.dumps({"0": ["variables.file"]})}


async def upload(
    client: httpx.AsyncClient,
    token: str,
    enrollment_id: int,
    kind: str,
    data: bytes,
    filename: str = "document.pdf",
) -> GraphQLResult:
    """attachDocument as a front end sends it: a GraphQL multipart request."""
    response = await client.post(
        "/graphql",
        data=multipart_fields(enrollment_id, kind),
        files={"0": (filename, data, "application/pdf")},
        headers={"Authorization": f"Bearer {token}"},
    )
    return GraphQLResult(response)


def stored_files() -> set[str]:
    """Every file under DOCUMENTS_DIR, temporary ones included."""
    root = Path(get_settings().documents_dir)
    if not root.exists():
        return set()
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}


def link_path(url: str) -> str:
    """The path and query of a download URL, to GET it on the test client."""
    base = get_settings().public_url.rstrip("/")
    assert url.startswith(base + "/documents/"), url
    return url[len(base) :]


async def staff_and_enrollment() -> tuple[str, Enrollment]:
    sophie = await factories.account("sophie.staff@espace.example", is_staff=True)
    site = await factories.establishment(name="Acme Paris")
    enrollment = await factories.enrollment(registrant_email="remi@acme.example", site=site)
    return await factories.token_for(sophie), enrollment


async def test_staff_attach_a_pdf_and_it_is_listed_with_its_bytes(client):
    token, enrollment = await staff_and_enrollment()
    data = pdf_bytes("purchase order of Acme")

    result = await upload(client, token, enrollment.id, "PURCHASE_ORDER", data, "BC-2027.pdf")

    attached = result.ok()["attachDocument"]
    assert attached["kind"] == "PURCHASE_ORDER"
    assert attached["filename"] == "BC-2027.pdf"
    assert attached["size"] == len(data)
    assert attached["checksum"] == hashlib.sha256(data).hexdigest()
    assert attached["generated"] is False
    listed = await gql(
        client,
        "query($id: ID!) { enrollment(id: $id) { purchaseOrder { id } documents { id } } }",
        {"id": str(enrollment.id)},
        token,
    )
    assert listed.ok()["enrollment"] == {
        "purchaseOrder": {"id": attached["id"]},
        "documents": [{"id": attached["id"]}],
    }
    response = await client.get(link_path(attached["downloadUrl"]))
    assert response.status_code == 200
    assert response.content == data
    entry = await AuditEntry.get(action="document.attached")
    assert entry.actor_email == "sophie.staff@espace.example"
    assert entry.target_id == int(attached["id"])


async def test_only_staff_attach_documents(client):
    _, enrollment = await staff_and_enrollment()
    claire = await factories.account("claire@acme.example")
    await factories.access(claire, await enrollment.establishment, AccessRole.ADMIN)  # type: ignore[misc]
    stranger = await factories.account("nobody@elsewhere.example")
    before = stored_files()

    as_admin = await upload(
        client, await factories.token_for(claire), enrollment.id, "INVOICE_COPY", pdf_bytes("x")
    )
    as_stranger = await upload(
        client, await factories.token_for(stranger), enrollment.id, "INVOICE_COPY", pdf_bytes("y")
    )

    assert as_admin.code_at("attachDocument") == "FORBIDDEN"
    assert as_stranger.code_at("attachDocument") == "NOT_FOUND"
    assert await Document.all().count() == 0
    assert stored_files() == before


@pytest.mark.parametrize(
    ("label", "data"),
    [
        ("plain text named .pdf", b"Hello, this is not a PDF at all.\n" * 50),
        ("a PNG image", b"\x89PNG\r\n\x1a\n" + b"\0" * 500),
        ("a truncated PDF", pdf_bytes("cut short")[:-200]),
        ("an empty file", b""),
    ],
)
async def test_a_file_that_is_not_a_pdf_is_refused_and_leaves_nothing(client, label, data):
    token, enrollment = await staff_and_enrollment()
    before = stored_files()

    result = await upload(client, token, enrollment.id, "INVOICE_COPY", data, "invoice.pdf")

    assert result.code_at("attachDocument") == "BAD_USER_INPUT", label
    assert "not a PDF" in result.errors[0]["message"]
    assert await Document.all().count() == 0
    assert await AuditEntry.all().count() == 0
    assert stored_files() == before


async def test_a_file_over_20_mb_is_refused_and_leaves_nothing(client):
    token, enrollment = await staff_and_enrollment()
    head = b"%PDF-1.4\n"
    tail = b"\n%%EOF\n"
    data = head + b"0" * (documents.MAX_UPLOAD_BYTES + 1 - len(head) - len(tail)) + tail
    before = stored_files()

    result = await upload(client, token, enrollment.id, "INVOICE_COPY", data)

    # The HTTP body limit leaves room for a whole document: the upload check answers.
    assert result.code_at("attachDocument") == "BAD_USER_INPUT"
    assert "20 MB" in result.errors[0]["message"]
    assert await Document.all().count() == 0
    assert stored_files() == before


def test_the_20_mb_limit_is_checked_on_the_bytes_themselves():
    head = b"%PDF-1.4\n"
    tail = b"\n%%EOF\n"
    limit = documents.MAX_UPLOAD_BYTES
    at_limit = head + b"1" * (limit - len(head) - len(tail)) + tail
    before = stored_files()

    with pytest.raises(BadUserInput, match="20 MB"):
        documents.store_pdf(io.BytesIO(at_limit + b"\n"), None)
    assert stored_files() == before

    checksum, size = documents.store_pdf(io.BytesIO(at_limit), None)
    assert size == limit
    assert checksum == hashlib.sha256(at_limit).hexdigest()
    documents.get_storage().remove(checksum)


def test_a_declared_size_over_the_limit_is_refused_before_reading():
    class Unreadable(io.BytesIO):
        def read(self, size: int | None = -1) -> bytes:
            raise AssertionError("read although the declared size was too large")

    with pytest.raises(BadUserInput, match="20 MB"):
        documents.store_pdf(Unreadable(), documents.MAX_UPLOAD_BYTES + 1)


def test_an_oversized_stream_without_a_declared_size_stops_and_leaves_no_file():
    before = stored_files()
    data = b"%PDF-1.7\n" + os.urandom(300_000) + b"%%EOF"

    with pytest.raises(BadUserInput, match="larger"):
        documents.store_pdf(io.BytesIO(data), None, limit=200_000)

    assert stored_files() == before


def test_a_source_failing_midway_leaves_no_file():
    class BrokenPipe(io.BytesIO):
        def read(self, size: int | None = -1) -> bytes:
            if self.tell() > 100_000:
                raise ConnectionResetError("client went away")
            return super().read(size)

    before = stored_files()
    source = BrokenPipe(b"%PDF-1.7\n" + os.urandom(400_000) + b"%%EOF")

    with pytest.raises(ConnectionResetError):
        documents.store_pdf(source)

    assert stored_files() == before


async def test_a_failed_record_removes_the_file_it_stored(client, monkeypatch):
    token, enrollment = await staff_and_enrollment()
    before = stored_files()

    async def audit_down(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("audit log unavailable")

    monkeypatch.setattr(documents.audit, "record", audit_down)
    result = await upload(client, token, enrollment.id, "EVALUATION", pdf_bytes("unique 71"))

    assert result.code_at("attachDocument") == "INTERNAL_SERVER_ERROR"
    assert await Document.all().count() == 0
    assert stored_files() == before


async def test_a_failed_record_keeps_a_file_another_document_uses(client, monkeypatch):
    token, enrollment = await staff_and_enrollment()
    data = pdf_bytes("shared bytes 72")
    first = await upload(client, token, enrollment.id, "EVALUATION", data)
    first.ok()
    kept = stored_files()

    async def audit_down(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("audit log unavailable")

    monkeypatch.setattr(documents.audit, "record", audit_down)
    again = await upload(client, token, enrollment.id, "SIGNED_QUOTE", data)

    assert again.code_at("attachDocument") == "INTERNAL_SERVER_ERROR"
    assert await Document.all().count() == 1
    assert stored_files() == kept
    assert documents.get_storage().exists(hashlib.sha256(data).hexdigest())


# -- an upload cut off in the middle, over a real socket -----------------------------------


@pytest.fixture
async def live_server(app: Any) -> AsyncIterator[tuple[uvicorn.Server, int]]:
    """The app served by uvicorn on a loopback port, in this event loop."""
    config = uvicorn.Config(app, host="127.0.0.1", port=0, lifespan="off", log_level="critical")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    for _ in range(500):
        if server.started:
            break
        await asyncio.sleep(0.01)
    assert server.started
    port = server.servers[0].sockets[0].getsockname()[1]
    yield server, port
    server.should_exit = True
    await task


def multipart_body(
    enrollment_id: int, kind: str, data: bytes, boundary: str, filename: str = "big.pdf"
) -> bytes:
    parts = []
    for name, value in multipart_fields(enrollment_id, kind).items():
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        )
    head = "".join(parts).encode()
    file_part = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="0"; filename="{filename}"\r\n'
        "Content-Type: application/pdf\r\n\r\n"
    ).encode()
    return head + file_part + data + f"\r\n--{boundary}--\r\n".encode()


async def test_an_upload_cut_off_midway_leaves_no_record_and_no_file(live_server):
    server, port = live_server
    token, enrollment = await staff_and_enrollment()
    before = stored_files()
    boundary = "espace-test-boundary"
    data = b"%PDF-1.7\n" + os.urandom(2_000_000) + b"\n%%EOF\n"
    body = multipart_body(enrollment.id, "INVOICE_COPY", data, boundary)

    _reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(
        (
            "POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Authorization: Bearer {token}\r\n"
            f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        ).encode()
        + body[: len(body) // 2]
    )
    await writer.drain()
    writer.close()  # the client goes away with half the file sent
    await writer.wait_closed()
    for _ in range(500):  # until uvicorn has finished with that request
        if not server.server_state.tasks and not server.server_state.connections:
            break
        await asyncio.sleep(0.01)

    # The same server still takes a complete upload, and only that one is kept.
    whole = pdf_bytes("sent in full")
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
        response = await http.post(
            "/graphql",
            data=multipart_fields(enrollment.id, "PURCHASE_ORDER"),
            files={"0": ("po.pdf", whole, "application/pdf")},
            headers={"Authorization": f"Bearer {token}"},
        )
    assert response.json()["data"]["attachDocument"]["kind"] == "PURCHASE_ORDER"
    assert await Document.all().values_list("kind", flat=True) == ["PURCHASE_ORDER"]
    checksum = hashlib.sha256(whole).hexdigest()
    assert stored_files() - before <= {f"{checksum[:2]}/{checksum}"}
    assert not any(Path(name).name.startswith(".incoming-") for name in stored_files())


# -- generated documents -------------------------------------------------------------------


async def enrollment_with_trainees() -> tuple[str, Enrollment]:
    token, enrollment = await staff_and_enrollment()
    await Trainee.create(enrollment=enrollment, first_name="Léa", last_name="Dubois")
    await Trainee.create(enrollment=enrollment, first_name="Marc", last_name="Henry")
    return token, enrollment


def pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() for page in reader.pages)


async def test_a_generated_certificate_names_each_trainee_and_the_course(client):
    token, enrollment = await enrollment_with_trainees()
    await enrollment.fetch_related("session__course")
    course = enrollment.session.course

    result = await gql(
        client,
        GENERATE,
        {"enrollmentId": str(enrollment.id), "kind": "CERTIFICATE_OF_ATTENDANCE"},
        token,
    )

    generated = result.ok()["generateDocument"]
    assert generated["kind"] == "CERTIFICATE_OF_ATTENDANCE"
    assert generated["generated"] is True
    response = await client.get(link_path(generated["downloadUrl"]))
    assert response.status_code == 200
    assert hashlib.sha256(response.content).hexdigest() == generated["checksum"]
    reader = PdfReader(io.BytesIO(response.content))
    assert len(reader.pages) == 2  # one certificate per trainee
    first, second = (page.extract_text() for page in reader.pages)
    assert "Certificate of attendance" in first
    assert "Léa Dubois" in first and "Marc Henry" in second
    assert course.title in first and course.title in second
    assert enrollment.reference in first


async def test_a_generated_training_agreement_names_the_parties_and_the_session(client):
    token, enrollment = await enrollment_with_trainees()
    await enrollment.fetch_related("session__course")
    session = enrollment.session

    result = await gql(
        client, GENERATE, {"enrollmentId": str(enrollment.id), "kind": "TRAINING_AGREEMENT"}, token
    )

    generated = result.ok()["generateDocument"]
    response = await client.get(link_path(generated["downloadUrl"]))
    text = pdf_text(response.content)
    assert "Training agreement" in text
    assert "Acme Paris" in text
    assert session.course.title in text
    assert session.starts_on.isoformat() in text and session.ends_on.isoformat() in text
    assert "Léa Dubois" in text and "Marc Henry" in text
    listed = await gql(
        client,
        "query($id: ID!) { enrollment(id: $id) { trainingAgreement { id generated } } }",
        {"id": str(enrollment.id)},
        token,
    )
    assert listed.ok()["enrollment"]["trainingAgreement"] == {
        "id": generated["id"],
        "generated": True,
    }


async def test_only_the_agreement_and_the_certificate_can_be_generated(client):
    token, enrollment = await staff_and_enrollment()

    result = await gql(
        client, GENERATE, {"enrollmentId": str(enrollment.id), "kind": "INVOICE_COPY"}, token
    )

    assert result.code_at("generateDocument") == "BAD_USER_INPUT"
    assert await Document.all().count() == 0


async def test_only_staff_generate_documents(client):
    _, enrollment = await staff_and_enrollment()
    remi = await factories.account("remi@acme.example")

    result = await gql(
        client,
        GENERATE,
        {"enrollmentId": str(enrollment.id), "kind": "CERTIFICATE_OF_ATTENDANCE"},
        await factories.token_for(remi),
    )

    assert result.code_at("generateDocument") == "FORBIDDEN"
    assert await Document.all().count() == 0


# -- espace documents verify -----------------------------------------------------------------


def run_verify() -> subprocess.CompletedProcess[str]:
    """`espace documents verify`, as an operator runs it, on the test database and storage."""
    return subprocess.run(
        [sys.executable, "-c", "from commands import main; main(['documents', 'verify'])"],
        cwd=PROJECT_DIR,
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=120,
    )


async def test_verify_reports_missing_and_corrupt_files():
    _, enrollment = await staff_and_enrollment()
    intact = await factories.document(enrollment, DocumentKind.INVOICE_COPY, pdf_bytes("v-ok 81"))
    damaged = await factories.document(
        enrollment, DocumentKind.EVALUATION, pdf_bytes("v-corrupt 82")
    )
    lost = await factories.document(enrollment, DocumentKind.SIGNED_QUOTE, pdf_bytes("v-gone 83"))

    healthy = run_verify()
    assert healthy.returncode == 0, healthy.stderr
    assert "All 3 document file(s) match" in healthy.stdout

    storage = documents.get_storage()
    path = storage.path(damaged.checksum)  # type: ignore[attr-defined]
    path.write_bytes(path.read_bytes().replace(b"v-corrupt 82", b"v-corrupt 99"))
    storage.remove(lost.checksum)
    broken = run_verify()

    assert broken.returncode == 1
    assert f"CORRUPT: document {damaged.id} ({damaged.checksum})" in broken.stdout
    assert f"MISSING: document {lost.id} ({lost.checksum})" in broken.stdout
    assert f"document {intact.id} " not in broken.stdout
    assert "2 of 3 document(s)" in broken.stdout
