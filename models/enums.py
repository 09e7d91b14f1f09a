"""Enumerations shared by the models, the policies and the GraphQL schema."""

from enum import StrEnum


class AccountKind(StrEnum):
    """An individual customer or a company's employee (rule 1)."""

    INDIVIDUAL = "INDIVIDUAL"
    COMPANY = "COMPANY"


class Language(StrEnum):
    FR = "fr"
    EN = "en"


class AccessRole(StrEnum):
    """Access level of an account on an establishment (rules 6 and 7)."""

    ADMIN = "ADMIN"
    STANDARD = "STANDARD"


class DocumentKind(StrEnum):
    """The eight administrative documents of an enrollment (rule 12)."""

    INVOICE_COPY = "INVOICE_COPY"
    TRAINING_AGREEMENT = "TRAINING_AGREEMENT"
    ATTENDANCE_SHEET = "ATTENDANCE_SHEET"
    EVALUATION = "EVALUATION"
    CERTIFICATE_OF_ATTENDANCE = "CERTIFICATE_OF_ATTENDANCE"
    FUNDING_APPROVAL = "FUNDING_APPROVAL"
    PURCHASE_ORDER = "PURCHASE_ORDER"
    SIGNED_QUOTE = "SIGNED_QUOTE"


class EnrollmentStatus(StrEnum):
    """Order status, in the FAQ's order, plus CANCELLED (rule 13)."""

    PENDING_VALIDATION = "PENDING_VALIDATION"
    VALIDATED = "VALIDATED"
    PARTIALLY_INVOICED = "PARTIALLY_INVOICED"
    INVOICED = "INVOICED"
    CANCELLED = "CANCELLED"


class Channel(StrEnum):
    """How an enrollment reached us (rule 2, rule 14)."""

    WEB = "WEB"
    PHONE = "PHONE"
    EMAIL = "EMAIL"


class RequestStatus(StrEnum):
    """State of a request that staff decide on (admin access, postponement)."""

    PENDING = "PENDING"
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"


class RequestOrigin(StrEnum):
    """Where an admin access request comes from (rule 9)."""

    CONTACT_FORM = "CONTACT_FORM"  # `requestAdminAccess`
    SIGN_UP = "SIGN_UP"  # a company sign-up named a SIRET we already know


class TokenPurpose(StrEnum):
    """What a one-time e-mailed link lets its holder do."""

    RESET_PASSWORD = "RESET_PASSWORD"
    SET_PASSWORD = "SET_PASSWORD"
    VERIFY_EMAIL = "VERIFY_EMAIL"
    CONFIRM_EMAIL_CHANGE = "CONFIRM_EMAIL_CHANGE"


class DiscountSource(StrEnum):
    """Where a displayed net price comes from (rules 10, 11)."""

    NONE = "NONE"
    FRAMEWORK_AGREEMENT = "FRAMEWORK_AGREEMENT"
    LOYALTY_PASS = "LOYALTY_PASS"
