from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0002_email_verification')]

    initial = False

    operations = [
        ops.AddIndex(
            model_name='Document',
            index=Index(fields=['enrollment_id', 'created_at']),
        ),
    ]
