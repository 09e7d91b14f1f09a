"""The `Upload` scalar, strict: only a file part of a multipart request is a file.

Strawberry's own `Upload` passes any value through, so `file: "abc"` in a JSON request reached
resolvers as a string and failed there as an internal error (found by tests/test_fuzz.py).
Here a string, number or object is refused as `BAD_USER_INPUT` before any resolver runs.
"""

from __future__ import annotations

from typing import Any

from graphql import ValueNode
from strawberry.file_uploads import Upload
from strawberry.types.scalar import ScalarDefinition, scalar

NOT_A_FILE = "Send the file as a part of a multipart request (GraphQL multipart request spec)."


def _file_only(value: Any) -> Any:
    if not (hasattr(value, "read") and hasattr(value, "filename")):
        raise ValueError(NOT_A_FILE)
    return value


def _no_literal(node: ValueNode, variables: dict[str, Any] | None = None) -> Any:
    raise ValueError(NOT_A_FILE)


STRICT_UPLOAD: ScalarDefinition = scalar(
    name="Upload",
    description="Represents a file upload.",
    serialize=lambda value: value,
    parse_value=_file_only,
    parse_literal=_no_literal,
)

# For `StrawberryConfig(scalar_map=...)`.
SCALAR_MAP: dict[object, ScalarDefinition] = {Upload: STRICT_UPLOAD}
