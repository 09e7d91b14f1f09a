// The staff back office, minimal: booking requests to validate (the overdue ones first, rule
// 13), a document to attach to an enrollment (PDF upload), the pending requests for an admin
// access, and the catalog (courses and their sessions, read only).
import { dataTable, field, h, messageBox, replace } from "../lib/dom.js";
import { handleSubmit, runOnClick, showError } from "../lib/forms.js";
import { gql } from "../lib/graphql.js";
import { formatDate, formatDateTime, formatMoney, translator } from "../lib/i18n.js";
import { DOCUMENT_KINDS } from "../lib/messages.js";

const t = translator({
  fr: {
    title: "Back-office",
    toValidate: "Demandes d'inscription à valider",
    toValidateHint: "Les demandes en retard (au-delà de 24 heures ouvrées) d'abord, la plus en retard en tête.",
    noneToValidate: "Aucune demande à valider.",
    overdue: "En retard",
    onTime: "Dans les délais",
    reference: "Référence",
    course: "Formation",
    session: "Session",
    registrant: "Demandeur",
    establishment: "Établissement",
    seats: "Places",
    booked: "Demandée le",
    expected: "À valider avant le",
    delay: "Délai",
    actions: "Actions",
    validate: "Valider",
    validateLabel: "Valider la demande {reference}",
    validated: "La demande {reference} est validée : le demandeur reçoit la confirmation par e-mail.",
    upload: "Joindre un document à une inscription",
    search: "Inscription (référence, nom ou e-mail)",
    find: "Rechercher",
    enrollment: "Inscription trouvée",
    noMatch: "Aucune inscription ne correspond.",
    kind: "Type de document",
    file: "Fichier PDF",
    fileHint: "PDF uniquement, 20 Mo au plus.",
    attach: "Joindre le document",
    attached: "{name} est joint à l'inscription {reference}.",
    requests: "Demandes d'accès administrateur",
    noRequest: "Aucune demande en attente.",
    person: "Personne",
    siret: "SIRET",
    message: "Message",
    note: "Note de décision (envoyée au demandeur)",
    noteOf: "Note de décision pour {email}",
    approve: "Approuver",
    approveLabel: "Approuver la demande de {email}",
    refuse: "Refuser",
    refuseLabel: "Refuser la demande de {email}",
    approved: "La demande de {email} est approuvée.",
    refused: "La demande de {email} est refusée.",
    catalog: "Catalogue",
    code: "Code",
    price: "Prix HT",
    active: "Active",
    inactive: "Inactive",
    sessions: "Sessions",
    noSession: "Aucune session",
    sessionLine: "{from} — {to}, {city} : {left}/{capacity} places libres ({status})",
    "session.OPEN": "ouverte",
    "session.CLOSED": "close",
    "session.CANCELLED": "annulée",
  },
  en: {
    title: "Back office",
    toValidate: "Booking requests to validate",
    toValidateHint: "Overdue requests (past 24 business hours) first, the latest at the top.",
    noneToValidate: "No request to validate.",
    overdue: "Overdue",
    onTime: "On time",
    reference: "Reference",
    course: "Course",
    session: "Session",
    registrant: "Requested by",
    establishment: "Establishment",
    seats: "Seats",
    booked: "Requested on",
    expected: "To validate by",
    delay: "Delay",
    actions: "Actions",
    validate: "Validate",
    validateLabel: "Validate the request {reference}",
    validated: "The request {reference} is validated: the registrant gets the confirmation by e-mail.",
    upload: "Attach a document to an enrollment",
    search: "Enrollment (reference, name or e-mail)",
    find: "Search",
    enrollment: "Enrollment found",
    noMatch: "No enrollment matches.",
    kind: "Kind of document",
    file: "PDF file",
    fileHint: "PDF only, at most 20 MB.",
    attach: "Attach the document",
    attached: "{name} is attached to the enrollment {reference}.",
    requests: "Requests for an admin access",
    noRequest: "No pending request.",
    person: "Person",
    siret: "SIRET",
    message: "Message",
    note: "Decision note (sent to the requester)",
    noteOf: "Decision note for {email}",
    approve: "Approve",
    approveLabel: "Approve the request of {email}",
    refuse: "Refuse",
    refuseLabel: "Refuse the request of {email}",
    approved: "The request of {email} is approved.",
    refused: "The request of {email} is refused.",
    catalog: "Catalog",
    code: "Code",
    price: "Price excl. VAT",
    active: "Active",
    inactive: "Inactive",
    sessions: "Sessions",
    noSession: "No session",
    sessionLine: "{from} — {to}, {city}: {left}/{capacity} seats left ({status})",
    "session.OPEN": "open",
    "session.CLOSED": "closed",
    "session.CANCELLED": "cancelled",
  },
});

