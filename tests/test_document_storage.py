"""The document store itself, on the local folder and on a real S3-compatible server: two
identical uploads where one fails, streaming, redirects to the store, `espace documents
migrate`, and two hosts sharing one bucket."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import httpx
import pytest

from infra.storage import CHUNK_SIZE, get_storage, put_bytes, storage_for_url
from infra.storage.local import LocalStorage
from infra.storage.s3 import S3Storage
from models.access import Access
from models.accounts import Account
from models.audit import AuditEntry
from models.documents import Document
from models.enums import AccessRole, DocumentKind
from services import documents
from services.document_storage import remove_unreferenced
from services.filenames import content_disposition
from settings import PROJECT_DIR, get_settings
from tests import factories
from tests.conftest import settings_env
from tests.live_server import live_server
from tests.s3_server import S3Server
from tests.test_documents import (
    link_path,
    multipart_fields,
    pdf_bytes,
    staff_and_enrollment,
    upload,
)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# -- on both stores --------------------------------------------------------------------------


@pytest.mark.usefixtures("document_store")
async def test_a_failed_upload_never_removes_the_bytes_of_a_concurrent_identical_one(
    client, monkeypatch
):
    """Two uploads of the same bytes: the first has stored them but not yet written its row
    when the second fails and cleans up. The first one's document must still download."""
    token, enrollment = await staff_and_enrollment()
    data = pdf_bytes("the same bytes twice 91")
    storage = get_storage()
    publish = storage.publish
    record = documents.audit.record
    first_published = asyncio.Event()
    resume_first = asyncio.Event()
    published: list[str] = []

    async def publish_then_pause_the_first(staged: Any) -> None:
        await publish(staged)
        published.append(staged.checksum)
        if len(published) == 1:  # the first upload, before its transaction
            first_published.set()
            await resume_first.wait()

    async def fail_the_second(action: str, *args: Any, **kwargs: Any) -> Any:
        if kwargs["after"]["kind"] == "SIGNED_QUOTE":
            raise RuntimeError("audit log unavailable")
        return await record(action, *args, **kwargs)

    monkeypatch.setattr(storage, "publish", publish_then_pause_the_first)
    monkeypatch.setattr(documents.audit, "record", fail_the_second)

    first = asyncio.create_task(upload(client, token, enrollment.id, "EVALUATION", data))
    await first_published.wait()
    second = await upload(client, token, enrollment.id, "SIGNED_QUOTE", data)
    assert second.code_at("attachDocument") == "INTERNAL_SERVER_ERROR"
    # No committed row named the bytes yet: the failed upload removed them...
    assert await storage.stat(sha256(data)) is None
    resume_first.set()
    attached = (await first).ok()["attachDocument"]

    # ...and the first upload published them again under the lock before its row committed.
    assert await Document.all().values_list("kind", flat=True) == ["EVALUATION"]
    assert await storage.stat(sha256(data)) is not None
    response = await client.get(link_path(attached["downloadUrl"]))
    assert response.status_code == 200
    assert response.content == data


@pytest.mark.usefixtures("document_store")
async def test_bytes_a_committed_document_names_are_never_removed():
    _, enrollment = await staff_and_enrollment()
    named = await factories.document(enrollment, DocumentKind.INVOICE_COPY, pdf_bytes("kept 92"))
    storage = get_storage()
    unnamed = await put_bytes(storage, pdf_bytes("unnamed 93"))

    assert await remove_unreferenced(storage, named.checksum) is False
    assert await remove_unreferenced(storage, unnamed) is True
    assert await storage.stat(named.checksum) is not None
    assert await storage.stat(unnamed) is None


