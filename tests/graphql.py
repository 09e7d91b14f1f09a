"""Helpers to talk to the API as a front end would: POST /graphql with JSON."""

from __future__ import annotations

from typing import Any

import httpx


class GraphQLResult:
    """A GraphQL response, with the helpers tests need to read it."""

    def __init__(self, response: httpx.Response) -> None:
        self.status_code = response.status_code
        self.body: dict[str, Any] = response.json()
        self.data: dict[str, Any] | None = self.body.get("data")
        self.errors: list[dict[str, Any]] = self.body.get("errors") or []

    @property
    def codes(self) -> list[str]:
        return [e.get("extensions", {}).get("code") for e in self.errors]

    def error_at(self, *path: str | int) -> dict[str, Any] | None:
        for error in self.errors:
            if tuple(error.get("path") or ()) == path:
                return error
        return None

    def code_at(self, *path: str | int) -> str | None:
        error = self.error_at(*path)
        return error.get("extensions", {}).get("code") if error else None

    def ok(self) -> dict[str, Any]:
        assert not self.errors, self.errors
        assert self.data is not None
        return self.data


async def gql(
    client: httpx.AsyncClient,
    query: str,
    variables: dict[str, Any] | None = None,
    token: str | None = None,
    **headers: str,
) -> GraphQLResult:
    request_headers = dict(headers)
    if token:
        request_headers["Authorization"] = f"Bearer {token}"
    response = await client.post(
        "/graphql", json={"query": query, "variables": variables or {}}, headers=request_headers
    )
    return GraphQLResult(response)
