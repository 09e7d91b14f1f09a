"""Companies, their establishments, framework agreements and loyalty passes."""

from tortoise import fields
from tortoise.models import Model


class Company(Model):
    """A customer company. Its sites are establishments."""

    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=200)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "company"


class Establishment(Model):
    """A site of a company, identified by its 14-digit SIRET number."""

    id = fields.IntField(primary_key=True)
    company = fields.ForeignKeyField("models.Company", related_name="establishments")
    siret = fields.CharField(max_length=14, unique=True)
    name = fields.CharField(max_length=200)
    address = fields.CharField(max_length=300, default="")
    city = fields.CharField(max_length=100, default="")
    # The account that registered this establishment when signing up with a SIRET new to
    # us: its first registrant, who may book for it before anyone has an access (rule 9).
    registered_by = fields.ForeignKeyField(
        "models.Account",
        related_name="registered_establishments",
        null=True,
        on_delete=fields.SET_NULL,
    )
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "establishment"


class FrameworkAgreement(Model):
    """Negotiated discount of a company (rule 10). `discount_percent` is what customers see,
    changes wait in `pending_discount_percent` until the weekend price update applies them."""

    id = fields.IntField(primary_key=True)
    company = fields.OneToOneField("models.Company", related_name="framework_agreement")
    reference = fields.CharField(max_length=40, unique=True)
    discount_percent = fields.DecimalField(max_digits=5, decimal_places=2)
    pending_discount_percent = fields.DecimalField(max_digits=5, decimal_places=2, null=True)
    pending_since = fields.DatetimeField(null=True)
    prices_updated_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "framework_agreement"


class LoyaltyPass(Model):
    """Pass Fidélité: a discount applied on invoices only, never when enrolling (rule 11)."""

    id = fields.IntField(primary_key=True)
    company = fields.ForeignKeyField("models.Company", related_name="loyalty_passes")
    discount_percent = fields.DecimalField(max_digits=5, decimal_places=2)
    valid_from = fields.DateField()
    valid_until = fields.DateField()

    class Meta:
        table = "loyalty_pass"
