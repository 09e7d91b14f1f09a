from tortoise import fields, migrations
from tortoise.indexes import Index
from tortoise.migrations import operations as ops


async def fill_search_text(apps, schema_editor) -> None:
    """Existing enrollments get their folded search text (see services.search)."""
    from services.search import search_text

    client = schema_editor.client
    _, enrollments = await client.execute_query(
        'SELECT e."id", e."reference", e."registrant_email", e."registrant_name", '
        'c."code", c."title" FROM "enrollment" e '
        'JOIN "course_session" s ON s."id" = e."session_id" '
        'JOIN "course" c ON c."id" = s."course_id"'
    )
    _, trainees = await client.execute_query(
        'SELECT "enrollment_id", "first_name", "last_name" FROM "trainee"'
    )
    names: dict[int, list[str]] = {}
    for t in trainees:
        names.setdefault(t["enrollment_id"], []).extend([t["first_name"], t["last_name"]])
    mark = "$1" if client.capabilities.dialect == "postgres" else "?"
    mark2 = "$2" if client.capabilities.dialect == "postgres" else "?"
    for e in enrollments:
        text = search_text(
            [
                e["reference"],
                e["registrant_email"],
                e["registrant_name"],
                e["code"],
                e["title"],
                *names.get(e["id"], []),
            ]
        )
        await client.execute_query(
            f'UPDATE "enrollment" SET "search_text" = {mark} WHERE "id" = {mark2}',
            [text, e["id"]],
        )


class Migration(migrations.Migration):
    dependencies = [("models", "0006_catalog")]

    initial = False

    operations = [
        ops.AddField(
            model_name="Enrollment",
            name="search_text",
            field=fields.TextField(default="", db_default="", unique=False),
        ),
        ops.AddIndex(
            model_name="Enrollment",
            index=Index(fields=["updated_at", "id"]),
        ),
        ops.RunPython(fill_search_text, ops.RunPython.noop),
    ]
