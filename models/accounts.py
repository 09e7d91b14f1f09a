"""Accounts, their login sessions and their one-time e-mailed tokens."""

from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

from models.enums import AccountKind, Language

if TYPE_CHECKING:
    from models.companies import Company


class Account(Model):
    """A person who can sign in. The login e-mail is stored lower-cased, hence unique
    case-insensitively; it is also the key of the enrollment history (rule 4)."""

    id = fields.IntField(primary_key=True)
    email = fields.CharField(max_length=254, unique=True)
    password_hash = fields.CharField(max_length=255, null=True)
    kind = fields.CharField(max_length=16, default=AccountKind.INDIVIDUAL.value)
    full_name = fields.CharField(max_length=200, default="")
    phone = fields.CharField(max_length=40, default="")
    language = fields.CharField(max_length=2, default=Language.FR.value)
    # When the person proved they receive mail at `email` (an e-mailed link). Until then
    # the history matched by e-mail stays hidden (rule 4).
    email_verified_at = fields.DatetimeField(null=True)
    is_staff = fields.BooleanField(default=False)
    is_training_manager = fields.BooleanField(default=False)
    company: fields.ForeignKeyNullableRelation["Company"] = fields.ForeignKeyField(
        "models.Company", related_name="accounts", null=True, on_delete=fields.SET_NULL
    )
    company_id: int | None
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "account"


class LoginSession(Model):
    """A signed-in session. Only the SHA-256 of the bearer token is stored."""

    id = fields.IntField(primary_key=True)
    account: fields.ForeignKeyRelation["Account"] = fields.ForeignKeyField(
        "models.Account", related_name="sessions"
    )
    account_id: int
    token_hash = fields.CharField(max_length=64, unique=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    last_seen_at = fields.DatetimeField()
    expires_at = fields.DatetimeField()
    ended_at = fields.DatetimeField(null=True)
    client_address = fields.CharField(max_length=64, default="")

    class Meta:
        table = "login_session"
        indexes = (("account_id", "ended_at"),)


class OneTimeToken(Model):
    """A single-use link token (password reset, first password), stored hashed."""

    id = fields.IntField(primary_key=True)
    account: fields.ForeignKeyRelation["Account"] = fields.ForeignKeyField(
        "models.Account", related_name="one_time_tokens"
    )
    account_id: int
    purpose = fields.CharField(max_length=32)
    # Also e-mail verification and e-mail change links, which prove an address: the
    # address they were mailed to (the login e-mail, or the new one of a pending change).
    email = fields.CharField(max_length=254, null=True)
    token_hash = fields.CharField(max_length=64, unique=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    expires_at = fields.DatetimeField()
    used_at = fields.DatetimeField(null=True)

    class Meta:
        table = "one_time_token"