export async function render(ctx) {
  ctx.setTitle(t("title"));
  const data = await gql("BackOffice");
  const notice = messageBox();
  notice.id = "back-office-notice";
  const pending = sessionStorage.getItem("espace.backOffice.notice");
  if (pending) {
    sessionStorage.removeItem("espace.backOffice.notice");
    notice.show("ok", pending);
  }
  const reload = (text) => {
    sessionStorage.setItem("espace.backOffice.notice", text);
    ctx.rerender();
  };
  return h(
    "section",
    { class: "back-office" },
    h("h1", {}, t("title")),
    notice,
    validationsCard(data, reload),
    uploadCard(),
    requestsCard(data.adminAccessRequests || [], reload),
    catalogCard(data.courses),
  );
}

function person(name, email) {
  return name ? `${name} <${email}>` : email;
}


function validationsCard(data, reload) {
  const box = messageBox();
  const overdue = data.overdueValidations;
  const late = new Set(overdue.map((e) => e.id));
  const rest = data.enrollments.nodes.filter((e) => !late.has(e.id));
  const rows = [...overdue.map((e) => [e, true]), ...rest.map((e) => [e, false])].map(([e, isLate]) => {
    const button = h("button", { type: "button", class: "primary", "aria-label": t("validateLabel", { reference: e.reference }) }, t("validate"));
    runOnClick(button, box, async () => {
      await gql("ValidateEnrollment", { id: e.id });
      reload(t("validated", { reference: e.reference }));
    });
    return h(
      "tr",
      { class: isLate ? "overdue" : null, "data-reference": e.reference },
      h("td", {}, h("a", { href: `/enrollments/${e.id}` }, e.reference)),
      h("td", {}, h("span", { class: `badge ${isLate ? "overdue" : "on-time"}` }, t(isLate ? "overdue" : "onTime"))),
      h("td", {}, e.courseTitle),
      h("td", {}, `${formatDate(e.session.startsOn)}, ${e.session.city}`),
      h("td", {}, person(e.registrantName, e.registrantEmail), e.establishment ? h("br") : null, e.establishment?.name),
      h("td", { class: "number" }, e.seats),
      h("td", {}, formatDateTime(e.bookedAt)),
      h("td", {}, formatDateTime(e.expectedValidationBy)),
      h("td", {}, button),
    );
  });
  return h(
    "section",
    { class: "card", "aria-labelledby": "validate-title" },
    h("h2", { id: "validate-title" }, t("toValidate")),
    h("p", { class: "hint" }, t("toValidateHint")),
    rows.length
      ? dataTable(
          "validations-table",
          [t("reference"), t("delay"), t("course"), t("session"), t("registrant"), t("seats"), t("booked"), t("expected"), t("actions")],
          rows,
        )
      : h("p", { class: "muted" }, t("noneToValidate")),
    box,
  );
}

