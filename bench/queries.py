"""The GraphQL requests measured, and how answers are compared.

Answers are compared on what a user sees (total count; per row its reference, the document
kinds shown and the documents' file names and kinds), not byte for byte, so that a change of
id encoding or of field order does not break the comparison.
"""

from __future__ import annotations

from typing import Any

ENROLLMENT_FIELDS = """
  id reference status channel registrantEmail registrantName establishmentId seats
  listPriceTotal netPriceTotal discountSource invoicedTotal bookedAt expectedValidationBy
  validatedAt cancelledAt cancelReason courseCode courseTitle visibleDocumentKinds
  documents { id kind filename contentType size checksum createdAt }
"""

PAGE_QUERY = (
    "query Page($first: Int, $filter: EnrollmentFilter) {"
    " enrollments(first: $first, filter: $filter) {"
    " totalCount edges { node {" + ENROLLMENT_FIELDS + "} } } }"
)

# A small request: five rows of the 10-enrollment establishment, two fields each (case 5
# measures what a long export does to it, so its own SQL is kept cheap).
SMALL_QUERY = (
    "query Small($filter: EnrollmentFilter) { enrollments(first: 5, filter: $filter) {"
    " totalCount edges { node { id reference } } } }"
)


def small_body(site_id: int) -> dict[str, Any]:
    return {"query": SMALL_QUERY, "variables": {"filter": {"establishmentId": str(site_id)}}}


def variables(site_id: int | None, first: int) -> dict[str, Any]:
    if site_id is None:
        return {"first": first}
    return {"first": first, "filter": {"establishmentId": str(site_id)}}


def page_body(site_id: int | None, first: int) -> dict[str, Any]:
    return {"query": PAGE_QUERY, "variables": variables(site_id, first)}


Seen = tuple[int, tuple[tuple[str, tuple[str, ...], tuple[tuple[str, str], ...]], ...]]


def seen(answer: dict[str, Any]) -> Seen:
    """What a user sees of a page answer (raises on GraphQL errors)."""
    if answer.get("errors"):
        raise AssertionError(f"errors: {answer['errors']}")
    connection = answer["data"]["enrollments"]
    return (
        connection["totalCount"],
        tuple(
            (
                edge["node"]["reference"],
                tuple(edge["node"]["visibleDocumentKinds"]),
                tuple((d["filename"], d["kind"]) for d in edge["node"]["documents"]),
            )
            for edge in connection["edges"]
        ),
    )
