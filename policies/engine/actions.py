"""The words the application asks the policy: one registry of actions and fields.

Every `allow(viewer, ACTION, resource)` question the code asks uses an `Action`; every
`allow_field(viewer, ACTION, resource, FIELD)` question a `Field` or a document kind. The
engine refuses any other word (`UnknownWord`), and the reviewer tools refuse a case, a rule
head or an `explain` question that names one: a misspelled `revoek` is an error, not a
silent deny. A test checks both ways that every action here has a rule and every rule's
action is here.
"""

from __future__ import annotations

from enum import StrEnum

from models.enums import DocumentKind


class Action(StrEnum):
    """What the application asks whether a viewer may do."""

    READ = "read"
    UPDATE = "update"
    DEMOTE = "demote"
    REVOKE = "revoke"
    MANAGE_ACCESSES = "manage_accesses"
    READ_AUDIT_LOG = "read_audit_log"
    REQUEST_ADMIN_ACCESS = "request_admin_access"
    STAFF_BACK_OFFICE = "staff_back_office"
    READ_DOCUMENT = "read_document"
    IN_OWN_HISTORY = "in_own_history"
    ENROLL = "enroll"
    ENROLL_AS_INDIVIDUAL = "enroll_as_individual"
    RECORD_OFFLINE_ENROLLMENT = "record_offline_enrollment"
    EXPORT_ENROLLMENTS = "export_enrollments"
    CANCEL = "cancel"
    REQUEST_POSTPONEMENT = "request_postponement"
    ANSWER_POSTPONEMENT = "answer_postponement"
    VALIDATE = "validate"
    RECORD_INVOICE = "record_invoice"
    ATTACH_DOCUMENT = "attach_document"
    STAFF_CANCEL = "staff_cancel"
    OVERDUE_VALIDATIONS = "overdue_validations"
    UPDATE_FRAMEWORK_AGREEMENT = "update_framework_agreement"
    WRITE_IN_MAILS_TO_OTHERS = "write_in_mails_to_others"
    SEE_NEGOTIATED_PRICES = "see_negotiated_prices"
    WITHDRAW = "withdraw"
    ACCEPT = "accept"
    MANAGE_CATALOG = "manage_catalog"
    CANCEL_SESSION = "cancel_session"
    UPLOAD_DOCUMENT = "upload_document"


class Field(StrEnum):
    """Fields asked through `allow_field`, besides the document kinds."""

    ACCESSES = "accesses"
    PHONE = "phone"
    INVITATIONS = "invitations"
    ADMIN_REQUESTS = "admin_requests"


ACTIONS: frozenset[str] = frozenset(action.value for action in Action)
FIELDS: frozenset[str] = frozenset(
    [*(f.value for f in Field), *(kind.value for kind in DocumentKind)]
)


class UnknownWord(ValueError):
    """An action or field that no code asks: a typo, or a word missing from this registry."""


def check_action(action: str) -> None:
    if action not in ACTIONS:
        raise UnknownWord(f"unknown action {action!r} (known: {', '.join(sorted(ACTIONS))})")


def check_field(name: str) -> None:
    if name not in FIELDS:
        raise UnknownWord(f"unknown field {name!r} (known: {', '.join(sorted(FIELDS))})")
