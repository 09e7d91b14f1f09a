"""`espace catalog import FILE.csv`: run as the real command on the test database (and the
service it calls, for the finer cases)."""

from __future__ import annotations

import asyncio
import os
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path

from models.audit import AuditEntry
from models.catalog import Course, CourseSession
from services.catalog import import_catalog
from tests import factories

REPOSITORY = Path(__file__).resolve().parent.parent

GOOD = """course_code,course_title,list_price,duration_days,summary,starts_on,ends_on,city,capacity
NEG-200,Négocier,1200.00,2,"Préparer, conduire, conclure.",2027-09-06,2027-09-07,Lyon,12
NEG-200,Négocier,1200.00,2,"Préparer, conduire, conclure.",2027-10-04,,Paris,10
XLS-010,Excel avancé,590,1,,,,,
"""


async def espace(*args: str) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        "from commands import main; main()",
        *args,
        cwd=REPOSITORY,
        env=dict(os.environ),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def _snapshot() -> list[tuple]:
    courses = await Course.all().order_by("code").values_list("code", "title", "list_price")
    sessions = (
        await CourseSession.all()
        .order_by("starts_on")
        .values_list("course__code", "starts_on", "ends_on", "city", "capacity")
    )
    return [*courses, *sessions]


async def test_import_dry_run_then_import_then_again_changes_nothing(tmp_dir: Path):
    path = tmp_dir / "catalog.csv"
    path.write_text(GOOD, encoding="utf-8")

    code, out, err = await espace("catalog", "import", str(path), "--dry-run")
    assert code == 0, err
    assert "line 2: create course NEG-200 (Négocier)" in out
    assert "line 3: create session NEG-200 2027-10-04 Paris" in out
    assert "Dry run, nothing written" in out
    assert "2 course(s) created" in out and "2 session(s) created" in out
    assert await _snapshot() == []

    code, out, err = await espace("catalog", "import", str(path))
    assert code == 0, err
    assert "Imported: 2 course(s) created" in out
    first = await _snapshot()
    assert first == [
        ("NEG-200", "Négocier", Decimal("1200.00")),
        ("XLS-010", "Excel avancé", Decimal("590.00")),
        ("NEG-200", date(2027, 9, 6), date(2027, 9, 7), "Lyon", 12),
        ("NEG-200", date(2027, 10, 4), date(2027, 10, 5), "Paris", 10),  # from the length
    ]
    assert await AuditEntry.filter(action="catalog.imported").count() == 1

    code, out, err = await espace("catalog", "import", str(path))
    assert code == 0, err
    assert "0 course(s) created, 0 updated; 0 session(s) created, 0 updated" in out
    assert await _snapshot() == first
    assert await AuditEntry.filter(action="catalog.imported").count() == 1


async def test_bad_rows_are_reported_with_line_column_and_reason_and_nothing_is_written(
    tmp_dir: Path,
):
    path = tmp_dir / "bad.csv"
    path.write_text(
        GOOD
        + "BAD CODE!,Titre,100,1,,,,,\n"
        + "NEG-300,Autre,abc,1,,,,,\n"
        + "NEG-301,Autre,100,1,,2027-13-01,,Lyon,5\n"
        + "NEG-302,Autre,100,1,,2027-09-01,,Lyon,\n"
        + "NEG-200,Négocier autrement,1200.00,2,,,,,\n"
        + "NEG-200,Négocier,1200.00,2,,2027-09-06,,lyon,3\n",
        encoding="utf-8",
    )
    code, _out, err = await espace("catalog", "import", str(path))
    assert code == 1
    assert "bad.csv: line 5, column course_code: A course code is" in err
    assert "line 6, column list_price: Not a number." in err
    assert "line 7, column starts_on: Not a date" in err
    assert "line 8, column capacity: This field is required." in err
    assert "line 9, column course_title: Course NEG-200 is described differently on line 2" in err
    assert "line 10, column starts_on: Same session as line 2." in err
    assert "6 bad value(s): nothing imported." in err
    assert await _snapshot() == []
    assert await AuditEntry.all().count() == 0


async def test_the_header_is_checked():
    report = await import_catalog("code,title\nA,B\n")
    assert [str(e) for e in report.errors][:2] == [
        "line 1, column course_code: This column is missing from the header line.",
        "line 1, column course_title: This column is missing from the header line.",
    ]
    assert any(e.column == "code" and "Unknown column" in e.reason for e in report.errors)


async def test_an_import_updates_by_key_and_never_lowers_capacity_below_seats_booked():
    session = await factories.course_session(code="NEG-200", capacity=20)
    await CourseSession.filter(id=session.id).update(seats_booked=8)
    start = session.starts_on.isoformat()
    header = "course_code;course_title;list_price;duration_days;starts_on;city;capacity\n"
    course = await Course.get(id=session.course_id)  # type: ignore[attr-defined]
    same = f"NEG-200;{course.title};1000.00;2;{start};LYON;"

    too_low = await import_catalog(header + same + "5\nNEW-1;Nouveau;10;1;;;\n")
    assert [str(e) for e in too_low.errors] == [
        "line 2, column capacity: 8 seat(s) are booked on this session: the capacity "
        "cannot be lower."
    ]
    assert await Course.filter(code="NEW-1").count() == 0  # the good row was not written
    assert (await CourseSession.get(id=session.id)).capacity == 20

    raised = await import_catalog(header + same + "30\n")
    assert raised.errors == [] and raised.sessions_updated == 1 and raised.sessions_created == 0
    assert (await CourseSession.get(id=session.id)).capacity == 30
    assert raised.changes == [f"line 2: update session NEG-200 {start} LYON: capacity 20 -> 30"]


async def test_dry_run_writes_nothing():
    report = await import_catalog(GOOD, dry_run=True)
    assert report.courses_created == 2 and report.sessions_created == 2
    assert await _snapshot() == []
    assert await AuditEntry.all().count() == 0
