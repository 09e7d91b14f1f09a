"""The append-only audit log."""

from typing import TYPE_CHECKING, Any

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from models.accounts import Account
    from models.companies import Establishment


class AuditLogIsAppendOnly(RuntimeError):
    """Raised when code tries to change or delete an audit entry."""


class AuditEntry(Model):
    """Who did what, to what, when, with the state before and after."""

    id = fields.IntField(primary_key=True)
    at = fields.DatetimeField(auto_now_add=True)
    actor: fields.ForeignKeyNullableRelation["Account"] = fields.ForeignKeyField(
        "models.Account", related_name="audit_entries", null=True, on_delete=fields.SET_NULL
    )
    actor_id: int | None
    actor_email = fields.CharField(max_length=254, default="")
    action = fields.CharField(max_length=64)
    target_type = fields.CharField(max_length=40, default="")
    target_id = fields.IntField(null=True)
    establishment: fields.ForeignKeyNullableRelation["Establishment"] = fields.ForeignKeyField(
        "models.Establishment", related_name="audit_entries", null=True
    )
    establishment_id: int | None
    before: dict[str, Any] | None = fields.JSONField(null=True)
    after: dict[str, Any] | None = fields.JSONField(null=True)
    client_address = fields.CharField(max_length=64, default="")

    class Meta:
        table = "audit_entry"
        indexes = (("establishment_id", "at"), ("action", "at"))

    async def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._saved_in_db:
            await super().save(*args, **kwargs)
            return
        raise AuditLogIsAppendOnly("audit entries are never changed")

    async def delete(self, *args: Any, **kwargs: Any) -> None:
        raise AuditLogIsAppendOnly("audit entries are never deleted")
