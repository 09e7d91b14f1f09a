"""Enums exposed in the API, mirrored from models.enums with descriptions."""

from typing import TypeAlias

import strawberry

from models import enums

strawberry.enum(enums.AccountKind, description="Individual or company account.")
strawberry.enum(enums.Language, description="Language of the account's e-mails.")
strawberry.enum(
    enums.AccessRole,
    description="ADMIN sees everything of the establishment and manages accesses; STANDARD "
    "sees its history and only the document kinds chosen by an admin.",
)
strawberry.enum(enums.DocumentKind, description="The eight kinds of administrative document.")
strawberry.enum(
    enums.EnrollmentStatus,
    description="PENDING_VALIDATION → VALIDATED → PARTIALLY_INVOICED → INVOICED, or CANCELLED.",
)
strawberry.enum(enums.Channel, description="How the enrollment was placed.")
strawberry.enum(enums.RequestOrigin, description="Where an admin access request comes from.")
strawberry.enum(enums.RequestStatus, description="State of a request decided by staff.")
strawberry.enum(
    enums.DiscountSource, description="Where the discount of a displayed price comes from."
)
strawberry.enum(enums.SessionStatus, description="Whether a course session takes bookings.")

# The same classes, named here as types (`strawberry.enum` registers the enum and returns it).
AccountKind: TypeAlias = enums.AccountKind
Language: TypeAlias = enums.Language
AccessRole: TypeAlias = enums.AccessRole
DocumentKind: TypeAlias = enums.DocumentKind
EnrollmentStatus: TypeAlias = enums.EnrollmentStatus
Channel: TypeAlias = enums.Channel
RequestOrigin: TypeAlias = enums.RequestOrigin
RequestStatus: TypeAlias = enums.RequestStatus
DiscountSource: TypeAlias = enums.DiscountSource
SessionStatus: TypeAlias = enums.SessionStatus
