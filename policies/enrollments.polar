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

# Dashboards: people with an access to an establishment, and staff, may fetch up to
# 1,000 enrollments per page; everyone else 100.
allow(viewer: Viewer, "export_enrollments", viewer: Viewer) if
  _grant in viewer.accesses;
allow(viewer: Viewer, "export_enrollments", viewer: Viewer) if
  is_staff(viewer);

# Rule 1 and 9: a company's people enrol for an establishment they have an access to.
allow(viewer: Viewer, "enroll", establishment: Establishment) if
  has_access(viewer, establishment.id);

# Rule 1 and 9: a company account enrols for any establishment of its own company, even
# before anyone has an access to it (its first enrollment makes the registrant admin).
allow(viewer: Viewer, "enroll", establishment: Establishment) if
  viewer.company_id != nil and
  establishment.company_id = viewer.company_id;

# Rule 1: anyone signed in may enrol for themselves, as an individual.
allow(viewer: Viewer, "enroll_as_individual", viewer: Viewer);

# Rule 2: staff record enrollments taken by phone or e-mail.
allow(viewer: Viewer, "record_offline_enrollment", viewer: Viewer) if is_staff(viewer);

# Rule 13: staff watch the booking requests not validated within 24 business hours.
allow(viewer: Viewer, "overdue_validations", viewer: Viewer) if is_staff(viewer);

# Rule 14: staff answer postponement requests.
allow(viewer: Viewer, "answer_postponement", _enrollment: Enrollment) if is_staff(viewer);

# Rule 10: staff change framework agreements (applied to prices at the weekend).
allow(viewer: Viewer, "update_framework_agreement", viewer: Viewer) if is_staff(viewer);
