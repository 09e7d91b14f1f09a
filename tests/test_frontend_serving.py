"""How the server serves the web front end: its pages (every page path answers index.html,
including the mailed links), its files under /assets, the CSP of each kind of answer, and the
API routes left untouched by the page route."""

from __future__ import annotations

import re

from settings import PROJECT_DIR
from web.security_headers import FRONTEND_CSP, GRAPHIQL_CSP, STRICT_CSP

MAILED_LINKS = ["/verify-email", "/reset-password", "/confirm-email-change", "/accept-invitation"]


async def test_every_page_path_answers_the_front_end_with_its_strict_csp(client):
    for path in ["/", "/history", "/enrollments/12", *[f"{p}?token=abc" for p in MAILED_LINKS]]:
        response = await client.get(path)
        assert response.status_code == 200, path
        assert response.headers["content-type"].startswith("text/html")
        assert '<script type="module" src="/assets/app.js"></script>' in response.text
        assert response.headers["content-security-policy"] == FRONTEND_CSP
    assert "script-src 'self';" in FRONTEND_CSP and "'unsafe-inline'" not in FRONTEND_CSP
    assert "connect-src 'self'" in FRONTEND_CSP and "frame-ancestors 'none'" in FRONTEND_CSP


def test_the_html_has_no_inline_script_or_style():
    html = (PROJECT_DIR / "frontend" / "index.html").read_text()
    assert not re.search(r"<script(?![^>]*\bsrc=)", html)
    assert "<style" not in html and " style=" not in html and "onclick" not in html


async def test_assets_are_served_with_their_types(client):
    script = await client.get("/assets/app.js")
    assert script.status_code == 200
    assert script.headers["content-type"].startswith("text/javascript")
    css = await client.get("/assets/style.css")
    assert css.headers["content-type"].startswith("text/css")
    operation = await client.get("/assets/operations/Viewer.graphql")
    assert operation.status_code == 200 and "query Viewer" in operation.text
    assert operation.headers["content-type"].startswith("text/plain")
    assert (await client.get("/assets/no-such-file.js")).status_code == 404
    assert (await client.get("/assets/../server.py")).status_code == 404


async def test_api_routes_are_not_taken_by_the_page_route(client):
    graphiql = await client.get("/graphql", headers={"Accept": "text/html"})
    assert graphiql.headers["content-security-policy"] == GRAPHIQL_CSP  # dev: GraphiQL's own
    health = await client.get("/healthz")
    assert health.json()["status"] == "ok"
    assert health.headers["content-security-policy"] == STRICT_CSP
    assert (await client.get("/documents/1")).status_code in (403, 404)
    assert (await client.get("/server.py")).status_code == 404  # a dot: not a page path
    assert (await client.get("/History")).status_code == 404
    assert (await client.get("/metrics")).status_code == 404  # off here: not a page either
    assert (await client.get("/exports/nothing")).status_code == 404
