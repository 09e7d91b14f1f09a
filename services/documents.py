"""Administrative documents: staff uploads, generated PDFs, signed download links (rule 12).

Who may attach a document or read one is decided by the policy (`attach_document` on the
enrollment, `read` on the document); this module only asks.

A download link is bound to one document, one account and an expiry five minutes ahead,
signed with HMAC-SHA256 under `SECRET_KEY`. Following it reloads the account and its
accesses and asks the policy again, so a revoked access stops working at once, even with a
link handed out before.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import BinaryIO
from urllib.parse import urlencode

from tortoise.transactions import in_transaction

from infra.pdf import EnrollmentFacts, certificate_of_attendance_pdf, training_agreement_pdf
from models.accounts import Account
from models.documents import Document
from models.enrollments import Enrollment, Trainee
from models.enums import DocumentKind
from policies.engine import Policy, Viewer
from services import audit
from services.errors import BadUserInput, Forbidden, NotFound
from services.history import visible_enrollments
from services.login_sessions import viewer_for_account
from services.storage import Storage, get_storage
from settings import get_settings

logger = logging.getLogger("espace.documents")

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
LINK_LIFETIME = timedelta(minutes=5)
READ_CHUNK = 64 * 1024
# A PDF ends with `%%EOF`, possibly followed by a line break or a little padding.
EOF_WINDOW = 1024
PDF_MAGIC = b"%PDF-"

GENERATORS = {
    DocumentKind.TRAINING_AGREEMENT: training_agreement_pdf,
    DocumentKind.CERTIFICATE_OF_ATTENDANCE: certificate_of_attendance_pdf,
}


def now() -> datetime:
    return datetime.now(UTC)


# -- uploads ---------------------------------------------------------------------------------


def _pdf_chunks(source: BinaryIO, limit: int) -> Iterator[bytes]:
    """The bytes of `source`, refusing (BadUserInput) anything over `limit` bytes or that is
    not a PDF. The checks raise while the storage is still writing its temporary file, so a
    refused upload leaves nothing behind."""
    size = 0
    head = b""
    tail = b""
    while chunk := source.read(READ_CHUNK):
        size += len(chunk)
        if size > limit:
            raise _too_large(limit)
        if len(head) < len(PDF_MAGIC):
            head = (head + chunk)[: len(PDF_MAGIC)]
            if len(head) == len(PDF_MAGIC) and head != PDF_MAGIC:
                raise _not_a_pdf()
        tail = (tail + chunk)[-EOF_WINDOW:]
        yield chunk
    if head != PDF_MAGIC or b"%%EOF" not in tail:
        raise _not_a_pdf()


def _too_large(limit: int) -> BadUserInput:
    return BadUserInput(
        f"The file is larger than {limit // (1024 * 1024)} MB.", field="file", maxBytes=limit
    )


def _not_a_pdf() -> BadUserInput:
    return BadUserInput("The file is not a PDF document.", field="file")


def store_pdf(
    source: BinaryIO,
    declared_size: int | None = None,
    *,
    storage: Storage | None = None,
    limit: int = MAX_UPLOAD_BYTES,
) -> tuple[str, int]:
    """Check and store an uploaded PDF; return (checksum, size). Blocking: run it in a thread.

    A declared size over the limit is refused before reading anything.
    """
    if declared_size is not None and declared_size > limit:
        raise _too_large(limit)
    storage = storage or get_storage()
    return storage.put_stream(_pdf_chunks(source, limit))


def clean_filename(name: str | None, fallback: str) -> str:
    """A file name safe to store and offer: no path, no control characters, ends in .pdf."""
    name = unicodedata.normalize("NFC", (name or "").replace("\\", "/").rsplit("/", 1)[-1])
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C").strip(" .")
    if not name:
        name = fallback
    if not name.lower().endswith(".pdf"):
        name += ".pdf"
    if len(name) > 200:
        name = name[:196] + ".pdf"
    return name


async def _enrollment_for_staff(policy: Policy, viewer: Viewer, enrollment_id: int) -> Enrollment:
    """The enrollment, if the viewer sees it (NOT_FOUND) and may attach documents (FORBIDDEN)."""
    enrollment = await visible_enrollments(policy, viewer).filter(id=enrollment_id).first()
    if enrollment is None:
        raise NotFound("Enrollment")
    policy.authorize(
        viewer,
        "attach_document",
        enrollment,
        what="Enrollment",
        message="Only staff attach documents to an enrollment.",
    )
    return enrollment


async def _record_document(
    enrollment: Enrollment,
    kind: DocumentKind,
    filename: str,
    checksum: str,
    size: int,
    *,
    generated: bool,
    author: Account,
    client_address: str,
    storage: Storage,
) -> Document:
    """Write the row and its audit entry in one transaction; if that fails, remove the file
    unless another document already refers to the same bytes."""
    try:
        async with in_transaction():
            document = await Document.create(
                enrollment=enrollment,
                kind=kind.value,
                filename=filename,
                content_type="application/pdf",
                size=size,
                checksum=checksum,
                generated=generated,
                uploaded_by=author,
            )
            await audit.record(
                "document.generated" if generated else "document.attached",
                actor=author,
                target_type="Document",
                target_id=document.id,
                establishment_id=enrollment.establishment_id,  # type: ignore[attr-defined]
                after={
                    "enrollmentId": enrollment.id,
                    "kind": kind.value,
                    "filename": filename,
                    "size": size,
                    "checksum": checksum,
                },
                client_address=client_address,
            )
    except BaseException:
        if not await Document.filter(checksum=checksum).exists():
            storage.remove(checksum)
        raise
    document.enrollment = enrollment
    return document


async def attach_document(
    policy: Policy,
    viewer: Viewer,
    author: Account,
    enrollment_id: int,
    kind: DocumentKind,
    source: BinaryIO,
    *,
    filename: str | None = None,
    declared_size: int | None = None,
    client_address: str = "",
) -> Document:
    """Staff attach an uploaded PDF (at most 20 MB, checked by content) to an enrollment."""
    enrollment = await _enrollment_for_staff(policy, viewer, enrollment_id)
    storage = get_storage()
    checksum, size = await asyncio.to_thread(store_pdf, source, declared_size, storage=storage)
    name = clean_filename(filename, f"{enrollment.reference}-{kind.value.lower()}")
    return await _record_document(
        enrollment,
        kind,
        name,
        checksum,
        size,
        generated=False,
        author=author,
        client_address=client_address,
        storage=storage,
    )


# -- generated documents ---------------------------------------------------------------------


async def enrollment_facts(enrollment_id: int, issued_on: date | None = None) -> EnrollmentFacts:
    """What the generated documents of an enrollment say, read from its records."""
    enrollment = await Enrollment.get(id=enrollment_id).select_related(
        "session__course", "establishment__company"
    )
    trainees = await Trainee.filter(enrollment_id=enrollment_id).order_by("id")
    session = enrollment.session
    site = enrollment.establishment
    return EnrollmentFacts(
        reference=enrollment.reference,
        course_code=session.course.code,
        course_title=session.course.title,
        duration_days=session.course.duration_days,
        starts_on=session.starts_on,
        ends_on=session.ends_on,
        city=session.city,
        seats=enrollment.seats,
        net_price_total=enrollment.net_price_total,
        registrant_name=enrollment.registrant_name,
        registrant_email=enrollment.registrant_email,
        trainees=[f"{t.first_name} {t.last_name}".strip() for t in trainees],
        company_name=site.company.name if site else "",
        establishment_name=site.name if site else "",
        establishment_siret=site.siret if site else "",
        establishment_address=" ".join(p for p in (site.address, site.city) if p) if site else "",
        issued_on=issued_on or now().date(),
    )


async def generate_document(
    policy: Policy,
    viewer: Viewer,
    author: Account,
    enrollment_id: int,
    kind: DocumentKind,
    *,
    client_address: str = "",
) -> Document:
    """Staff produce the training agreement or the certificate of attendance as a PDF."""
    generator = GENERATORS.get(kind)
    if generator is None:
        raise BadUserInput(
            "Only TRAINING_AGREEMENT and CERTIFICATE_OF_ATTENDANCE can be generated.",
            field="kind",
        )
    enrollment = await _enrollment_for_staff(policy, viewer, enrollment_id)
    data = generator(await enrollment_facts(enrollment.id))
    storage = get_storage()
    checksum = await asyncio.to_thread(storage.put, data)
    return await _record_document(
        enrollment,
        kind,
        f"{enrollment.reference}-{kind.value.lower().replace('_', '-')}.pdf",
        checksum,
        len(data),
        generated=True,
        author=author,
        client_address=client_address,
        storage=storage,
    )


# -- signed download links -------------------------------------------------------------------


def _signature(document_id: int, account_id: int, expires: int) -> str:
    key = get_settings().secret_key.encode()
    message = f"document-download\n{document_id}\n{account_id}\n{expires}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class DownloadLink:
    document_id: int
    account_id: int
    expires: int
    signature: str

    @property
    def path(self) -> str:
        query = urlencode(
            {"expires": self.expires, "account": self.account_id, "signature": self.signature}
        )
        return f"/documents/{self.document_id}?{query}"

    @property
    def url(self) -> str:
        return get_settings().public_url.rstrip("/") + self.path


def sign_download(
    document_id: int, account_id: int, *, issued_at: datetime | None = None
) -> DownloadLink:
    """A link to one document for one account, valid five minutes from `issued_at`."""
    expires = int(((issued_at or now()) + LINK_LIFETIME).timestamp())
    return DownloadLink(
        document_id, account_id, expires, _signature(document_id, account_id, expires)
    )


_DIGITS = re.compile(r"[0-9]{1,12}")


def _check_link(
    document_id: int, account: str | None, expires: str | None, signature: str | None
) -> int:
    """The account id the link was made for; Forbidden if it is malformed, forged or expired."""
    if not (account and expires and signature):
        raise Forbidden()
    if not (_DIGITS.fullmatch(account) and _DIGITS.fullmatch(expires)):
        raise Forbidden()
    expected = _signature(document_id, int(account), int(expires))
    if not hmac.compare_digest(expected.encode(), signature.encode()):
        raise Forbidden()
    if int(expires) <= int(now().timestamp()):
        raise Forbidden()
    return int(account)


@dataclass
class Download:
    document: Document
    chunks: Iterator[bytes]


async def open_download(
    policy: Policy,
    document_id: int,
    *,
    account: str | None,
    expires: str | None,
    signature: str | None,
    client_address: str = "",
) -> Download:
    """Follow a signed link: Forbidden if the link is bad or expired or the policy no longer
    lets its account read the document, NotFound if the document does not exist. Each
    download is written to the audit log."""
    account_id = _check_link(document_id, account, expires, signature)
    person = await Account.get_or_none(id=account_id)
    if person is None:
        raise Forbidden()
    viewer = await viewer_for_account(person)
    document = await Document.filter(id=document_id).select_related("enrollment").first()
    if document is None:
        raise NotFound("Document")
    # The link names the document: a refusal is FORBIDDEN, its existence is no secret here.
    policy.authorize(viewer, "read", document, read_action=None)
    storage = get_storage()
    if not storage.exists(document.checksum):
        logger.error("document %s: file %s is missing", document.id, document.checksum)
        raise NotFound("Document")
    await audit.record(
        "document.downloaded",
        actor=person,
        target_type="Document",
        target_id=document.id,
        establishment_id=document.enrollment.establishment_id,  # type: ignore[attr-defined]
        after={"kind": document.kind, "filename": document.filename},
        client_address=client_address,
    )
    return Download(document, storage.open(document.checksum))


# -- integrity -------------------------------------------------------------------------------


@dataclass(frozen=True)
class StorageProblem:
    document_id: int
    checksum: str
    problem: str  # "missing" or "corrupt"


@dataclass
class VerifyReport:
    checked: int
    problems: list[StorageProblem]


async def verify_storage(storage: Storage | None = None) -> VerifyReport:
    """Check the file of every document against its checksum."""
    storage = storage or get_storage()
    rows = await Document.all().order_by("id").values_list("id", "checksum")
    digests: dict[str, str | None] = {}
    problems: list[StorageProblem] = []
    for document_id, checksum in rows:
        if checksum not in digests:
            try:
                digests[checksum] = await asyncio.to_thread(storage.digest, checksum)
            except ValueError:  # not even a SHA-256: cannot be stored
                digests[checksum] = None
        found = digests[checksum]
        if found is None:
            problems.append(StorageProblem(document_id, checksum, "missing"))
        elif found != checksum:
            problems.append(StorageProblem(document_id, checksum, "corrupt"))
    return VerifyReport(checked=len(rows), problems=problems)
