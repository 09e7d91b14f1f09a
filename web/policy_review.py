"""`/dev/policy/matrix` and `/dev/policy/explain`: the data of the front end's policy
reviewer page (`frontend/pages/policy-review.js`). Registered by `server.create_app` only in
development (ENVIRONMENT=dev): a production server answers 404 (the path is never a page,
see `web/frontend.py`). The answers are the same as the `espace policy` commands'."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from services.policy_review import ExplainError, explain_decision, matrix_markdown

MAX_BODY = 10_000


async def matrix(request: Request) -> Response:
    return PlainTextResponse(
        matrix_markdown(),
        media_type="text/markdown; charset=utf-8",
        headers={"Cache-Control": "no-cache"},
    )


async def explain(request: Request) -> Response:
    """POST JSON {email, action, on: "TYPE:ID", field?} -> {allowed, text}; 400 with
    {message} for a question that cannot be asked."""
    if not request.headers.get("content-type", "").startswith("application/json"):
        # a cross-site form cannot send this type without a CORS preflight
        return JSONResponse({"message": "send application/json"}, status_code=415)
    raw = await request.body()
    if len(raw) > MAX_BODY:
        return JSONResponse({"message": "request too large"}, status_code=413)
    try:
        body = await request.json()
        email, action, target = (str(body[name]).strip() for name in ("email", "action", "on"))
        field = str(body.get("field") or "").strip() or None
    except (ValueError, KeyError, TypeError):
        return JSONResponse(
            {"message": "send JSON with email, action and on (TYPE:ID), and optionally field"},
            status_code=400,
        )
    try:
        answer = await explain_decision(request.app.state.policy, email, action, target, field)
    except ExplainError as error:
        return JSONResponse({"message": str(error)}, status_code=400)
    return JSONResponse({"allowed": answer.allowed, "text": answer.text})


def policy_review_routes() -> list[BaseRoute]:
    """Development only: the caller registers these when `settings.is_dev`."""
    return [
        Route("/dev/policy/matrix", matrix, methods=["GET"]),
        Route("/dev/policy/explain", explain, methods=["POST"]),
    ]
