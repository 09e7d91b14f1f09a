# Invitations: an access offered by an admin to an address that has no verified account
# yet (rule 6). The access takes effect only when the owner of the address follows the link
# mailed to it: following it is the proof that the address is theirs.

# Rule 6: admins see the pending invitations of their establishment...
allow(viewer: Viewer, "read", invitation: Invitation) if
  is_admin_of(viewer, invitation.establishment_id);

# ...and staff see every invitation.
allow(viewer: Viewer, "read", _invitation: Invitation) if
  is_staff(viewer);

# Rule 6: admins withdraw a pending invitation of their establishment.
allow(viewer: Viewer, "withdraw", invitation: Invitation) if
  is_admin_of(viewer, invitation.establishment_id);

# The link was mailed to the invited address: only the account with that login e-mail takes
# the access (the service checks the link itself; following it verifies the address).
allow(viewer: Viewer, "accept", invitation: Invitation) if
  viewer.email = invitation.email;

# Rule 6: admins, and staff, see the pending invitations on the establishment's page.
allow_field(viewer: Viewer, "read", establishment: Establishment, "invitations") if
  is_admin_of(viewer, establishment.id);
allow_field(viewer: Viewer, "read", _establishment: Establishment, "invitations") if
  is_staff(viewer);
