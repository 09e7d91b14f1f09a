"""The queries of the README's "For front-end developers" section run as written."""

from __future__ import annotations

import re

from commands.demo_data import seed_demo
from models.accounts import Account
from settings import PROJECT_DIR
from tests import factories
from tests.graphql import gql


def _section_queries() -> list[str]:
    text = (PROJECT_DIR / "README.md").read_text()
    section = text.split("## For front-end developers", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```graphql\n(.*?)```", section, flags=re.S)


async def test_the_readme_queries_run_as_written(client):
    queries = _section_queries()
    assert len(queries) >= 2
    await seed_demo()
    token = await factories.token_for(await Account.get(email="claire.admin@acme.example"))
    for query in queries:
        result = await gql(client, query, token=token)
        assert result.ok(), query
    curl = (PROJECT_DIR / "README.md").read_text().split("/exports/enrollments.csv?", 1)[1]
    params = curl.split('"', 1)[0]
    response = await client.get(
        f"/exports/enrollments.csv?{params}", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 200
    assert response.text.startswith("reference,status")
