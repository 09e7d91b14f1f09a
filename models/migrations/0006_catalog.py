from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields


class Migration(migrations.Migration):
    dependencies = [("models", "0005_storage")]

    initial = False

    operations = [
        ops.AddField(
            model_name="Course",
            name="active",
            field=fields.BooleanField(default=True),
        ),
        ops.AddField(
            model_name="CourseSession",
            name="cancelled_at",
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name="CourseSession",
            name="closed_at",
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name="CourseSession",
            name="status",
            field=fields.CharField(default="OPEN", max_length=20),
        ),
    ]
