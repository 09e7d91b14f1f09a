"""Enums exposed in the API, mirrored from models.enums with descriptions."""

import strawberry

from models import enums

AccountKind = strawberry.enum(enums.AccountKind, description="Individual or company account.")
Language = strawberry.enum(enums.Language, description="Language of the account's e-mails.")
AccessRole = strawberry.enum(
    enums.AccessRole,
    description="ADMIN sees everything of the establishment and manages accesses; STANDARD "
    "sees its history and only the document kinds chosen by an admin.",
)
DocumentKind = strawberry.enum(
    enums.DocumentKind, description="The eight kinds of administrative document."
)
EnrollmentStatus = strawberry.enum(
    enums.EnrollmentStatus,
    description="PENDING_VALIDATION → VALIDATED → PARTIALLY_INVOICED → INVOICED, or CANCELLED.",
)
Channel = strawberry.enum(enums.Channel, description="How the enrollment was placed.")
RequestOrigin = strawberry.enum(
    enums.RequestOrigin, description="Where an admin access request comes from."
)
RequestStatus = strawberry.enum(
    enums.RequestStatus, description="State of a request decided by staff."
)
DiscountSource = strawberry.enum(
    enums.DiscountSource, description="Where the discount of a displayed price comes from."
)
