"""The formats of the `Date`, `DateTime` and `Decimal` scalars, written in the schema.

Strawberry's own definitions (same parsing and serialization) with descriptions that tell a
front end what it receives and what it may send.
"""

from __future__ import annotations

import dataclasses
import datetime
import decimal

from strawberry.schema.types.base_scalars import (
    DateDefinition,
    DateTimeDefinition,
    DecimalDefinition,
)
from strawberry.types.scalar import ScalarDefinition

DATE = dataclasses.replace(
    DateDefinition,
    description="A calendar date, ISO 8601 `YYYY-MM-DD` (for example `2027-03-15`), without "
    "time or time zone. Sent and received in that form only.",
    specified_by_url="https://www.rfc-editor.org/rfc/rfc3339#section-5.6",
)

DATE_TIME = dataclasses.replace(
    DateTimeDefinition,
    description="An instant, ISO 8601 / RFC 3339 date and time with its UTC offset. Answers "
    "are in UTC: `2027-03-15T09:30:00+00:00`, with microseconds when they are not zero "
    "(`2027-03-15T09:30:00.250000+00:00`). Send it with an offset (`Z` or `+01:00`).",
    specified_by_url="https://www.rfc-editor.org/rfc/rfc3339#section-5.6",
)

DECIMAL = dataclasses.replace(
    DecimalDefinition,
    description="An exact decimal number, as a JSON string with `.` as the decimal separator "
    'and no thousands separator (for example `"1250.00"`: amounts in euros keep two '
    "decimals, percentages as stored). Never a float: parse it with a decimal library. As "
    "input, a string is preferred; a JSON number is read through its text.",
)

SCALAR_FORMATS: dict[object, ScalarDefinition] = {
    datetime.date: DATE,
    datetime.datetime: DATE_TIME,
    decimal.Decimal: DECIMAL,
}
