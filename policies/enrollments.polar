# Enrollments (orders) and the documents each viewer may see on them.

# Rule 4 and 5: every account sees the enrollments whose registrant e-mail is its
# login e-mail, once it proved that e-mail is its own (see is_registrant_of).
allow(viewer: Viewer, "read", enrollment: Enrollment) if
  is_registrant_of(viewer, enrollment);

# Rule 6 and 7: admins and standard users see the whole history of their establishment.
allow(viewer: Viewer, "read", enrollment: Enrollment) if
  has_access(viewer, enrollment.establishment_id);

# Staff see every enrollment.
allow(viewer: Viewer, "read", _enrollment: Enrollment) if
  is_staff(viewer);

# Rule 4 and 5: an enrollment is in a person's own history when they are its registrant
# (the answer to an enrollment tells them so; an admin may see it without it being theirs).
allow(viewer: Viewer, "in_own_history", enrollment: Enrollment) if
  is_registrant_of(viewer, enrollment);

# Rule 14: an enrollment made online can be cancelled from the customer space by its
# registrant, until it is invoiced.
allow(viewer: Viewer, "cancel", enrollment: Enrollment) if
  is_registrant_of(viewer, enrollment) and
  cancellable_online(enrollment);

# Rule 14 and 6: an admin of the establishment can cancel it too.
allow(viewer: Viewer, "cancel", enrollment: Enrollment) if
  is_admin_of(viewer, enrollment.establishment_id) and
  cancellable_online(enrollment);

# Made online and not invoiced yet, not even in part.
cancellable_online(enrollment: Enrollment) if
  enrollment.channel = "WEB" and
  enrollment.status in ["PENDING_VALIDATION", "VALIDATED"];

# Rule 14: a postponement is a request that staff handle: the registrant or an admin of the
# establishment may ask, whatever the channel (an order already over cannot be moved).
allow(viewer: Viewer, "request_postponement", enrollment: Enrollment) if
  is_registrant_of(viewer, enrollment) or
  is_admin_of(viewer, enrollment.establishment_id);

# Rule 13: staff validate, invoice and attach documents.
allow(viewer: Viewer, "validate", _enrollment: Enrollment) if is_staff(viewer);
allow(viewer: Viewer, "record_invoice", _enrollment: Enrollment) if is_staff(viewer);
allow(viewer: Viewer, "attach_document", _enrollment: Enrollment) if is_staff(viewer);
allow(viewer: Viewer, "staff_cancel", _enrollment: Enrollment) if is_staff(viewer);

# Exports: people with an access to an establishment, and staff, may download the
# history as a file (GET /exports/enrollments.csv); GraphQL pages are 100 rows for everyone.
allow(viewer: Viewer, "export_enrollments", viewer: Viewer) if
  grant in viewer.accesses and
  has_access(viewer, grant.establishment_id);
allow(viewer: Viewer, "export_enrollments", viewer: Viewer) if
  is_staff(viewer);

# Booking for an establishment (rules 1 and 9).
# A member of a company (a working access to one of its establishments) books for any
# establishment of that company, even one nobody has an access to yet. Everyone else is a
# stranger to the company: knowing its SIRET gives no right to order in its name.
allow(viewer: Viewer, "enroll", establishment: Establishment) if
  is_member_of_company(viewer, establishment.company_id);

# Rule 9: whoever registered a new establishment when signing up (a SIRET we did not know)
# is its first registrant and books for it before anyone has an access. They become its
# admin only when staff validate its first enrollment and their e-mail is verified.
allow(viewer: Viewer, "enroll", establishment: Establishment) if
  establishment.registered_by_id = viewer.id;

# Rule 1: anyone signed in may enrol for themselves, as an individual.
allow(viewer: Viewer, "enroll_as_individual", viewer: Viewer);

# Rule 2: staff record enrollments taken by phone or e-mail.
allow(viewer: Viewer, "record_offline_enrollment", viewer: Viewer) if is_staff(viewer);

# Rule 13: staff watch the booking requests not validated within 24 business hours.
allow(viewer: Viewer, "overdue_validations", viewer: Viewer) if is_staff(viewer);

# Free text typed by one person (a cancel reason, a note) goes into a mail to somebody
# else's address only when staff wrote it; other people's text stays in the customer space.
allow(viewer: Viewer, "write_in_mails_to_others", viewer: Viewer) if is_staff(viewer);

# Rule 14: staff answer postponement requests.
allow(viewer: Viewer, "answer_postponement", _enrollment: Enrollment) if is_staff(viewer);

# Rule 10: a company's negotiated prices (framework agreement) are shown to its members
# only; strangers, even those who typed its SIRET at sign-up, see list prices.
allow(viewer: Viewer, "see_negotiated_prices", company: Company) if
  is_member_of_company(viewer, company.id);

# Rule 10: staff change framework agreements (applied to prices at the weekend).
allow(viewer: Viewer, "update_framework_agreement", viewer: Viewer) if is_staff(viewer);
