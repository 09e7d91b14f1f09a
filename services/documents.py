"""Administrative documents: staff and customer uploads, generated PDFs, signed download
links (rule 12).

Who may attach a document, upload one or read one is decided by the policy (`attach_document`
on the enrollment, `upload_document` for a kind on the enrollment, `read` on the document);
this module only asks.

A download link is bound to one document, one account and an expiry five minutes ahead,
signed with HMAC-SHA256 under `SECRET_KEY`. Following it reloads the account and its
accesses and asks the policy again, so a revoked access stops working at once, even with a
link handed out before. With `DOCUMENTS_REDIRECT=true` and a store that can presign, the
download then answers a redirect to a short-lived URL of the store instead of the bytes.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import unicodedata
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import BinaryIO
from urllib.parse import urlencode

from infra.pdf import EnrollmentFacts, certificate_of_attendance_pdf, training_agreement_pdf
from infra.storage import Staged, Storage, get_storage
from models.accounts import Account
from models.documents import Document
from models.enrollments import Enrollment, Trainee
from models.enums import DocumentKind
from policies.engine import Policy, Viewer
from services import audit
from services.document_storage import publishing
from services.errors import BadUserInput, Forbidden, NotFound, Reason
from services.filenames import content_disposition
from services.history import visible_enrollments
from services.login_sessions import viewer_for_account
from settings import get_settings

logger = logging.getLogger("espace.documents")

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
LINK_LIFETIME = timedelta(minutes=5)
REDIRECT_LIFETIME = timedelta(minutes=1)  # of a presigned URL of the store
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
        "The file is larger than {maxMegabytes} MB.",
        field="file",
        maxBytes=limit,
        maxMegabytes=limit // (1024 * 1024),
        reason=Reason.FILE_TOO_LARGE,
    )


def _not_a_pdf() -> BadUserInput:
    return BadUserInput("The file is not a PDF document.", field="file", reason=Reason.NOT_A_PDF)


async def stage_pdf(
    source: BinaryIO,
    declared_size: int | None = None,
    *,
    storage: Storage | None = None,
    limit: int = MAX_UPLOAD_BYTES,
) -> Staged:
    """Check an uploaded PDF while spooling it (read in a worker thread); the result is
    published with its row by `_record_document`.

    A declared size over the limit is refused before reading anything.
    """
    if declared_size is not None and declared_size > limit:
        raise _too_large(limit)
    storage = storage or get_storage()
    return await storage.stage(_pdf_chunks(source, limit))


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
        raise NotFound("Enrollment not found.")
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
    staged: Staged,
    *,
    generated: bool,
    author: Account,
    action: str | None = None,
    client_address: str,
    storage: Storage,
) -> Document:
    """Publish the bytes and write the row and its audit entry in one transaction; if that
    fails, the object is removed unless a committed document names the same bytes
    (`services.document_storage.publishing`)."""
    checksum, size = staged.checksum, staged.size
    async with publishing(storage, staged):
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
            action or ("document.generated" if generated else "document.attached"),
            actor=author,
            target_type="Document",
            target_id=document.id,
            establishment_id=enrollment.establishment_id,
            after={
                "enrollmentId": enrollment.id,
                "kind": kind.value,
                "filename": filename,
                "size": size,
                "checksum": checksum,
            },
            client_address=client_address,
        )
    document.enrollment = enrollment
    return document


@dataclass(frozen=True)
class DocumentUpload:
    """A PDF a client sends for an enrollment: where it goes, its bytes, and the name and
    size it declared (checked, never trusted)."""

    enrollment_id: int
    kind: DocumentKind
    source: BinaryIO
    filename: str | None = None
    declared_size: int | None = None
    client_address: str = ""


async def attach_document(
    policy: Policy, viewer: Viewer, author: Account, upload: DocumentUpload
) -> Document:
    """Staff attach an uploaded PDF (at most 20 MB, checked by content) to an enrollment."""
    enrollment = await _enrollment_for_staff(policy, viewer, upload.enrollment_id)
    return await _record_upload(enrollment, upload, author)


async def upload_enrollment_document(
    policy: Policy, viewer: Viewer, author: Account, upload: DocumentUpload
) -> Document:
    """A customer uploads a document they send us (a signed quote, a purchase order) on an
    enrollment: NOT_FOUND when they do not see it, FORBIDDEN when the policy does not let them
    upload that kind there; the file passes the same checks as staff uploads."""
    enrollment = await visible_enrollments(policy, viewer).filter(id=upload.enrollment_id).first()
    if enrollment is None:
        raise NotFound("Enrollment not found.")
    policy.authorize_field(
        viewer,
        "upload_document",
        enrollment,
        upload.kind.value,
        message="You may not upload this kind of document on this enrollment.",
    )
    return await _record_upload(enrollment, upload, author, action="document.uploaded")


async def _record_upload(
    enrollment: Enrollment, upload: DocumentUpload, author: Account, action: str | None = None
) -> Document:
    """An uploaded PDF recorded on the enrollment: the same checks (a PDF by its content, at
    most 20 MB), file name and records for staff and customer uploads."""
    storage = get_storage()
    staged = await stage_pdf(upload.source, upload.declared_size, storage=storage)
    kind = upload.kind
    name = clean_filename(upload.filename, f"{enrollment.reference}-{kind.value.lower()}")
    return await _record_document(
        enrollment,
        kind,
        name,
        staged,
        generated=False,
        author=author,
        action=action,
        client_address=upload.client_address,
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
            reason=Reason.INVALID_VALUE,
        )
    enrollment = await _enrollment_for_staff(policy, viewer, enrollment_id)
    data = generator(await enrollment_facts(enrollment.id))
    storage = get_storage()
    staged = await storage.stage([data])
    return await _record_document(
        enrollment,
        kind,
        f"{enrollment.reference}-{kind.value.lower().replace('_', '-')}.pdf",
        staged,
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
    """Either the bytes to stream, or a presigned URL of the store to redirect to."""

    document: Document
    chunks: AsyncIterator[bytes] | None
    redirect_url: str | None = None


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
        raise NotFound("Document not found.")
    # The link names the document: a refusal is FORBIDDEN, its existence is no secret here.
    policy.authorize(viewer, "read", document, read_action=None)
    storage = get_storage()
    if await storage.stat(document.checksum) is None:
        logger.error("document %s: object %s is missing", document.id, document.checksum)
        raise NotFound("Document not found.")
    redirect_url = None
    if get_settings().documents_redirect:  # only now that the policy said yes
        redirect_url = await storage.presigned_url(
            document.checksum,
            content_disposition=content_disposition(document.filename),
            content_type=document.content_type,
            lifetime=REDIRECT_LIFETIME,
        )
    await audit.record(
        "document.downloaded",
        actor=person,
        target_type="Document",
        target_id=document.id,
        establishment_id=document.enrollment.establishment_id,
        after={"kind": document.kind, "filename": document.filename},
        client_address=client_address,
    )
    if redirect_url is not None:
        return Download(document, None, redirect_url)
    return Download(document, storage.read(document.checksum))
