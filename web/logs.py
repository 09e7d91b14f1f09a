"""Structured logs: one JSON object per line, each carrying the request id it belongs to.

Log calls pass facts as `extra={...}`: they become keys of the JSON object. Nothing in Espace
logs GraphQL variables, request bodies or headers, so passwords, tokens and document contents
never reach the logs; `RedactingFilter` is the safety net for a key that slips through anyway.
"""

from __future__ import annotations

import contextvars
import logging
import sys
from datetime import UTC, datetime
from typing import Any, TextIO

import orjson

# The id of the HTTP request being served, set by `web.request_id.RequestIdMiddleware`.
current_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "espace_request_id", default=None
)

# Keys whose values never reach a log line, whatever their level (compared in lower case).
SECRET_KEYS = frozenset(
    {"password", "newpassword", "currentpassword", "token", "authorization", "secret", "content"}
)
REDACTED = "[redacted]"

# Attributes every LogRecord has: anything else was passed through `extra=`.
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "request_id"}


def _redact(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            k: REDACTED if str(k).lower() in SECRET_KEYS else _redact(v) for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [_redact(v) for v in value]
    return value


class RequestIdFilter(logging.Filter):
    """Stamps each record with the current request id (None outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id.get()
        return True


class RedactingFilter(logging.Filter):
    """Replaces the values of secret-looking `extra` keys, at any depth, by `[redacted]`."""

    def filter(self, record: logging.LogRecord) -> bool:
        for key in set(vars(record)) - _STANDARD:
            value = getattr(record, key)
            setattr(record, key, REDACTED if key.lower() in SECRET_KEYS else _redact(value))
        return True


class JsonFormatter(logging.Formatter):
    """`{"time", "level", "logger", "message", "requestId", "pid", ...extra, "exception"}`."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "requestId": getattr(record, "request_id", None),
            "pid": record.process,  # which worker, when several serve
        }
        for key in set(vars(record)) - _STANDARD:
            entry.setdefault(key, getattr(record, key))
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return orjson.dumps(entry, default=str).decode()


def json_handler(stream: TextIO | None = None) -> logging.Handler:
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    handler.addFilter(RedactingFilter())
    return handler


def configure_logging(level: str = "INFO", stream: TextIO | None = None) -> None:
    """Send every log line, uvicorn's included, to one JSON handler on stderr.

    Uvicorn's access log is turned off: `web.request_id` writes one richer line per request.
    """
    root = logging.getLogger()
    root.handlers = [json_handler(stream)]
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error"):
        logger = logging.getLogger(name)
        logger.handlers = []
        logger.propagate = True
    logging.getLogger("uvicorn.access").disabled = True