function uploadCard() {
  const box = messageBox();
  const search = h("input", { type: "search", name: "search", autocomplete: "off" });
  const found = h("select", { name: "enrollmentId", required: true });
  const foundField = field(t("enrollment"), found);
  foundField.hidden = true;
  const findButton = h("button", { type: "button" }, t("find"));
  findButton.addEventListener("click", async () => {
    box.clear();
    try {
      const data = await gql("EnrollmentByReference", { search: search.value.trim() });
      const nodes = data.enrollments.nodes;
      replace(found, nodes.map((e) => h("option", { value: e.id }, `${e.reference} — ${e.courseTitle} — ${e.registrantName} (${t(`status.${e.status}`)})`)));
      foundField.hidden = nodes.length === 0;
      if (!nodes.length) box.show("info", t("noMatch"));
    } catch (error) {
      showError(null, box, error);
    }
  });
  search.addEventListener("keydown", (event) => {
    if (event.key === "Enter") {
      event.preventDefault();
      findButton.click();
    }
  });
  const kind = h("select", { name: "kind" }, DOCUMENT_KINDS.map((k) => h("option", { value: k }, t(`kind.${k}`))));
  const file = h("input", { type: "file", name: "file", accept: "application/pdf,.pdf", required: true });
  const form = h(
    "form",
    { id: "upload-form" },
    h("div", { class: "filters" }, field(t("search"), search), h("div", { class: "actions" }, findButton)),
    foundField,
    field(t("kind"), kind),
    field(t("file"), file, t("fileHint")),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, t("attach"))),
    box,
  );
  form.addEventListener(
    "submit",
    handleSubmit(form, box, async () => {
      if (!found.value) {
        box.show("error", t("noMatch"));
        return;
      }
      const reference = found.selectedOptions[0]?.textContent.split(" — ")[0] || "";
      const data = await gql(
        "AttachDocument",
        { enrollmentId: found.value, kind: kind.value, file: null },
        { files: { file: file.files[0] } },
      );
      box.show("ok", t("attached", { name: data.attachDocument.filename, reference }));
      file.value = "";
    }),
  );
  return h("section", { class: "card", "aria-labelledby": "upload-title" }, h("h2", { id: "upload-title" }, t("upload")), form);
}

function requestsCard(requests, reload) {
  const rows = requests.map((request) => {
    const email = request.account.email;
    const box = messageBox();
    const note = h("input", { type: "text", name: "note", autocomplete: "off" });
    const decide = (approve) => async () => {
      buttons.forEach((b) => (b.disabled = true));
      try {
        await gql("DecideAdminAccessRequest", { requestId: request.id, approve, note: note.value.trim() });
        reload(t(approve ? "approved" : "refused", { email }));
      } catch (error) {
        showError(null, box, error);
        buttons.forEach((b) => (b.disabled = false));
      }
    };
    const buttons = [
      h("button", { type: "button", class: "primary", "aria-label": t("approveLabel", { email }), onclick: decide(true) }, t("approve")),
      h("button", { type: "button", class: "danger", "aria-label": t("refuseLabel", { email }), onclick: decide(false) }, t("refuse")),
    ];
    return h(
      "tr",
      {},
      h("td", {}, person(request.account.fullName, email)),
      h("td", {}, request.establishment ? `${request.establishment.name} (${request.siret})` : request.siret),
      h("td", {}, request.message),
      h("td", {}, formatDateTime(request.createdAt)),
      h("td", {}, field(t("noteOf", { email }), note), h("div", { class: "actions" }, buttons), box),
    );
  });
  return h(
    "section",
    { class: "card", "aria-labelledby": "requests-title" },
    h("h2", { id: "requests-title" }, t("requests")),
    rows.length
      ? dataTable("admin-requests-table", [t("person"), t("siret"), t("message"), t("booked"), t("actions")], rows)
      : h("p", { class: "muted" }, t("noRequest")),
  );
}

function catalogCard(courses) {
  const rows = courses.map((course) =>
    h(
      "tr",
      {},
      h("td", {}, course.code),
      h("td", {}, course.title),
      h("td", { class: "number" }, formatMoney(course.listPrice)),
      h("td", {}, t(course.active ? "active" : "inactive")),
      h(
        "td",
        {},
        course.sessions.length
          ? h(
              "ul",
              { class: "list-plain" },
              course.sessions.map((s) =>
                h(
                  "li",
                  {},
                  t("sessionLine", {
                    from: formatDate(s.startsOn),
                    to: formatDate(s.endsOn),
                    city: s.city,
                    left: s.seatsLeft,
                    capacity: s.capacity,
                    status: t(`session.${s.status}`),
                  }),
                ),
              ),
            )
          : t("noSession"),
      ),
    ),
  );
  return h(
    "section",
    { class: "card", "aria-labelledby": "catalog-title" },
    h("h2", { id: "catalog-title" }, t("catalog")),
    dataTable("catalog-table", [t("code"), t("course"), t("price"), t("active"), t("sessions")], rows),
  );
}
