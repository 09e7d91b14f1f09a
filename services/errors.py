"""Errors a use case can end with. Each carries the API error code clients rely on, a reason
from `Reason`, and an English message that is also its id in the message catalogue.

A message is a template: `{name}` placeholders are filled from the error's extensions, so
`BadUserInput("At most {maxLength} characters.", field="fullName", maxLength=200)` reads
"At most 200 characters." in English and is translated by looking up the template
(`services/locales/`, see `services.messages`) when the API answers. Services never
translate; they raise typed errors.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from typing import Any


def N_(message: str) -> str:
    """Marks a message template kept in a constant, so that the catalogue extraction finds it."""
    return message


class Code(StrEnum):
    """`extensions.code` of every error the API answers with."""

    UNAUTHENTICATED = "UNAUTHENTICATED"
    FORBIDDEN = "FORBIDDEN"
    NOT_FOUND = "NOT_FOUND"
    BAD_USER_INPUT = "BAD_USER_INPUT"
    CONFLICT = "CONFLICT"
    RATE_LIMITED = "RATE_LIMITED"
    INTERNAL_SERVER_ERROR = "INTERNAL_SERVER_ERROR"


CODES: dict[Code, str] = {
    Code.UNAUTHENTICATED: "The request is not signed in (no or an ended session token), or "
    "the credentials are wrong.",
    Code.FORBIDDEN: "The caller is signed in but the policy does not let them do this, or a "
    "field of a record they see is not theirs to read (null at that path).",
    Code.NOT_FOUND: "The record does not exist, or the caller may not see it (its existence "
    "is not revealed).",
    Code.BAD_USER_INPUT: "The request or one of its values is not valid: see "
    "`extensions.fields` for each invalid field.",
    Code.CONFLICT: "The change conflicts with the current state of the records (already "
    "taken, already answered, changed meanwhile); reload and try again.",
    Code.RATE_LIMITED: "Too many attempts: try again after `extensions.retryAfterSeconds`.",
    Code.INTERNAL_SERVER_ERROR: "Our fault. The message is masked; quote "
    "`extensions.requestId` when reporting it.",
}


class Reason(StrEnum):
    """`extensions.reason`: why a request was refused, finer than the code."""

    # UNAUTHENTICATED
    SIGN_IN_REQUIRED = "SIGN_IN_REQUIRED"
    WRONG_CREDENTIALS = "WRONG_CREDENTIALS"
    # FORBIDDEN
    NOT_ALLOWED = "NOT_ALLOWED"
    OWN_ADMIN_RIGHTS = "OWN_ADMIN_RIGHTS"
    # NOT_FOUND
    RECORD_NOT_FOUND = "RECORD_NOT_FOUND"
    # BAD_USER_INPUT
    INVALID_REQUEST = "INVALID_REQUEST"
    OPERATION_TOO_LARGE = "OPERATION_TOO_LARGE"
    INVALID_FIELDS = "INVALID_FIELDS"
    INVALID_VALUE = "INVALID_VALUE"
    REQUIRED = "REQUIRED"
    TOO_SHORT = "TOO_SHORT"
    TOO_LONG = "TOO_LONG"
    TOO_COMMON = "TOO_COMMON"
    OUT_OF_RANGE = "OUT_OF_RANGE"
    INVALID_EMAIL = "INVALID_EMAIL"
    INVALID_CHARACTERS = "INVALID_CHARACTERS"
    INVALID_SIRET = "INVALID_SIRET"
    INVALID_ID = "INVALID_ID"
    INVALID_CURSOR = "INVALID_CURSOR"
    INVALID_COMBINATION = "INVALID_COMBINATION"
    DUPLICATE_VALUE = "DUPLICATE_VALUE"
    UNCHANGED = "UNCHANGED"
    WRONG_PASSWORD = "WRONG_PASSWORD"
    INVALID_TOKEN = "INVALID_TOKEN"
    ACKNOWLEDGEMENT_REQUIRED = "ACKNOWLEDGEMENT_REQUIRED"
    NOT_A_PDF = "NOT_A_PDF"
    FILE_TOO_LARGE = "FILE_TOO_LARGE"
    SESSION_STARTED = "SESSION_STARTED"
    PASSWORD_REQUIRED = "PASSWORD_REQUIRED"
    INVITATION_FOR_ANOTHER_ADDRESS = "INVITATION_FOR_ANOTHER_ADDRESS"
    # CONFLICT
    STATE_CONFLICT = "STATE_CONFLICT"
    ALREADY_EXISTS = "ALREADY_EXISTS"
    EMAIL_TAKEN = "EMAIL_TAKEN"
    LAST_ADMIN = "LAST_ADMIN"
    ALREADY_ANSWERED = "ALREADY_ANSWERED"
    ILLEGAL_STATUS_CHANGE = "ILLEGAL_STATUS_CHANGE"
    STATUS_CHANGED = "STATUS_CHANGED"
    NOT_ENOUGH_SEATS = "NOT_ENOUGH_SEATS"
    POSTPONEMENT_PENDING = "POSTPONEMENT_PENDING"
    BOOKING_LIMIT = "BOOKING_LIMIT"
    CODE_TAKEN = "CODE_TAKEN"
    SESSION_EXISTS = "SESSION_EXISTS"
    SESSION_CLOSED = "SESSION_CLOSED"
    SESSION_CANCELLED = "SESSION_CANCELLED"
    CAPACITY_BELOW_SEATS_BOOKED = "CAPACITY_BELOW_SEATS_BOOKED"
    NOT_PENDING = "NOT_PENDING"
    # RATE_LIMITED
    TOO_MANY_ATTEMPTS = "TOO_MANY_ATTEMPTS"
    # INTERNAL_SERVER_ERROR
    INTERNAL_ERROR = "INTERNAL_ERROR"


REASONS: dict[Reason, str] = {
    Reason.SIGN_IN_REQUIRED: "UNAUTHENTICATED: sign in first (no session, or it ended).",
    Reason.WRONG_CREDENTIALS: "UNAUTHENTICATED: wrong e-mail or password (the two are not "
    "told apart).",
    Reason.NOT_ALLOWED: "FORBIDDEN: the policy does not let the caller do this.",
    Reason.OWN_ADMIN_RIGHTS: "FORBIDDEN: an admin cannot lower or remove their own admin "
    "access; another admin must (rule 8).",
    Reason.RECORD_NOT_FOUND: "NOT_FOUND: no such record, or not one the caller may see.",
    Reason.INVALID_REQUEST: "BAD_USER_INPUT: the GraphQL document or its variables do not "
    "parse or validate against the schema (a developer error; message in English).",
    Reason.OPERATION_TOO_LARGE: "BAD_USER_INPUT: the operation goes over a limit (directives, "
    "tokens, time budget...); the message says which. Ask for fewer fields or a smaller page.",
    Reason.INVALID_FIELDS: "BAD_USER_INPUT: several fields of a form are invalid; "
    "`extensions.fields` lists each one with its own reason and message.",
    Reason.INVALID_VALUE: "BAD_USER_INPUT: a value is not acceptable (the message says why).",
    Reason.REQUIRED: "BAD_USER_INPUT: the field is required and was empty.",
    Reason.TOO_SHORT: "BAD_USER_INPUT: too short (a password under 8 characters).",
    Reason.TOO_LONG: "BAD_USER_INPUT: too long; `extensions.maxLength` gives the limit when "
    "there is one.",
    Reason.TOO_COMMON: "BAD_USER_INPUT: the password is one of the most common ones.",
    Reason.OUT_OF_RANGE: "BAD_USER_INPUT: a number (page size, amount, percentage) is "
    "outside its range.",
    Reason.INVALID_CHARACTERS: "BAD_USER_INPUT: the text holds characters that cannot be "
    "stored (NUL, lone surrogates) or, in a name, invisible, control or direction-changing "
    "characters.",
    Reason.INVALID_EMAIL: "BAD_USER_INPUT: not an e-mail address.",
    Reason.INVALID_SIRET: "BAD_USER_INPUT: a SIRET number has 14 digits and a valid check digit.",
    Reason.INVALID_ID: "BAD_USER_INPUT: an ID is not one of ours (not numeric, out of range).",
    Reason.INVALID_CURSOR: "BAD_USER_INPUT: a paging cursor that this API did not give.",
    Reason.INVALID_COMBINATION: "BAD_USER_INPUT: arguments that do not go together (a "
    "company for an individual account, an id and a SIRET, ...).",
    Reason.DUPLICATE_VALUE: "BAD_USER_INPUT: the same value is listed twice.",
    Reason.UNCHANGED: "BAD_USER_INPUT: the new value is the current one.",
    Reason.WRONG_PASSWORD: "BAD_USER_INPUT: the current password given to confirm a change "
    "is wrong.",
    Reason.INVALID_TOKEN: "BAD_USER_INPUT: a link (verification, password, e-mail change) "
    "that is invalid, expired or already used.",
    Reason.ACKNOWLEDGEMENT_REQUIRED: "BAD_USER_INPUT: the caller must acknowledge a "
    "consequence first (changing the login e-mail changes the history, rule 5).",
    Reason.NOT_A_PDF: "BAD_USER_INPUT: the uploaded file is not a PDF document.",
    Reason.FILE_TOO_LARGE: "BAD_USER_INPUT: the uploaded file is over `extensions.maxBytes`.",
    Reason.SESSION_STARTED: "BAD_USER_INPUT: the training session has already started.",
    Reason.PASSWORD_REQUIRED: "BAD_USER_INPUT: accepting an invitation without an account "
    "needs a password to sign in with.",
    Reason.INVITATION_FOR_ANOTHER_ADDRESS: "BAD_USER_INPUT: the invitation was sent to "
    "another address than the signed-in account's.",
    Reason.CODE_TAKEN: "CONFLICT: another course already has this code.",
    Reason.SESSION_EXISTS: "CONFLICT: the course already has a session starting that day in "
    "that city.",
    Reason.SESSION_CLOSED: "CONFLICT: staff closed this session: it takes no more bookings.",
    Reason.SESSION_CANCELLED: "CONFLICT: this session is cancelled.",
    Reason.CAPACITY_BELOW_SEATS_BOOKED: "CONFLICT: more seats are booked than the capacity "
    "asked (`extensions.seatsBooked`).",
    Reason.BOOKING_LIMIT: "CONFLICT: too many booking requests (or seats) waiting for "
    "validation; `extensions.limit` gives the limit.",
    Reason.NOT_PENDING: "CONFLICT: the invitation was already accepted or withdrawn.",
    Reason.STATE_CONFLICT: "CONFLICT: the records changed meanwhile or do not allow it now.",
    Reason.ALREADY_EXISTS: "CONFLICT: it exists already (an access, an admin right, a "
    "pending request).",
    Reason.EMAIL_TAKEN: "CONFLICT: another account uses this e-mail.",
    Reason.LAST_ADMIN: "CONFLICT: an establishment keeps at least one admin.",
    Reason.ALREADY_ANSWERED: "CONFLICT: the request was already answered or decided.",
    Reason.ILLEGAL_STATUS_CHANGE: "CONFLICT: the enrollment's status does not allow this "
    "(see EnrollmentStatus).",
    Reason.STATUS_CHANGED: "CONFLICT: the enrollment's status changed meanwhile; reload it.",
    Reason.NOT_ENOUGH_SEATS: "CONFLICT: the session has fewer seats left than asked.",
    Reason.POSTPONEMENT_PENDING: "CONFLICT: a postponement request is already waiting.",
    Reason.TOO_MANY_ATTEMPTS: "RATE_LIMITED: too many attempts; wait "
    "`extensions.retryAfterSeconds`.",
    Reason.INTERNAL_ERROR: "INTERNAL_SERVER_ERROR: our fault; the message is masked.",
}


class _Parameters(dict[str, Any]):
    """Leaves an unknown `{placeholder}` as it is rather than failing."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def fill(template: str, parameters: dict[str, Any]) -> str:
    """A message template with its `{placeholders}` filled from `parameters`."""
    try:
        return template.format_map(_Parameters(parameters))
    except (ValueError, IndexError, AttributeError):
        return template


