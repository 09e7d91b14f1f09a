"""Enrollments (orders), their trainees, postponement requests and invoices."""

from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

from models.enums import DiscountSource, EnrollmentStatus, RequestStatus

if TYPE_CHECKING:
    from models.accounts import Account
    from models.catalog import CourseSession
    from models.companies import Establishment


class Enrollment(Model):
    """An order for one course session, for one or more trainees.

    `registrant_email` is the e-mail typed when enrolling, lower-cased: the history of an
    account is the enrollments whose registrant e-mail equals its login e-mail (rules 4, 5).
    """

    id = fields.IntField(primary_key=True)
    reference = fields.CharField(max_length=20, unique=True)
    session: fields.ForeignKeyRelation["CourseSession"] = fields.ForeignKeyField(
        "models.CourseSession", related_name="enrollments"
    )
    session_id: int
    establishment: fields.ForeignKeyNullableRelation["Establishment"] = fields.ForeignKeyField(
        "models.Establishment", related_name="enrollments", null=True
    )
    establishment_id: int | None
    placed_by: fields.ForeignKeyNullableRelation["Account"] = fields.ForeignKeyField(
        "models.Account", related_name="placed_enrollments", null=True, on_delete=fields.SET_NULL
    )
    placed_by_id: int | None
    registrant_email = fields.CharField(max_length=254)
    registrant_name = fields.CharField(max_length=200, default="")
    channel = fields.CharField(max_length=8)
    status = fields.CharField(max_length=24, default=EnrollmentStatus.PENDING_VALIDATION.value)
    seats = fields.IntField()
    list_price_total = fields.DecimalField(max_digits=12, decimal_places=2)
    net_price_total = fields.DecimalField(max_digits=12, decimal_places=2)
    discount_source = fields.CharField(max_length=24, default=DiscountSource.NONE.value)
    invoiced_total = fields.DecimalField(max_digits=12, decimal_places=2, default=0)
    booked_at = fields.DatetimeField()
    expected_validation_by = fields.DatetimeField()
    validated_at = fields.DatetimeField(null=True)
    cancelled_at = fields.DatetimeField(null=True)
    cancel_reason = fields.TextField(default="")
    updated_at = fields.DatetimeField(auto_now=True)
    # Reference, registrant, course and trainees, folded for searching (services.search).
    search_text = fields.TextField(default="", db_default="")

    class Meta:
        table = "enrollment"
        indexes = (
            ("registrant_email", "booked_at"),
            ("establishment_id", "booked_at"),
            ("status", "expected_validation_by"),
            ("updated_at", "id"),
        )


class Trainee(Model):
    """A person attending the session under an enrollment."""

    id = fields.IntField(primary_key=True)
    enrollment: fields.ForeignKeyRelation["Enrollment"] = fields.ForeignKeyField(
        "models.Enrollment", related_name="trainees"
    )
    enrollment_id: int
    first_name = fields.CharField(max_length=100)
    last_name = fields.CharField(max_length=100)
    email = fields.CharField(max_length=254, default="")

    class Meta:
        table = "trainee"


class PostponementRequest(Model):
    """A request of the registrant to move an enrollment to another session, answered by staff."""

    id = fields.IntField(primary_key=True)
    enrollment: fields.ForeignKeyRelation["Enrollment"] = fields.ForeignKeyField(
        "models.Enrollment", related_name="postponements"
    )
    enrollment_id: int
    requested_session: fields.ForeignKeyNullableRelation["CourseSession"] = fields.ForeignKeyField(
        "models.CourseSession", related_name="postponement_requests", null=True
    )
    requested_session_id: int | None
    message = fields.TextField(default="")
    status = fields.CharField(max_length=16, default=RequestStatus.PENDING.value)
    requested_by: fields.ForeignKeyNullableRelation["Account"] = fields.ForeignKeyField(
        "models.Account", related_name="postponement_requests", null=True
    )
    requested_by_id: int | None
    created_at = fields.DatetimeField(auto_now_add=True)
    answered_at = fields.DatetimeField(null=True)
    answer = fields.TextField(default="")

    class Meta:
        table = "postponement_request"


class Invoice(Model):
    """An invoice of an enrollment. The loyalty pass discount shows here, never at booking."""

    id = fields.IntField(primary_key=True)
    enrollment: fields.ForeignKeyRelation["Enrollment"] = fields.ForeignKeyField(
        "models.Enrollment", related_name="invoices"
    )
    enrollment_id: int
    number = fields.CharField(max_length=30, unique=True)
    amount = fields.DecimalField(max_digits=12, decimal_places=2)
    loyalty_discount_percent = fields.DecimalField(max_digits=5, decimal_places=2, default=0)
    loyalty_discount_amount = fields.DecimalField(max_digits=12, decimal_places=2, default=0)
    total = fields.DecimalField(max_digits=12, decimal_places=2)
    is_final = fields.BooleanField(default=False)
    issued_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "invoice"
