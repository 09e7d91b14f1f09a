"""Search that ignores case and accents, on SQLite and PostgreSQL alike (issue 17).

Each enrollment keeps `search_text`: its reference, registrant e-mail and name, course code
and title and its trainees' names, folded (lower case, accents removed) by `fold`. A search
folds the term the same way and filters `search_text LIKE '%term%'` in SQL, so `equipe`
finds `Manager une équipe` on both databases without an extension or a database function.
The column is written with the enrollment (`refresh_search_text`) and again whenever what it
folds changes: a new session (postponement), a renamed course.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence

from models.enrollments import Enrollment, Trainee


def fold(text: str) -> str:
    """Lower case, accents and ligatures removed, spaces collapsed: `Équipe` -> `equipe`."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(bare.split())


def search_text(parts: Iterable[str]) -> str:
    """What an enrollment is found by, folded."""
    return fold(" ".join(part for part in parts if part))


async def refresh_search_text(enrollment_ids: Sequence[int]) -> None:
    """Recompute `search_text` of these enrollments from the database (two reads, then one
    UPDATE per row; `updated_at` is left alone: nothing the customer sees changed)."""
    if not enrollment_ids:
        return
    ids = list(enrollment_ids)
    rows = await Enrollment.filter(id__in=ids).values(
        "id",
        "reference",
        "registrant_email",
        "registrant_name",
        "session__course__code",
        "session__course__title",
    )
    names: dict[int, list[str]] = {i: [] for i in ids}
    for trainee in await Trainee.filter(enrollment_id__in=ids).values(
        "enrollment_id", "first_name", "last_name"
    ):
        names[trainee["enrollment_id"]] += [trainee["first_name"], trainee["last_name"]]
    for row in rows:
        text = search_text(
            [
                row["reference"],
                row["registrant_email"],
                row["registrant_name"],
                row["session__course__code"],
                row["session__course__title"],
                *names[row["id"]],
            ]
        )
        await Enrollment.filter(id=row["id"]).update(search_text=text)


async def refresh_course(course_id: int) -> None:
    """After a course's code or title changed: its enrollments are found by the new ones."""
    ids = await Enrollment.filter(session__course_id=course_id).values_list("id", flat=True)
    await refresh_search_text(list(ids))  # type: ignore[arg-type]
