# Accounts: what a viewer may see of a person.

# Everyone sees their own account.
allow(viewer: Viewer, "read", account: Account) if
  account.id = viewer.id;

# Staff see every account.
allow(viewer: Viewer, "read", _account: Account) if
  is_staff(viewer);

# A phone number is personal: only its owner and staff read it.
allow_field(viewer: Viewer, "read", account: Account, "phone") if
  account.id = viewer.id;
allow_field(viewer: Viewer, "read", _account: Account, "phone") if
  is_staff(viewer);

# Staff-only screens: admin access requests, overdue validations, offline orders.
allow(viewer: Viewer, "staff_back_office", _anything) if is_staff(viewer);
