"""Parsing of the `ID` arguments clients send."""

from strawberry import ID

from services.errors import BadUserInput, Reason


def parse_id(value: ID | str | int, what: str = "id") -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise BadUserInput(
            "{field} must be a numeric ID.", field=what, reason=Reason.INVALID_ID
        ) from None
    if number <= 0 or number > 2**31 - 1:
        raise BadUserInput("{field} is out of range.", field=what, reason=Reason.INVALID_ID)
    return number
