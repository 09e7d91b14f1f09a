"""Text typed by people: what any string may hold, and the stricter rules for names.

Any string we store must be encodable (no lone surrogate, which JSON can carry but UTF-8
cannot) and storable (no NUL byte, which PostgreSQL refuses in text). Names shown to other
people also refuse invisible and direction-changing characters (U+202E makes
"Evil\u202egnp.exe" read as "Evilexe.png"), control characters and unassigned code points.

Lengths come from the models: `column_length(Trainee, "first_name")` is the one source of
truth, so a check can never allow more than the column holds.
"""

from __future__ import annotations

import unicodedata

from tortoise.models import Model

from services.errors import BadUserInput, Reason

# Unicode categories refused in names: controls, formats (bidi controls, zero-width
# characters, BOM), surrogates, private use, unassigned.
_NAME_FORBIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn"})


def column_length(model: type[Model], field: str) -> int:
    """The `max_length` of a model's character field."""
    length = model._meta.fields_map[field].max_length  # type: ignore[attr-defined]
    assert isinstance(length, int), f"{model.__name__}.{field} has no max_length"
    return length


def unstorable_character(value: str) -> str | None:
    """Why `value` cannot be stored as text, or None: a NUL byte or a lone surrogate."""
    if "\x00" in value:
        return "must not contain a NUL character"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "must be valid Unicode (it holds a lone surrogate)"
    return None


def check_storable(value: str, field: str) -> None:
    """BAD_USER_INPUT naming `field` when `value` cannot be stored as text."""
    problem = unstorable_character(value)
    if problem:
        raise BadUserInput(
            "This field holds a character that cannot be stored (a NUL or a lone surrogate).",
            field=field,
            reason=Reason.INVALID_CHARACTERS,
        )


def clean_text(value: str | None, field: str, *, required: bool, max_length: int) -> str:
    """Whitespace collapsed, NFC, storable, at most `max_length` characters."""
    check_storable(value or "", field)
    cleaned = unicodedata.normalize("NFC", " ".join((value or "").split()))
    if required and not cleaned:
        raise BadUserInput("This field is required.", field=field, reason=Reason.REQUIRED)
    if len(cleaned) > max_length:
        raise BadUserInput(
            "At most {maxLength} characters.",
            field=field,
            maxLength=max_length,
            reason=Reason.TOO_LONG,
        )
    return cleaned


def clean_name(value: str | None, field: str, *, required: bool, max_length: int) -> str:
    """`clean_text`, refusing invisible, direction-changing and control characters."""
    cleaned = clean_text(value, field, required=required, max_length=max_length)
    if any(unicodedata.category(char) in _NAME_FORBIDDEN_CATEGORIES for char in cleaned):
        raise BadUserInput(
            "Names cannot hold invisible, control or direction-changing characters.",
            field=field,
            reason=Reason.INVALID_CHARACTERS,
        )
    return cleaned
