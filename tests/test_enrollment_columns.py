"""A new enrollment column touches two product files, the model and `EnrollmentRow` (plus its
migration): the page's `SELECT` and the GraphQL `Enrollment` type both derive from the row."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated

import strawberry
from strawberry.schema.name_converter import NameConverter
from strawberry.types.base import get_object_definition

from models.enrollments import Enrollment
from schema import build_schema
from schema.enrollments import EnrollmentType
from schema.row_fields import row_values, with_row_fields
from services import history
from services.history import SHOWN, EnrollmentRow, shown

# Columns of the model the API does not show as such: the session is `session` (an object),
# `placed_by` is not shown to anyone, `search_text` is what `filter: {search:}` reads.
NOT_ROW_COLUMNS = {"session_id", "placed_by_id", "search_text"}
# Attributes of the row that are not columns of `enrollment`.
NOT_COLUMNS = {"session", "kinds"}


def _row_attributes() -> set[str]:
    return {f.name for f in dataclasses.fields(EnrollmentRow)}


def test_every_column_of_the_model_is_an_attribute_of_the_row() -> None:
    columns = set(Enrollment._meta.fields_db_projection)
    assert columns >= NOT_ROW_COLUMNS
    assert columns - NOT_ROW_COLUMNS == _row_attributes() - NOT_COLUMNS


def test_every_column_of_the_row_is_selected_and_a_field_of_the_graphql_type() -> None:
    columns = _row_attributes() - NOT_COLUMNS
    assert set(history._ENROLLMENT_COLUMNS) == columns
    sdl_type = build_schema()._schema.type_map["Enrollment"]
    names = NameConverter()
    graphql_fields = {
        f.python_name for f in get_object_definition(EnrollmentType, strict=True).fields
    }
    assert columns <= graphql_fields
    for field in dataclasses.fields(EnrollmentRow):
        if SHOWN in field.metadata:  # shown as it is, with the row's description
            graphql = sdl_type.fields[names.apply_naming_config(field.name)]
            assert graphql.description == field.metadata[SHOWN]


@dataclasses.dataclass(slots=True)
class RowWithANewColumn(EnrollmentRow):
    """What `EnrollmentRow` becomes when a column is added to it."""

    loyalty_code: str = dataclasses.field(metadata=shown("The loyalty card shown at booking."))


@strawberry.type(name="Enrollment")
@with_row_fields(RowWithANewColumn, SHOWN)
class Thrown:
    id: strawberry.ID = strawberry.field(description="Identifier.")


def test_a_column_added_to_the_row_is_a_field_of_the_type_with_its_value() -> None:
    values = row_values(RowWithANewColumn, SHOWN)
    row = RowWithANewColumn(
        id=7,
        reference="DEMO-0007",
        status="VALIDATED",
        channel="WEB",
        registrant_email="anne@example.com",
        registrant_name="Anne",
        establishment_id=None,
        seats=1,
        list_price_total=Decimal("10.00"),
        net_price_total=Decimal("9.00"),
        discount_source="NONE",
        invoiced_total=Decimal("0"),
        booked_at=datetime(2026, 1, 5, tzinfo=UTC),
        expected_validation_by=datetime(2026, 1, 6, tzinfo=UTC),
        validated_at=None,
        cancelled_at=None,
        cancel_reason="",
        updated_at=datetime(2026, 1, 5, tzinfo=UTC),
        session=None,  # type: ignore[arg-type]
        kinds={},
        loyalty_code="GOLD-42",
    )

    @strawberry.type
    class Query:
        @strawberry.field(description="One.")
        def one(self) -> Annotated[Thrown, strawberry.lazy("tests.test_enrollment_columns")]:
            return Thrown(id=strawberry.ID("7"), **values(row))

    schema = strawberry.Schema(query=Query)
    assert '"""The loyalty card shown at booking."""\n  loyaltyCode: String!' in schema.as_str()
    answer = schema.execute_sync("{ one { id reference loyaltyCode seatsLeft: seats } }")
    assert answer.errors is None
    assert answer.data == {
        "one": {"id": "7", "reference": "DEMO-0007", "loyaltyCode": "GOLD-42", "seatsLeft": 1}
    }
