"""Trust: invitations, the origin of admin access requests, and who registered
an establishment at sign-up.

Data already stored is kept as it is:
* accesses held by accounts whose e-mail is not verified stay in place but are dormant: the
  policy (`common.polar`) ignores them until the holder follows a link mailed to the address
  (sign-up verification, set-password or reset link), then they work again, unchanged;
* `account.company_id` (the company named at sign-up) is kept for staff but no longer read
  by the policy: membership comes only from accesses;
* `establishment.registered_by` is empty for existing establishments: their first
  registrants book through an access, or ask staff for one.
"""

from tortoise import migrations
from tortoise.migrations import operations as ops
from orjson import loads
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from tortoise import fields
from tortoise.indexes import Index


class Migration(migrations.Migration):
    dependencies = [("models", "0003_document_created_index")]

    initial = False

    operations = [
        ops.CreateModel(
            name="Invitation",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                (
                    "establishment",
                    fields.ForeignKeyField(
                        "models.Establishment",
                        source_field="establishment_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="invitations",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("email", fields.CharField(max_length=254)),
                ("role", fields.CharField(max_length=16)),
                (
                    "document_kinds",
                    fields.JSONField(default=list, encoder=JSON_DUMPS, decoder=loads),
                ),
                ("token_hash", fields.CharField(unique=True, max_length=64)),
                (
                    "invited_by",
                    fields.ForeignKeyField(
                        "models.Account",
                        source_field="invited_by_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="invitations_sent",
                        on_delete=OnDelete.SET_NULL,
                    ),
                ),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ("expires_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                (
                    "accepted_at",
                    fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
                ),
                (
                    "accepted_by",
                    fields.ForeignKeyField(
                        "models.Account",
                        source_field="accepted_by_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="invitations_accepted",
                        on_delete=OnDelete.SET_NULL,
                    ),
                ),
                (
                    "withdrawn_at",
                    fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
                ),
            ],
            options={
                "table": "invitation",
                "app": "models",
                "indexes": [Index(fields=["establishment_id", "email"])],
                "pk_attr": "id",
                "table_description": "An access offered by an admin to an address that has no verified account yet (rule 6).",
            },
            bases=["Model"],
        ),
        ops.AddField(
            model_name="AdminAccessRequest",
            name="origin",
            field=fields.CharField(default="CONTACT_FORM", max_length=16),
        ),
        ops.AddField(
            model_name="Establishment",
            name="registered_by",
            field=fields.ForeignKeyField(
                "models.Account",
                source_field="registered_by_id",
                null=True,
                db_constraint=True,
                to_field="id",
                related_name="registered_establishments",
                on_delete=OnDelete.SET_NULL,
            ),
        ),
    ]