@pytest.mark.usefixtures("document_store")
async def test_a_download_streams_in_chunks_of_bounded_size(policy):
    _, enrollment = await staff_and_enrollment()
    staff = await factories.account("stan.staff@espace.example", is_staff=True)
    data = b"%PDF-1.7\n" + os.urandom(1_000_000) + b"\n%%EOF\n"
    document = await factories.document(enrollment, DocumentKind.INVOICE_COPY, data)
    link = documents.sign_download(document.id, staff.id)

    download = await documents.open_download(
        policy,
        document.id,
        account=str(staff.id),
        expires=str(link.expires),
        signature=link.signature,
    )

    assert download.chunks is not None and download.redirect_url is None
    sizes = [len(chunk) async for chunk in download.chunks]
    assert sum(sizes) == len(data)
    assert max(sizes) <= CHUNK_SIZE  # never the whole document at once
    assert len(sizes) >= len(data) // CHUNK_SIZE


async def test_a_redirect_to_the_store_comes_only_after_the_policy_check(client, document_store):
    token, enrollment = await staff_and_enrollment()
    claire = await factories.account("claire@acme.example")
    access = await factories.access(claire, await enrollment.establishment, AccessRole.ADMIN)  # type: ignore[misc]
    data = pdf_bytes("redirected 94")
    result = await upload(client, token, enrollment.id, "INVOICE_COPY", data, "Facture été.pdf")
    document_id = int(result.ok()["attachDocument"]["id"])

    with settings_env(DOCUMENTS_REDIRECT="true"):
        link = documents.sign_download(document_id, claire.id).path
        response = await client.get(link)
        if document_store == "local":  # the folder has no URL of its own: streamed as before
            assert response.status_code == 200
            assert response.content == data
        else:
            assert response.status_code == 307
            assert response.headers["cache-control"] == "private, no-store"
            location = response.headers["location"]
            assert location.startswith(get_settings().s3_endpoint_url or "")
            async with httpx.AsyncClient() as outside:
                served = await outside.get(location)
            assert served.status_code == 200
            assert served.content == data
            assert served.headers["content-type"] == "application/pdf"
            assert served.headers["content-disposition"] == content_disposition("Facture été.pdf")
        assert await AuditEntry.filter(action="document.downloaded").count() == 1

        await Access.filter(id=access.id).delete()
        refused = await client.get(link)

    assert refused.status_code == 403
    assert "location" not in refused.headers
    assert await AuditEntry.filter(action="document.downloaded").count() == 1


# -- choosing the store ----------------------------------------------------------------------


def test_documents_url_selects_the_store(tmp_dir):
    settings = get_settings()

    default = storage_for_url(None, settings)
    folder = storage_for_url(f"file://{tmp_dir}/docs", settings)
    bucket = storage_for_url("s3://archive/espace/documents/", settings)

    assert isinstance(default, LocalStorage) and default.root == Path(settings.documents_dir)
    assert isinstance(folder, LocalStorage) and folder.root == tmp_dir / "docs"
    assert isinstance(bucket, S3Storage)
    assert (bucket.bucket, bucket.prefix) == ("archive", "espace/documents/")
    assert bucket.key("ab" + "0" * 62) == f"espace/documents/ab/ab{'0' * 62}"
    assert storage_for_url("s3://archive/espace/documents", settings) is bucket
    for wrong in ("ftp://host/path", "s3:///no-bucket"):
        with pytest.raises(ValueError, match="DOCUMENTS_URL"):
            storage_for_url(wrong, settings)


# -- espace documents migrate --------------------------------------------------------------


