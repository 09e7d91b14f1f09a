"""The Date, DateTime and Decimal scalars say their format in the schema, and the API keeps
to what they say."""

from __future__ import annotations

import re
from datetime import datetime

from schema import build_schema
from tests import factories
from tests.graphql import gql
from tests.test_customer_uploads import remi_and_his_order, upload
from tests.test_documents import pdf_bytes

DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
DATE_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{6})?\+00:00")
AMOUNT = re.compile(r"-?\d+\.\d{2}")


def test_each_scalar_describes_its_format():
    sdl = build_schema().as_str()

    for name, example in [
        ("Date", "YYYY-MM-DD"),
        ("DateTime", "UTC offset"),
        ("Decimal", "JSON string"),
    ]:
        match = re.search(rf'"""\n?(.*?)\n?"""\nscalar {name}\b', sdl, re.S)
        assert match, name
        assert example in match.group(1), name


async def test_values_keep_to_the_documented_formats(client):
    await factories.course_session(price="1250.5")
    token, order = await remi_and_his_order()
    uploaded = await upload(client, token, order.id, "SIGNED_QUOTE", pdf_bytes("BPA"))
    created_at = uploaded.ok()["uploadEnrollmentDocument"]
    result = await gql(
        client,
        "query($id: ID!) { courses { listPrice sessions { startsOn } }"
        " document(id: $id) { createdAt } }",
        {"id": created_at["id"]},
        token,
    )

    data = result.ok()
    prices = [course["listPrice"] for course in data["courses"]]
    assert "1250.50" in prices
    assert all(AMOUNT.fullmatch(price) for price in prices), prices
    starts = [s["startsOn"] for course in data["courses"] for s in course["sessions"]]
    assert starts
    assert all(DATE.fullmatch(day) for day in starts), starts
    stamp = data["document"]["createdAt"]
    assert DATE_TIME.fullmatch(stamp), stamp
    assert datetime.fromisoformat(stamp).utcoffset().total_seconds() == 0
