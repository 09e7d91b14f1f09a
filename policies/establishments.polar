# Establishments: the sites of a company, and who may see and manage them.

# Rule 6 and 7: anyone with an access (admin or standard) sees the establishment.
allow(viewer: Viewer, "read", establishment: Establishment) if
  has_access(viewer, establishment.id);

# Rule 9: whoever registered a new establishment when signing up sees it (as they typed it),
# to book its first orders; its history and accesses stay for its members.
allow(viewer: Viewer, "read", establishment: Establishment) if
  establishment.registered_by_id = viewer.id;

# Staff see every establishment, for back-office work.
allow(viewer: Viewer, "read", _establishment: Establishment) if
  is_staff(viewer);

# Rule 6: only admins create, change and remove the accesses of their establishment.
allow(viewer: Viewer, "manage_accesses", establishment: Establishment) if
  is_admin_of(viewer, establishment.id);

# Rule 6: only admins see who has an access to their establishment.
allow_field(viewer: Viewer, "read", establishment: Establishment, "accesses") if
  is_admin_of(viewer, establishment.id);

# Staff see the accesses of every establishment.
allow_field(viewer: Viewer, "read", _establishment: Establishment, "accesses") if
  is_staff(viewer);

# Rule 6: admins read the audit log of their establishment.
allow(viewer: Viewer, "read_audit_log", establishment: Establishment) if
  is_admin_of(viewer, establishment.id);

# Staff read every audit log.
allow(viewer: Viewer, "read_audit_log", _establishment: Establishment) if
  is_staff(viewer);

# Rule 9: anyone signed in may ask staff for admin rights on an establishment (named by its
# SIRET when they cannot see it: the answer then shows nothing of it they cannot read).
allow(_viewer: Viewer, "request_admin_access", _establishment: Establishment);

# Rule 9: admins see who asks for admin rights on their establishment (the pending requests
# on its page), and staff see them on every establishment.
allow_field(viewer: Viewer, "read", establishment: Establishment, "admin_requests") if
  is_admin_of(viewer, establishment.id);
allow_field(viewer: Viewer, "read", _establishment: Establishment, "admin_requests") if
  is_staff(viewer);

# The requests themselves, row by row: those on an establishment one administers, or any for
# staff.
allow(viewer: Viewer, "read", request: AdminAccessRequest) if
  is_admin_of(viewer, request.establishment_id);
allow(viewer: Viewer, "read", _request: AdminAccessRequest) if
  is_staff(viewer);
