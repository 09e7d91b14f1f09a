"""GraphQL types and queries of administrative documents (rule 12)."""

from __future__ import annotations

import datetime
from typing import Annotated

import strawberry

from models.documents import Document
from schema.context import Info
from schema.ids import parse_id
from schema.scalars import DocumentKind
from services import history


@strawberry.type(
    name="Document",
    description="An administrative document of an enrollment (invoice copy, agreement, ...).",
)
class DocumentType:
    id: strawberry.ID = strawberry.field(description="Identifier of the document.")
    kind: DocumentKind = strawberry.field(description="Which of the eight kinds it is.")
    filename: str = strawberry.field(description="File name offered when downloading.")
    content_type: str = strawberry.field(description="Media type, `application/pdf`.")
    size: int = strawberry.field(description="Size in bytes.")
    checksum: str = strawberry.field(description="SHA-256 of the file, in hexadecimal.")
    created_at: datetime.datetime = strawberry.field(description="When it was issued.")
    enrollment_id: strawberry.ID = strawberry.field(description="Enrollment it belongs to.")
    model: strawberry.Private[Document]

    @classmethod
    def from_model(cls, document: Document) -> DocumentType:
        return cls(
            id=strawberry.ID(str(document.id)),
            kind=DocumentKind(document.kind),
            filename=document.filename,
            content_type=document.content_type,
            size=document.size,
            checksum=document.checksum,
            created_at=document.created_at,
            enrollment_id=strawberry.ID(str(document.enrollment_id)),  # type: ignore[attr-defined]
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
        viewer = info.context.require_viewer()
        document = await history.get_document(info.context.policy, viewer, parse_id(id))
        return DocumentType.from_model(document)
