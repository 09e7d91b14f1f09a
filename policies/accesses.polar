# Accesses: who may see, change and remove an access to an establishment.

# Everyone sees their own accesses.
allow(viewer: Viewer, "read", access: Access) if
  access.account_id = viewer.id;

# Rule 6: admins see every access of their establishment.
allow(viewer: Viewer, "read", access: Access) if
  is_admin_of(viewer, access.establishment_id);

# Staff see every access.
allow(viewer: Viewer, "read", _access: Access) if
  is_staff(viewer);

# Rule 6: admins change the accesses of their establishment (level, document kinds).
allow(viewer: Viewer, "update", access: Access) if
  is_admin_of(viewer, access.establishment_id);

# Rule 8: an admin may lower another admin to standard, but never themselves.
allow(viewer: Viewer, "demote", access: Access) if
  is_admin_of(viewer, access.establishment_id) and
  access.account_id != viewer.id;

# Rule 8: an admin may remove another access, but never their own.
allow(viewer: Viewer, "revoke", access: Access) if
  is_admin_of(viewer, access.establishment_id) and
  access.account_id != viewer.id;