def run_migrate(target: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """`espace documents migrate --to TARGET` as an operator runs it."""
    return subprocess.run(
        [
            sys.executable,
            "-c",
            f"from commands import main; main(['documents', 'migrate', '--to', {target!r}])",
        ],
        cwd=PROJECT_DIR,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


async def test_migrate_copies_a_local_store_to_s3_resumably_then_verifies(
    client, s3_server: S3Server, tmp_dir
):
    s3 = s3_server.settings()
    target = s3["DOCUMENTS_URL"]
    local = {**s3, "DOCUMENTS_URL": "", "DOCUMENTS_DIR": str(tmp_dir / "documents")}
    with settings_env(**local):  # the application on its local folder
        token, enrollment = await staff_and_enrollment()
        files = {kind: pdf_bytes(f"migrated {kind}") for kind in ("INVOICE_COPY", "EVALUATION")}
        ids = {}
        for kind, data in files.items():
            result = await upload(client, token, enrollment.id, kind, data)
            ids[kind] = int(result.ok()["attachDocument"]["id"])
        # The same bytes twice make one object.
        await upload(client, token, enrollment.id, "SIGNED_QUOTE", files["EVALUATION"])
        source = get_storage()

    first = run_migrate(target, local)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "2 object(s) copied, 0 already there, 0 not copied." in first.stdout
    assert "All 3 document file(s) match their checksum." in first.stdout

    with settings_env(**s3):
        bucket = get_storage()
        assert sorted([c async for c, _ in bucket.checksums()]) == sorted(
            sha256(data) for data in files.values()
        )
        await bucket.remove(sha256(files["INVOICE_COPY"]))  # as if interrupted midway

    again = run_migrate(target, local)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "1 object(s) copied, 1 already there, 0 not copied." in again.stdout

    staff = await Account.get(email="sophie.staff@espace.example")
    with settings_env(**s3):  # the application switched to the bucket
        for kind, data in files.items():
            link = documents.sign_download(ids[kind], staff.id).path
            response = await client.get(link)
            assert response.status_code == 200
            assert response.content == data
        await bucket.remove(sha256(files["EVALUATION"]))

    # A corrupt source object is reported, never copied.
    corrupt = source.path(sha256(files["EVALUATION"]))  # type: ignore[attr-defined]
    corrupt.write_bytes(corrupt.read_bytes().replace(b"migrated", b"damaged!"))
    broken = run_migrate(target, local)
    assert broken.returncode == 1
    assert f"NOT COPIED: object {sha256(files['EVALUATION'])}: corrupt in the source" in (
        broken.stdout
    )
    assert f"MISSING: document {ids['EVALUATION']} " in broken.stdout


# -- several hosts ---------------------------------------------------------------------------


async def test_two_hosts_on_different_folders_share_the_documents_of_one_bucket(
    s3_server: S3Server, tmp_dir
):
    token, enrollment = await staff_and_enrollment()
    shared = s3_server.settings()
    data = pdf_bytes("uploaded on host A 95")
    host_a = {**shared, "DOCUMENTS_DIR": str(tmp_dir / "a")}
    host_b = {**shared, "DOCUMENTS_DIR": str(tmp_dir / "b")}
    logs = Path(tempfile.mkdtemp(dir=tmp_dir))

    with live_server(logs, **host_a) as a, live_server(logs, **host_b) as b:
        async with httpx.AsyncClient(timeout=30) as http:
            response = await http.post(
                a.graphql_url,
                data=multipart_fields(enrollment.id, "PURCHASE_ORDER"),
                files={"0": ("po.pdf", data, "application/pdf")},
                headers={"Authorization": f"Bearer {token}", "Apollo-Require-Preflight": "true"},
            )
            attached = response.json()["data"]["attachDocument"]
            on_b = attached["downloadUrl"].replace(a.url, b.url)
            downloaded = await http.get(on_b)
            generated = await http.post(
                b.graphql_url,
                json={
                    "query": "mutation($e: ID!) { generateDocument(enrollmentId: $e, "
                    "kind: TRAINING_AGREEMENT) { checksum downloadUrl } }",
                    "variables": {"e": str(enrollment.id)},
                },
                headers={"Authorization": f"Bearer {token}"},
            )
            agreement = generated.json()["data"]["generateDocument"]
            on_a = await http.get(agreement["downloadUrl"].replace(b.url, a.url))

    assert downloaded.status_code == 200, json.dumps(attached)
    assert downloaded.content == data
    assert on_a.status_code == 200
    assert sha256(on_a.content) == agreement["checksum"]
    # Neither host kept anything in its own folder (only uploads being checked go there).
    assert not [p for p in (tmp_dir / "a").rglob("*") if p.is_file()]
    assert not [p for p in (tmp_dir / "b").rglob("*") if p.is_file()]