class ServiceError(Exception):
    """Base class: `code` is the GraphQL `extensions.code`, `reason` the finer
    `extensions.reason`, `extensions` adds details and fills the message's placeholders."""

    code = Code.INTERNAL_SERVER_ERROR
    default_reason = Reason.INTERNAL_ERROR

    def __init__(self, message: str, *, reason: Reason | str | None = None, **extensions: Any):
        self.template = message
        self.reason = str(reason or self.default_reason)
        self.extensions = extensions
        self.message = fill(message, extensions)
        super().__init__(self.message)


class Unauthenticated(ServiceError):
    code = Code.UNAUTHENTICATED
    default_reason = Reason.SIGN_IN_REQUIRED

    def __init__(self, message: str = N_("You must be signed in."), **extensions: Any) -> None:
        super().__init__(message, **extensions)


class Forbidden(ServiceError):
    code = Code.FORBIDDEN
    default_reason = Reason.NOT_ALLOWED

    def __init__(self, message: str = N_("You are not allowed to do this."), **extensions: Any):
        super().__init__(message, **extensions)


class NotFound(ServiceError):
    """Also what a caller gets for a record it may not see: its existence is not revealed.

    Give the whole message (`NotFound("Enrollment not found.")`); a bare noun still reads
    "<noun> not found." but has no entry in the catalogue."""

    code = Code.NOT_FOUND
    default_reason = Reason.RECORD_NOT_FOUND

    def __init__(self, message: str = N_("Record not found."), **extensions: Any) -> None:
        if not message.endswith("."):
            message = f"{message} not found."
        super().__init__(message, **extensions)


