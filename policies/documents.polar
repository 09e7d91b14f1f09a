# Documents: which kinds of administrative document each viewer may see (rule 12).
#
# "read_document" on an enrollment, for one document kind, is the single rule that
# decides both the document fields of an enrollment and the documents themselves.

# Rule 4: the registrant sees every document of their own enrollments.
allow_field(viewer: Viewer, "read_document", enrollment: Enrollment, _kind: String) if
  is_registrant_of(viewer, enrollment);

# Rule 6: an admin sees every document of the establishment's enrollments.
allow_field(viewer: Viewer, "read_document", enrollment: Enrollment, _kind: String) if
  is_admin_of(viewer, enrollment.establishment_id);

# Rule 7: a standard user sees only the document kinds their access lists.
allow_field(viewer: Viewer, "read_document", enrollment: Enrollment, kind: String) if
  has_standard_access_to_kind(viewer, enrollment.establishment_id, kind);

# Staff see every document.
allow_field(viewer: Viewer, "read_document", _enrollment: Enrollment, _kind: String) if
  is_staff(viewer);

# A document may be read (and downloaded) by whoever may read its kind on its enrollment.
allow(viewer: Viewer, "read", document: Document) if
  allow_field(viewer, "read_document", document.enrollment, document.kind);

# Rule 11 and 12: an invoice (its amounts, a loyalty pass discount) is shown to whoever may
# read the invoice copies of its enrollment.
allow(viewer: Viewer, "read", invoice: Invoice) if
  allow_field(viewer, "read_document", invoice.enrollment, "INVOICE_COPY");

# Customers send two kinds themselves (FAQ: "bon pour accord", "bon de commande"): the
# registrant of an enrollment, or an admin of its establishment, uploads its signed quote
# and its purchase order while it is still open (not cancelled).
allow_field(viewer: Viewer, "upload_document", enrollment: Enrollment, kind: String) if
  sent_by_customer(kind) and
  enrollment.status != "CANCELLED" and
  (is_registrant_of(viewer, enrollment) or
   is_admin_of(viewer, enrollment.establishment_id));

# The kinds a customer sends us; every other kind is issued by the training organisation.
sent_by_customer("SIGNED_QUOTE");
sent_by_customer("PURCHASE_ORDER");
