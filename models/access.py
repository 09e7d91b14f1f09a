"""Accesses of accounts to establishments, admin access requests, known training managers."""

from tortoise import fields
from tortoise.models import Model

from models.enums import RequestOrigin, RequestStatus


class Access(Model):
    """The access of an account to one establishment (rules 6-8): ADMIN, or STANDARD limited to
    the document kinds listed in `document_kinds`."""

    id = fields.IntField(primary_key=True)
    account = fields.ForeignKeyField("models.Account", related_name="accesses")
    establishment = fields.ForeignKeyField("models.Establishment", related_name="accesses")
    role = fields.CharField(max_length=16)
    document_kinds: list[str] = fields.JSONField(default=list)  # type: ignore[assignment]
    granted_by = fields.ForeignKeyField(
        "models.Account", related_name="granted_accesses", null=True, on_delete=fields.SET_NULL
    )
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "access"
        unique_together = (("account", "establishment"),)
        indexes = (("establishment_id", "role"),)


class AdminAccessRequest(Model):
    """A request for admin rights filed through the contact form, decided by staff (rule 9)."""

    id = fields.IntField(primary_key=True)
    account = fields.ForeignKeyField("models.Account", related_name="admin_access_requests")
    establishment = fields.ForeignKeyField(
        "models.Establishment", related_name="admin_access_requests"
    )
    message = fields.TextField(default="")
    # CONTACT_FORM (requestAdminAccess) or SIGN_UP (a company sign-up with a known SIRET).
    origin = fields.CharField(max_length=16, default=RequestOrigin.CONTACT_FORM.value)
    status = fields.CharField(max_length=16, default=RequestStatus.PENDING.value)
    decided_by = fields.ForeignKeyField(
        "models.Account", related_name="decided_requests", null=True, on_delete=fields.SET_NULL
    )
    decided_at = fields.DatetimeField(null=True)
    decision_note = fields.TextField(default="")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "admin_access_request"
        indexes = (("status", "created_at"),)


class Invitation(Model):
    """An access offered by an admin to an address that has no verified account yet (rule 6).

    The access takes effect only when the owner of the address follows the link mailed to
    it (`acceptInvitation`): the link is the proof that the address is theirs. Only the
    SHA-256 of the link's token is stored.
    """

    id = fields.IntField(primary_key=True)
    establishment = fields.ForeignKeyField("models.Establishment", related_name="invitations")
    email = fields.CharField(max_length=254)
    role = fields.CharField(max_length=16)
    document_kinds: list[str] = fields.JSONField(default=list)  # type: ignore[assignment]
    token_hash = fields.CharField(max_length=64, unique=True)
    invited_by = fields.ForeignKeyField(
        "models.Account", related_name="invitations_sent", null=True, on_delete=fields.SET_NULL
    )
    created_at = fields.DatetimeField(auto_now_add=True)
    expires_at = fields.DatetimeField()
    accepted_at = fields.DatetimeField(null=True)
    accepted_by = fields.ForeignKeyField(
        "models.Account", related_name="invitations_accepted", null=True, on_delete=fields.SET_NULL
    )
    withdrawn_at = fields.DatetimeField(null=True)

    class Meta:
        table = "invitation"
        indexes = (("establishment_id", "email"),)


class TrainingManager(Model):
    """A training manager of a client, known in our records: admin of the establishment as soon
    as an account with this e-mail exists (rule 9)."""

    id = fields.IntField(primary_key=True)
    email = fields.CharField(max_length=254)
    establishment = fields.ForeignKeyField("models.Establishment", related_name="training_managers")
    full_name = fields.CharField(max_length=200, default="")
    imported_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "training_manager"
        unique_together = (("email", "establishment"),)
