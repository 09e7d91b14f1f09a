"""Mistakes the type checker must refuse; never imported or run.

`tests/test_type_checking.py` runs mypy, with the project's settings, on this file and expects
exactly the errors marked `# expect: <code>`. An enrollment reaches the schema as an
`EnrollmentRow` (plain values read in one query), while services work on the Tortoise
`Enrollment` model: passing one where the other is expected must not go unnoticed.
"""

from models.enrollments import Enrollment
from schema.enrollments import EnrollmentType
from services.history import EnrollmentRow, encode_cursor


def session_of(enrollment: Enrollment) -> int:
    return enrollment.session_id  # declared on the model: fine


def model_where_a_row_is_expected(enrollment: Enrollment) -> EnrollmentType:
    encode_cursor(enrollment)  # expect: arg-type
    return EnrollmentType.from_model(enrollment, [])  # expect: arg-type


def row_where_a_model_is_expected(row: EnrollmentRow) -> int:
    return session_of(row)  # expect: arg-type


def model_attribute_on_a_row(row: EnrollmentRow) -> int:
    return row.session_id  # expect: attr-defined


def nullable_foreign_key(enrollment: Enrollment) -> int:
    return enrollment.establishment_id  # expect: return-value


def untyped(row):  # expect: no-untyped-def
    return row