class BadUserInput(ServiceError):
    code = Code.BAD_USER_INPUT
    default_reason = Reason.INVALID_VALUE


class InvalidFields(BadUserInput):
    """Several invalid fields of one form, answered at once: `problems` keeps each field's
    own error (its field, reason and message) for `extensions.fields`."""

    def __init__(self, problems: list[BadUserInput]) -> None:
        self.problems = problems
        super().__init__(
            N_("{count} fields are not valid."), reason=Reason.INVALID_FIELDS, count=len(problems)
        )


class FieldChecks:
    """Collects the field errors of a form so that all of them are answered at once.

    checks = FieldChecks()
    with checks.field():
        address = normalize_email(email)
    with checks.field():
        check_password_rules(password)
    checks.done()  # raises the only error, or InvalidFields with all of them
    """

    def __init__(self) -> None:
        self.problems: list[BadUserInput] = []

    @contextmanager
    def field(self) -> Iterator[None]:
        try:
            yield
        except InvalidFields as several:
            self.problems.extend(several.problems)
        except BadUserInput as problem:
            self.problems.append(problem)

    def done(self) -> None:
        if len(self.problems) == 1:
            raise self.problems[0]
        if self.problems:
            raise InvalidFields(self.problems)


class Conflict(ServiceError):
    code = Code.CONFLICT
    default_reason = Reason.STATE_CONFLICT


class RateLimited(ServiceError):
    code = Code.RATE_LIMITED
    default_reason = Reason.TOO_MANY_ATTEMPTS

    def __init__(self, retry_after_seconds: int, **extensions: Any) -> None:
        super().__init__(
            N_("Too many attempts. Try again in {retryAfterSeconds} seconds."),
            retryAfterSeconds=retry_after_seconds,
            **extensions,
        )
