"""The web front end (`frontend/`): static ES modules, no build step.

`/assets/...` serves the files of `frontend/` (scripts, styles, the `.graphql` operations the
pages send). Any other GET path made of lowercase words, digits, dashes and slashes (`/`,
`/history`, `/enrollments/12`, the mailed links `/verify-email?token=...`) answers
`index.html`: the page's script routes it in the browser (`frontend/app.js`), and shows its
own "page not found". The API's routes (`/graphql`, `/documents/{id}`, ...) are registered
before this catch-all, so they win.

The HTML gets the front end's CSP from `web.security_headers` (scripts, styles and requests
to this origin only, nothing inline).
"""

from __future__ import annotations

import re

from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from settings import PROJECT_DIR

FRONTEND_DIR = PROJECT_DIR / "frontend"
ASSETS_PREFIX = "/assets"
INDEX_FILE = FRONTEND_DIR / "index.html"
# Front-end page paths: no dot, so a mistyped asset or API path is never answered with HTML.
PAGE_PATH = re.compile(r"[a-z0-9/-]{0,200}")
# First segments of the API's own paths: never a page, even when their route is off
# (`/metrics` without METRICS_ENABLED is a 404, not the front end).
API_SEGMENTS = frozenset({"graphql", "documents", "exports", "healthz", "metrics", "assets", "dev"})
# The page is the same for everyone; the data comes from /graphql with the bearer token.
PAGE_HEADERS = {"Cache-Control": "no-cache"}


async def index_page(request: Request) -> Response:
    path = request.path_params.get("path", "")
    if not PAGE_PATH.fullmatch(path) or path.split("/", 1)[0] in API_SEGMENTS:
        return Response(status_code=404)
    if not INDEX_FILE.is_file():  # installed without the checkout's frontend/ folder
        return Response(status_code=404)
    return FileResponse(INDEX_FILE, media_type="text/html; charset=utf-8", headers=PAGE_HEADERS)


class Assets(StaticFiles):
    """`frontend/` files; `.graphql` operations as text, revalidated on each load."""

    def file_response(self, *args: object, **kwargs: object) -> Response:
        response = super().file_response(*args, **kwargs)  # type: ignore[arg-type]
        response.headers["Cache-Control"] = "no-cache"
        if str(response.headers.get("content-type", "")).startswith("application/octet-stream"):
            response.headers["content-type"] = "text/plain; charset=utf-8"
        return response


def frontend_routes() -> list[BaseRoute]:
    """Register after every API route: the last one is the catch-all page route."""
    return [
        # check_dir=False: an installation without frontend/ still serves the API.
        Mount(ASSETS_PREFIX, app=Assets(directory=FRONTEND_DIR, check_dir=False), name="assets"),
        Route("/{path:path}", index_page, methods=["GET", "HEAD"]),
    ]
