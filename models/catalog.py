"""The public course catalog: courses and their dated sessions."""

from tortoise import fields
from tortoise.models import Model


class Course(Model):
    """A training course of the catalog, with its list price per trainee (excl. VAT)."""

    id = fields.IntField(primary_key=True)
    code = fields.CharField(max_length=20, unique=True)
    title = fields.CharField(max_length=200)
    summary = fields.TextField(default="")
    duration_days = fields.DecimalField(max_digits=4, decimal_places=1)
    list_price = fields.DecimalField(max_digits=10, decimal_places=2)
    # An inactive course stays in the history of past orders but leaves the public catalog.
    active = fields.BooleanField(default=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    sessions: fields.ReverseRelation["CourseSession"]

    class Meta:
        table = "course"


class CourseSession(Model):
    """A dated run of a course. `seats_booked` moves with a conditional UPDATE so that
    concurrent bookings can never exceed `capacity`, nor book a session that is not OPEN.

    `status` (`models.enums.SessionStatus`): OPEN takes bookings; CLOSED takes no more but
    runs with the orders it has; CANCELLED will not run (its orders were cancelled)."""

    id = fields.IntField(primary_key=True)
    course: fields.ForeignKeyRelation["Course"] = fields.ForeignKeyField(
        "models.Course", related_name="sessions"
    )
    course_id: int
    starts_on = fields.DateField()
    ends_on = fields.DateField()
    city = fields.CharField(max_length=100)
    capacity = fields.IntField()
    seats_booked = fields.IntField(default=0)
    status = fields.CharField(max_length=20, default="OPEN")
    closed_at = fields.DatetimeField(null=True)
    cancelled_at = fields.DatetimeField(null=True)

    class Meta:
        table = "course_session"
        indexes = (("course_id", "starts_on"),)
