"""`GET /exports/enrollments.csv` and `.jsonl`: the history as a file (HTTP glue over
services.history_export).

Signed in with `Authorization: Bearer` like the GraphQL endpoint. The query parameters are the
fields of `EnrollmentFilter` (repeat `status` and `channel` for several), plus `orderBy`
(an `EnrollmentOrderField`) and `direction` (ASC or DESC). Bad parameters are 400, a viewer
who may not export 403, anonymous 401, each with a JSON body `{"code", "message"}`.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse

from models.enums import Channel, EnrollmentStatus
from schema.context import bearer_token
from schema.ids import parse_id
from services import history_export
from services.errors import BadUserInput, Forbidden, Reason, ServiceError
from services.history import HistoryFilter, Ordering, SortField
from services.login_sessions import signed_in

STATUS = {BadUserInput: 400, Forbidden: 403}


def _one(params: Any, name: str, parse: Any) -> Any:
    raw = params.get(name)
    if raw is None or raw == "":
        return None
    try:
        return parse(raw)
    except (ValueError, KeyError, TypeError):
        raise BadUserInput(
            "{field} is not valid.", field=name, reason=Reason.INVALID_VALUE
        ) from None


def _many(params: Any, name: str, parse: Any) -> tuple[Any, ...]:
    try:
        return tuple(parse(raw) for raw in params.getlist(name) if raw)
    except (ValueError, KeyError):
        raise BadUserInput(
            "{field} is not valid.", field=name, reason=Reason.INVALID_VALUE
        ) from None


def criteria_from(params: Any) -> tuple[HistoryFilter, Ordering]:
    """The filter and order of an export's query string (names as in `EnrollmentFilter`)."""
    criteria = HistoryFilter(
        status=_many(params, "status", EnrollmentStatus),
        establishment_id=_one(params, "establishmentId", lambda v: parse_id(v, "establishmentId")),
        booked_from=_one(params, "from", datetime.fromisoformat),
        booked_to=_one(params, "to", datetime.fromisoformat),
        search=params.get("search"),
        course_id=_one(params, "courseId", lambda v: parse_id(v, "courseId")),
        course_code=params.get("courseCode"),
        session_from=_one(params, "sessionStartsFrom", date.fromisoformat),
        session_to=_one(params, "sessionStartsTo", date.fromisoformat),
        channels=_many(params, "channel", Channel),
        trainee_name=params.get("traineeName"),
        mine_only=params.get("mineOnly", "false").lower() in ("1", "true"),
        updated_since=_one(params, "updatedSince", datetime.fromisoformat),
    )
    ordering = Ordering(
        _one(params, "orderBy", lambda v: SortField[v]) or SortField.BOOKED_AT,
        (_one(params, "direction", lambda v: {"ASC": False, "DESC": True}[v]) is not False),
    )
    return criteria, ordering


def _refusal(status: int, code: str, message: str) -> Response:
    return JSONResponse({"code": code, "message": message}, status_code=status)


async def export_enrollments(request: Request) -> Response:
    format = request.path_params["format"]
    if format not in history_export.FORMATS:
        return _refusal(404, "NOT_FOUND", "Exports are .csv or .jsonl.")
    token = bearer_token(request)
    caller = await signed_in(token) if token else None
    if caller is None:
        return _refusal(401, "UNAUTHENTICATED", "You must be signed in.")
    viewer = caller.viewer
    policy = request.app.state.policy
    try:
        criteria, ordering = criteria_from(request.query_params)
        history_export.check_may_export(policy, viewer)
    except ServiceError as error:
        return _refusal(STATUS.get(type(error), 400), error.code, error.message)
    media_type, _ = history_export.FORMATS[format]
    return StreamingResponse(
        history_export.export(policy, viewer, criteria, ordering, format),
        media_type=media_type,
        headers={
            "Cache-Control": "private, no-store",
            "Content-Disposition": f'attachment; filename="enrollments.{format}"',
        },
    )
