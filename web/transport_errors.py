"""Requests refused before any GraphQL runs still get a GraphQL answer.

A body that is not JSON, a batch (off), a request over the size limit, a cross-site
multipart request: each answers `{"errors": [{"message": ..., "extensions": {"code": ...}}]}`
with its HTTP status, so a client reads every refusal the same way.

Multipart requests (file uploads) are the one kind of POST a browser sends cross-site
without a CORS preflight: a page elsewhere could make a signed-in browser post a form to
`/graphql`. Such a request must carry a header only scripts can add, which forces a
preflight: `Apollo-Require-Preflight` or `X-Apollo-Operation-Name` (what Apollo and urql
upload clients already send), or `GraphQL-Require-Preflight`.
"""

from __future__ import annotations

from collections.abc import Mapping

from starlette.responses import JSONResponse

PREFLIGHT_HEADERS = (
    "apollo-require-preflight",
    "x-apollo-operation-name",
    "graphql-require-preflight",
)
# HTTP statuses of refusals, and the contract code each answers with.
CODES = {404: "NOT_FOUND", 413: "BAD_USER_INPUT"}


def error_response(
    message: str, status_code: int, code: str | None = None, **extensions: object
) -> JSONResponse:
    """A GraphQL-shaped error answer with `extensions.code`."""
    body = {
        "errors": [
            {
                "message": message,
                "extensions": {
                    "code": code or CODES.get(status_code, "BAD_USER_INPUT"),
                    **extensions,
                },
            }
        ]
    }
    return JSONResponse(body, status_code=status_code)


def has_preflight_header(headers: Mapping[str, str]) -> bool:
    """Whether the request carries a header that made the browser ask first (CORS)."""
    return any(headers.get(name, "").strip() for name in PREFLIGHT_HEADERS)
