"""GraphQL types and queries of administrative documents (rule 12)."""

from __future__ import annotations

import datetime
from collections.abc import Awaitable, Callable
from typing import Annotated, cast

import strawberry
from starlette.datastructures import UploadFile
from strawberry.file_uploads import Upload

from models.accounts import Account
from models.documents import Document
from models.enums import DocumentKind as Kind
from policies.engine import Policy, Viewer
from schema.context import Info
from schema.ids import parse_id
from schema.node import Node
from schema.scalars import DocumentKind
from services import documents, history


@strawberry.type(
    name="Document",
    description="An administrative document of an enrollment (invoice copy, agreement, ...).",
)
class DocumentType(Node):
    id: strawberry.ID = strawberry.field(description="Identifier of the document.")
    kind: DocumentKind = strawberry.field(description="Which of the eight kinds it is.")
    filename: str = strawberry.field(description="File name offered when downloading.")
    content_type: str = strawberry.field(description="Media type, `application/pdf`.")
    size: int = strawberry.field(description="Size in bytes.")
    checksum: str = strawberry.field(description="SHA-256 of the file, in hexadecimal.")
    created_at: datetime.datetime = strawberry.field(description="When it was issued.")
    updated_at: datetime.datetime = strawberry.field(
        description="When it last changed: a document is never changed once issued (a new "
        "version is a new document), so this is `createdAt`."
    )
    enrollment_id: strawberry.ID = strawberry.field(description="Enrollment it belongs to.")
    generated: bool = strawberry.field(
        description="True when Espace produced it from the enrollment's records, false when "
        "staff uploaded it."
    )
    model: strawberry.Private[Document | history.DocumentRow]

    @strawberry.field(
        description="A link to download the PDF, valid 5 minutes and only for the signed-in "
        "viewer (it stops working at once if their access is revoked). Ask again for a fresh "
        "one rather than storing it. Null when signed out."
    )
    def download_url(self, info: Info) -> str | None:
        # Only documents the policy lets this viewer read reach this type (filtered in SQL).
        account = info.context.account
        if account is None:
            return None
        return documents.sign_download(self.model.id, account.id).url

    @classmethod
    async def fetch_node(cls, info: Info, number: int) -> DocumentType:
        """As `document(id)`: NOT_FOUND unless the viewer may see its kind on its enrollment."""
        viewer = info.context.require_viewer()
        return cls.from_model(await history.get_document(info.context.policy, viewer, number))

    @classmethod
    def from_model(cls, document: Document | history.DocumentRow) -> DocumentType:
        return cls(
            id=strawberry.ID(str(document.id)),
            kind=DocumentKind(document.kind),
            filename=document.filename,
            content_type=document.content_type,
            size=document.size,
            checksum=document.checksum,
            created_at=document.created_at,
            updated_at=document.created_at,
            enrollment_id=strawberry.ID(str(document.enrollment_id)),
            generated=document.generated,
            model=document,
        )


@strawberry.type
class Query:
    @strawberry.field(
        description="One document, or null with NOT_FOUND when it does not exist or the "
        "viewer may not see its kind on its enrollment."
    )
    async def document(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="Document identifier.")],
    ) -> DocumentType | None:
        return await DocumentType.fetch_node(info, parse_id(id))


ENROLLMENT_ID = strawberry.argument(description="Enrollment the document belongs to.")
PDF_FILE = strawberry.argument(description="The PDF, sent as a multipart file part.")


async def _upload(
    info: Info,
    use_case: Callable[[Policy, Viewer, Account, documents.DocumentUpload], Awaitable[Document]],
    enrollment_id: strawberry.ID,
    kind: DocumentKind,
    file: Upload,
) -> DocumentType:
    """An uploaded file handed to a use case of `services.documents` (the staff or the
    customer upload), answered as the document recorded."""
    context = info.context
    upload = documents.DocumentUpload(
        parse_id(enrollment_id, "enrollmentId"),
        Kind(kind),
        cast(UploadFile, file).file,  # Strawberry types Upload as bytes
        filename=getattr(file, "filename", None),
        declared_size=getattr(file, "size", None),
        client_address=context.client_address,
    )
    document = await use_case(
        context.policy, context.require_viewer(), context.require_account(), upload
    )
    return DocumentType.from_model(document)


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="Staff: attach an uploaded PDF (GraphQL multipart request, at most 20 MB, "
        "checked by content) to an enrollment. BAD_USER_INPUT when the file is not a PDF or "
        "too large, NOT_FOUND for an unknown enrollment, FORBIDDEN for non-staff."
    )
    async def attach_document(
        self,
        info: Info,
        enrollment_id: Annotated[strawberry.ID, ENROLLMENT_ID],
        kind: Annotated[DocumentKind, strawberry.argument(description="Which kind it is.")],
        file: Annotated[Upload, PDF_FILE],
    ) -> DocumentType:
        return await _upload(info, documents.attach_document, enrollment_id, kind, file)

    @strawberry.mutation(
        description="Customers: upload a document they send us on an enrollment of their "
        "own (or, for an admin, of their establishment): SIGNED_QUOTE (bon pour accord) or "
        "PURCHASE_ORDER (bon de commande), as a PDF (GraphQL multipart request, at most 20 MB, "
        "checked by content). The policy decides who may upload which kind. BAD_USER_INPUT "
        "when the file is not a PDF or too large, NOT_FOUND when the viewer does not see the "
        "enrollment, FORBIDDEN for a kind or an enrollment they may not upload to."
    )
    async def upload_enrollment_document(
        self,
        info: Info,
        enrollment_id: Annotated[strawberry.ID, ENROLLMENT_ID],
        kind: Annotated[
            DocumentKind,
            strawberry.argument(description="SIGNED_QUOTE or PURCHASE_ORDER."),
        ],
        file: Annotated[Upload, PDF_FILE],
    ) -> DocumentType:
        return await _upload(info, documents.upload_enrollment_document, enrollment_id, kind, file)

    @strawberry.mutation(
        description="Staff: produce the training agreement or the certificate of attendance "
        "of an enrollment as a PDF from its records (trainees, course, dates, establishment). "
        "BAD_USER_INPUT for any other kind."
    )
    async def generate_document(
        self,
        info: Info,
        enrollment_id: Annotated[strawberry.ID, ENROLLMENT_ID],
        kind: Annotated[
            DocumentKind,
            strawberry.argument(description="TRAINING_AGREEMENT or CERTIFICATE_OF_ATTENDANCE."),
        ],
    ) -> DocumentType:
        context = info.context
        viewer = context.require_viewer()
        document = await documents.generate_document(
            context.policy,
            viewer,
            context.require_account(),
            parse_id(enrollment_id, "enrollmentId"),
            Kind(kind),
            client_address=context.client_address,
        )
        return DocumentType.from_model(document)
