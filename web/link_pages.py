"""Development pages for the links Espace e-mails, until a web front end serves them.

Each mailed link opens `PUBLIC_URL/<page>?token=…`. In development `espace serve` answers
these paths with a minimal HTML form that calls the matching GraphQL mutation from a small
script served by the application (`/link-pages.js`): no inline script, so the page carries a
CSP allowing only this origin's script and the `/graphql` endpoint. Nothing is called on GET:
mail scanners that open links must not use up one-time tokens, so a person presses a button.

What a front end must implement for each link is listed in README ("Links in mails").
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, Response
from starlette.routing import Route

SCRIPT_PATH = "/link-pages.js"
SCRIPT_FILE = Path(__file__).resolve().parent / "static" / "link-pages.js"
# Stricter than GraphiQL's: scripts and requests to this origin only, nothing inline.
PAGE_CSP = (
    "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'none'; "
    "img-src 'none'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'"
)


@dataclass(frozen=True)
class Field:
    """An input the mutation needs besides the token (all are GraphQL `String`s)."""

    name: str
    label: str
    kind: str = "text"
    required: bool = True


@dataclass(frozen=True)
class LinkPage:
    path: str
    title: str
    mutation: str
    button: str
    fields: tuple[Field, ...] = ()


LINK_PAGES = (
    LinkPage("/verify-email", "Verify your e-mail address", "verifyEmail", "Verify my address"),
    LinkPage(
        "/reset-password",
        "Choose a new password",
        "resetPassword",
        "Save my password",
        (Field("newPassword", "New password (8 to 128 characters)", "password"),),
    ),
    LinkPage(
        "/confirm-email-change",
        "Confirm your new login e-mail",
        "confirmEmailChange",
        "Confirm the change",
    ),
    LinkPage(
        "/accept-invitation",
        "Accept an invitation",
        "acceptInvitation",
        "Accept",
        (
            Field("password", "Password (when not signed in)", "password", required=False),
            Field("fullName", "Your name (for a new account)", required=False),
        ),
    ),
)


def render(page: LinkPage) -> str:
    inputs = "".join(
        f'<p><label>{html.escape(f.label)}<br><input name="{f.name}" type="{f.kind}"'
        f"{' required' if f.required else ''}"
        f"{' autocomplete=new-password' if f.kind == 'password' else ''}></label></p>"
        for f in page.fields
    )
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(page.title)} · Espace</title>"
        f'<script src="{SCRIPT_PATH}" defer></script></head><body>'
        f"<h1>{html.escape(page.title)}</h1>"
        f'<form id="link-form" data-mutation="{page.mutation}">{inputs}'
        f'<p><button type="submit">{html.escape(page.button)}</button></p></form>'
        '<p id="link-result" role="status"></p>'
        "<p><small>Development page of Espace: a front end replaces it.</small></p>"
        "</body></html>"
    )


def _page_endpoint(page: LinkPage):  # type: ignore[no-untyped-def]
    body = render(page)

    async def endpoint(request: Request) -> Response:
        return HTMLResponse(body, headers={"Content-Security-Policy": PAGE_CSP})

    return endpoint


async def script(request: Request) -> Response:
    return FileResponse(SCRIPT_FILE, media_type="text/javascript")


def link_page_routes() -> list[Route]:
    """The routes `server.create_app` adds in development."""
    routes = [Route(p.path, _page_endpoint(p), methods=["GET"]) for p in LINK_PAGES]
    routes.append(Route(SCRIPT_PATH, script, methods=["GET"]))
    return routes
