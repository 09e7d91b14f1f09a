"""Parsing of the `ID` arguments clients send."""

from strawberry import ID

from services.errors import BadUserInput


def parse_id(value: ID | str | int, what: str = "id") -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise BadUserInput(f"{what} must be a numeric ID.", field=what) from None
    if number <= 0 or number > 2**31 - 1:
        raise BadUserInput(f"{what} is out of range.", field=what)
    return number
