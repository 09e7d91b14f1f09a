"""Administrative documents of enrollments; the bytes live in content-addressed storage."""

from tortoise import fields
from tortoise.models import Model


class Document(Model):
    """One document of an enrollment. `checksum` (SHA-256) is also the storage key."""

    id = fields.IntField(primary_key=True)
    enrollment = fields.ForeignKeyField("models.Enrollment", related_name="documents")
    kind = fields.CharField(max_length=32)
    filename = fields.CharField(max_length=200)
    content_type = fields.CharField(max_length=100, default="application/pdf")
    size = fields.IntField()
    checksum = fields.CharField(max_length=64)
    generated = fields.BooleanField(default=False)
    uploaded_by = fields.ForeignKeyField(
        "models.Account", related_name="uploaded_documents", null=True, on_delete=fields.SET_NULL
    )
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "document"
        # (enrollment_id, created_at): a page's documents read newest first per enrollment
        # straight off the index, with no sort before the first row (bench/RESULTS.md).
        indexes = (("enrollment_id", "kind"), ("enrollment_id", "created_at"))
