# Enrollments (orders) and the documents each viewer may see on them.

# Rule 4 and 5: every account sees the enrollments whose registrant e-mail is its
# login e-mail.
allow(viewer: Viewer, "read", enrollment: Enrollment) if
  enrollment.registrant_email = viewer.email;

# Rule 6 and 7: admins and standard users see the whole history of their establishment.
allow(viewer: Viewer, "read", enrollment: Enrollment) if
  has_access(viewer, enrollment.establishment_id);

# Staff see every enrollment.
allow(viewer: Viewer, "read", _enrollment: Enrollment) if
  is_staff(viewer);

# Rule 14: an enrollment made online can be cancelled from the customer space by its
# registrant, until it is invoiced.
allow(viewer: Viewer, "cancel", enrollment: Enrollment) if
  enrollment.registrant_email = viewer.email and
  cancellable_online(enrollment);

# Rule 14 and 6: an admin of the establishment can cancel it too.
allow(viewer: Viewer, "cancel", enrollment: Enrollment) if
  is_admin_of(viewer, enrollment.establishment_id) and
  cancellable_online(enrollment);

# Made online and not invoiced yet, not even in part.
cancellable_online(enrollment: Enrollment) if
  enrollment.channel = "WEB" and
  enrollment.status in ["PENDING_VALIDATION", "VALIDATED"];

# Rule 14: a postponement is a request that staff handle; whoever may cancel may ask.
allow(viewer: Viewer, "request_postponement", enrollment: Enrollment) if
  enrollment.registrant_email = viewer.email or
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
