# Who is who. Read this file first: the other files use these words.
#
# A "viewer" is the signed-in person asking. Their accesses are read fresh from the
# database on every request, so a revoked access stops working at once.

# Accesses work only for an account whose e-mail is verified: whoever holds an access
# proved they receive mail at its address by following a link we mailed there. An access
# of an unverified account is dormant: anyone can sign up with somebody else's address.

# A viewer has an access to an establishment when one of their accesses names it,
# whatever its level (admin or standard). (Rules 6 and 7)
has_access(viewer: Viewer, establishment_id) if
  viewer.email_verified = true and
  grant in viewer.accesses and
  grant.establishment_id = establishment_id;

# A viewer is admin of an establishment when one of their accesses names it with the
# ADMIN level. (Rule 6)
is_admin_of(viewer: Viewer, establishment_id) if
  viewer.email_verified = true and
  grant in viewer.accesses and
  grant.establishment_id = establishment_id and
  grant.role = "ADMIN";

# A viewer is a standard user of an establishment who was given a document kind when
# their STANDARD access lists that kind. (Rule 7)
has_standard_access_to_kind(viewer: Viewer, establishment_id, kind) if
  viewer.email_verified = true and
  grant in viewer.accesses and
  grant.establishment_id = establishment_id and
  grant.role = "STANDARD" and
  kind in grant.document_kinds;

# A viewer is a member of a company when they have an access (working, see above) to one
# of its establishments. Knowing a SIRET, or typing it at sign-up, proves nothing.
is_member_of_company(viewer: Viewer, company_id) if
  viewer.email_verified = true and
  grant in viewer.accesses and
  grant.company_id = company_id;

# A viewer is the registrant of an enrollment when the e-mail recorded on the enrollment
# is their login e-mail, and they proved that address is theirs by following a link we
# e-mailed to it. Until then, anyone could have typed that address. (Rules 4 and 5)
is_registrant_of(viewer: Viewer, enrollment: Enrollment) if
  viewer.email_verified = true and
  enrollment.registrant_email = viewer.email;

# Staff are the training organisation's back office.
is_staff(viewer: Viewer) if
  viewer.is_staff = true;
