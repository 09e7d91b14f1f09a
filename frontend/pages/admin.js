// The admin dashboard of an establishment: people and their accesses (document-kind
// checkboxes), grant / change / revoke, invitations, pending admin-access requests, stats by
// status, the audit log and the CSV export. What the viewer may do comes from the API:
// `viewerCanManageAccesses` (which establishments are shown), `Access.viewerCanDemote` and
// `viewerCanRevoke` (which controls are enabled), never from a role test here.
import { dataTable, field, h, messageBox, newId, replace } from "../lib/dom.js";
import { handleSubmit, runOnClick, showError } from "../lib/forms.js";
import { gql } from "../lib/graphql.js";
import { formatDate, formatDateTime, formatMoney, translator } from "../lib/i18n.js";
import { DOCUMENT_KINDS, STATUSES } from "../lib/messages.js";
import { statusBadge } from "../lib/badges.js";
import { downloadWithToken } from "../lib/download.js";

const AUDIT_PAGE = 20;
const AUDIT_ACTIONS = [
  "ACCESS_GRANTED",
  "ACCESS_GRANTED_INVITATION",
  "ACCESS_UPDATED",
  "ACCESS_REVOKED",
  "INVITATION_SENT",
  "INVITATION_ACCEPTED",
  "INVITATION_WITHDRAWN",
  "ADMIN_REQUEST_FILED",
  "ADMIN_REQUEST_APPROVED",
  "ADMIN_REQUEST_REJECTED",
  "ENROLLMENT_BOOKED",
  "ENROLLMENT_VALIDATED",
  "ENROLLMENT_CANCELLED",
  "DOCUMENT_UPLOADED",
  "DOCUMENT_DOWNLOADED",
];

const t = translator({
  fr: {
    title: "Administration",
    titleOf: "Administration — {name}",
    none: "Vous n'administrez aucun établissement.",
    establishment: "Établissement",
    show: "Afficher",
    stats: "Inscriptions par statut",
    status: "Statut",
    count: "Nombre",
    amount: "Montant HT",
    total: "Total",
    noEnrollment: "Aucune inscription pour cet établissement.",
    export: "Exporter les inscriptions (CSV)",
    exportHint: "Toutes les inscriptions de l'établissement, dans un fichier CSV.",
    exportDone: "L'export {name} est téléchargé.",
    exportFailed: "L'export n'a pas pu être téléchargé ({message}).",
    people: "Personnes et accès",
    person: "Personne",
    role: "Niveau d'accès",
    kinds: "Documents visibles",
    kindsOf: "Documents visibles par {name}",
    allKinds: "Un administrateur voit tous les documents.",
    actions: "Actions",
    saveAccess: "Enregistrer",
    saveAccessLabel: "Enregistrer l'accès de {name}",
    revoke: "Retirer l'accès",
    revokeLabel: "Retirer l'accès de {name}",
    roleOf: "Niveau d'accès de {name}",
    ownAdmin: "C'est votre propre accès administrateur : vous ne pouvez ni l'abaisser ni le retirer.",
    lastAdmin: "Dernier administrateur de l'établissement : il ne peut être ni abaissé ni retiré.",
    cannotRevoke: "Cet accès ne peut pas être retiré par vous.",
    saved: "L'accès de {name} est enregistré.",
    revoked: "L'accès de {name} est retiré.",
    confirmRevoke: "Confirmer le retrait",
    confirmRevokeLabel: "Confirmer le retrait de l'accès de {name}",
    revokeWarning: "{name} ne verra plus les inscriptions ni les documents de l'établissement.",
    keep: "Garder l'accès",
    grantTitle: "Donner un accès ou inviter",
    grantHint: "Une adresse sans compte vérifié reçoit une invitation par e-mail.",
    email: "Adresse e-mail de la personne",
    grantKinds: "Documents visibles (accès standard)",
    grantSubmit: "Donner l'accès",
    granted: "{email} a maintenant accès à l'établissement.",
    invited: "Une invitation a été envoyée à {email}.",
    invitations: "Invitations",
    noInvitation: "Aucune invitation.",
    invitedBy: "Invité par",
    sentOn: "Envoyée le",
    expiresOn: "Expire le",
    state: "État",
    "state.pending": "En attente",
    "state.accepted": "Acceptée le {date}",
    "state.withdrawn": "Retirée le {date}",
    "state.expired": "Expirée",
    withdraw: "Retirer l'invitation",
    withdrawLabel: "Retirer l'invitation de {email}",
    withdrawn: "L'invitation de {email} est retirée.",
    requests: "Demandes d'accès administrateur en attente",
    requestsHint: "L'équipe Espace décide de ces demandes ; elles sont listées ici pour information.",
    noRequest: "Aucune demande en attente.",
    requestedOn: "Demandée le",
    message: "Message",
    audit: "Journal d'audit",
    auditAction: "Action",
    anyAction: "Toutes les actions",
    actor: "Auteur (adresse e-mail)",
    from: "Depuis le",
    to: "Jusqu'au",
    filter: "Filtrer",
    at: "Date",
    target: "Objet",
    change: "Changement",
    noEntry: "Aucune entrée.",
    more: "Entrées suivantes",
    auditForbidden: "Vous ne pouvez pas lire le journal d'audit de cet établissement.",
    "action.ACCESS_GRANTED": "Accès donné",
    "action.ACCESS_GRANTED_INVITATION": "Accès donné par invitation",
    "action.ACCESS_UPDATED": "Accès modifié",
    "action.ACCESS_REVOKED": "Accès retiré",
    "action.INVITATION_SENT": "Invitation envoyée",
    "action.INVITATION_ACCEPTED": "Invitation acceptée",
    "action.INVITATION_WITHDRAWN": "Invitation retirée",
    "action.ADMIN_REQUEST_FILED": "Demande d'accès administrateur",
    "action.ADMIN_REQUEST_APPROVED": "Demande d'accès administrateur approuvée",
    "action.ADMIN_REQUEST_REJECTED": "Demande d'accès administrateur refusée",
    "action.ENROLLMENT_BOOKED": "Inscription demandée",
    "action.ENROLLMENT_VALIDATED": "Inscription validée",
    "action.ENROLLMENT_CANCELLED": "Inscription annulée",
    "action.DOCUMENT_UPLOADED": "Document déposé",
    "action.DOCUMENT_DOWNLOADED": "Document téléchargé",
  },
  en: {
    title: "Administration",
    titleOf: "Administration — {name}",
    none: "You administer no establishment.",
    establishment: "Establishment",
    show: "Show",
    stats: "Enrollments by status",
    status: "Status",
    count: "Count",
    amount: "Amount excl. VAT",
    total: "Total",
    noEnrollment: "No enrollment for this establishment.",
    export: "Export the enrollments (CSV)",
    exportHint: "Every enrollment of the establishment, as a CSV file.",
    exportDone: "The export {name} is downloaded.",
    exportFailed: "The export could not be downloaded ({message}).",
    people: "People and accesses",
    person: "Person",
    role: "Access level",
    kinds: "Documents shown",
    kindsOf: "Documents shown to {name}",
    allKinds: "An administrator sees every document.",
    actions: "Actions",
    saveAccess: "Save",
    saveAccessLabel: "Save the access of {name}",
    revoke: "Revoke the access",
    revokeLabel: "Revoke the access of {name}",
    roleOf: "Access level of {name}",
    ownAdmin: "This is your own admin access: you can neither lower nor remove it.",
    lastAdmin: "Last administrator of the establishment: it can be neither lowered nor removed.",
    cannotRevoke: "You may not remove this access.",
    saved: "The access of {name} is saved.",
    revoked: "The access of {name} is revoked.",
    confirmRevoke: "Confirm the revocation",
    confirmRevokeLabel: "Confirm the revocation of the access of {name}",
    revokeWarning: "{name} will no longer see the enrollments nor the documents of the establishment.",
    keep: "Keep the access",
    grantTitle: "Give an access or invite",
    grantHint: "An address without a verified account gets an invitation by e-mail.",
    email: "E-mail address of the person",
    grantKinds: "Documents shown (standard access)",
    grantSubmit: "Give the access",
    granted: "{email} now has an access to the establishment.",
    invited: "An invitation was sent to {email}.",
    invitations: "Invitations",
    noInvitation: "No invitation.",
    invitedBy: "Invited by",
    sentOn: "Sent on",
    expiresOn: "Expires on",
    state: "State",
    "state.pending": "Pending",
    "state.accepted": "Accepted on {date}",
    "state.withdrawn": "Withdrawn on {date}",
    "state.expired": "Expired",
    withdraw: "Withdraw the invitation",
    withdrawLabel: "Withdraw the invitation of {email}",
    withdrawn: "The invitation of {email} is withdrawn.",
    requests: "Pending requests for an admin access",
    requestsHint: "The Espace team decides on these requests; they are listed here for your information.",
    noRequest: "No pending request.",
    requestedOn: "Requested on",
    message: "Message",
    audit: "Audit log",
    auditAction: "Action",
    anyAction: "Every action",
    actor: "Actor (e-mail address)",
    from: "From",
    to: "To",
    filter: "Filter",
    at: "Date",
    target: "Object",
    change: "Change",
    noEntry: "No entry.",
    more: "Next entries",
    auditForbidden: "You may not read the audit log of this establishment.",
    "action.ACCESS_GRANTED": "Access granted",
    "action.ACCESS_GRANTED_INVITATION": "Access granted by invitation",
    "action.ACCESS_UPDATED": "Access changed",
    "action.ACCESS_REVOKED": "Access revoked",
    "action.INVITATION_SENT": "Invitation sent",
    "action.INVITATION_ACCEPTED": "Invitation accepted",
    "action.INVITATION_WITHDRAWN": "Invitation withdrawn",
    "action.ADMIN_REQUEST_FILED": "Admin access requested",
    "action.ADMIN_REQUEST_APPROVED": "Admin access request approved",
    "action.ADMIN_REQUEST_REJECTED": "Admin access request refused",
    "action.ENROLLMENT_BOOKED": "Enrollment booked",
    "action.ENROLLMENT_VALIDATED": "Enrollment validated",
    "action.ENROLLMENT_CANCELLED": "Enrollment cancelled",
    "action.DOCUMENT_UPLOADED": "Document uploaded",
    "action.DOCUMENT_DOWNLOADED": "Document downloaded",
  },
});

export async function render(ctx) {
  ctx.setTitle(t("title"));
  const { establishments } = await gql("AdminEstablishments");
  const manageable = establishments.filter((e) => e.viewerCanManageAccesses);
  if (!manageable.length) {
    return h("section", {}, h("h1", {}, t("title")), h("p", { class: "message info" }, t("none")));
  }
  const wanted = ctx.query.get("establishment");
  const current = manageable.find((e) => e.id === wanted) || manageable[0];
  const data = await gql("AdminDashboard", { id: current.id });
  const establishment = data.establishment;
  ctx.setTitle(t("titleOf", { name: establishment.name }));
  const notice = messageBox();
  notice.id = "admin-notice";
  const reload = (text) => {
    sessionStorage.setItem("espace.admin.notice", text);
    ctx.rerender();
  };
  const pending = sessionStorage.getItem("espace.admin.notice");
  if (pending) {
    sessionStorage.removeItem("espace.admin.notice");
    notice.show("ok", pending);
  }
  return h(
    "section",
    { class: "admin" },
    h("h1", {}, t("titleOf", { name: establishment.name })),
    h("p", { class: "muted" }, `${establishment.companyName} · ${establishment.city} · SIRET ${establishment.siret}`),
    manageable.length > 1 ? chooser(ctx, manageable, current) : null,
    notice,
    statsCard(data.enrollmentStats, establishment),
    peopleCard(ctx, establishment, notice, reload),
    grantCard(establishment, reload),
    invitationsCard(establishment, notice, reload),
    requestsCard(establishment),
    auditCard(establishment),
  );
}

function chooser(ctx, manageable, current) {
  const select = h(
    "select",
    { name: "establishment" },
    manageable.map((e) => h("option", { value: e.id, selected: e.id === current.id }, `${e.name} (${e.city})`)),
  );
  const form = h(
    "form",
    { class: "filters" },
    field(t("establishment"), select),
    h("div", { class: "actions" }, h("button", { type: "submit" }, t("show"))),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    ctx.navigate(`/admin?establishment=${encodeURIComponent(select.value)}`);
  });
  return form;
}

// -- stats and export -----------------------------------------------------------------------

function statsCard(stats, establishment) {
  const box = messageBox();
  const rows = STATUSES.map((status) => stats.byStatus.find((row) => row.status === status)).filter((row) => row?.count > 0);
  const table = rows.length
    ? h(
        "div",
        { class: "table-wrap" },
        h(
          "table",
          { id: "stats-table" },
          h(
            "thead",
            {},
            h("tr", {}, [t("status"), t("count"), t("amount")].map((text, i) => h("th", { scope: "col", class: i ? "number" : null }, text))),
          ),
          h(
            "tbody",
            {},
            rows.map((row) =>
              h("tr", {}, h("td", {}, statusBadge(row.status)), h("td", { class: "number" }, row.count), h("td", { class: "number" }, formatMoney(row.amount))),
            ),
          ),
          h(
            "tfoot",
            {},
            h("tr", {}, h("th", { scope: "row" }, t("total")), h("td", { class: "number" }, stats.count), h("td", { class: "number" }, formatMoney(stats.amount))),
          ),
        ),
      )
    : h("p", { class: "muted" }, t("noEnrollment"));
  const button = h("button", { type: "button", id: "export-csv" }, t("export"));
  button.addEventListener("click", () => exportCsv(establishment, button, box));
  return h(
    "section",
    { class: "card", "aria-labelledby": "stats-title" },
    h("h2", { id: "stats-title" }, t("stats")),
    table,
    h("div", { class: "actions" }, button),
    h("p", { class: "hint" }, t("exportHint")),
    box,
  );
}

/** The streamed CSV export, saved through `downloadWithToken` (the Authorization header;
 *  the token never goes in a URL). */
async function exportCsv(establishment, button, box) {
  box.clear();
  button.disabled = true;
  const name = `inscriptions-${establishment.id}.csv`;
  try {
    const params = new URLSearchParams({ establishmentId: establishment.id });
    await downloadWithToken(`/exports/enrollments.csv?${params}`, name);
    box.show("ok", t("exportDone", { name }));
  } catch (error) {
    box.show("error", t("exportFailed", { message: String(error.message || error) }));
  } finally {
    button.disabled = false;
  }
}

// -- people and accesses --------------------------------------------------------------------

function kindsFieldset(legend, name, selected, disabled) {
  return h(
    "fieldset",
    { class: "kinds" },
    h("legend", {}, legend),
    DOCUMENT_KINDS.map((kind) => {
      const id = newId("kind");
      return h(
        "div",
        { class: "choice" },
        h("input", { type: "checkbox", id, name, value: kind, checked: selected.includes(kind), disabled }),
        h("label", { for: id }, t(`kind.${kind}`)),
      );
    }),
  );
}

function roleSelect(label, value, disabled, hint) {
  const select = h(
    "select",
    { name: "role", disabled },
    ["STANDARD", "ADMIN"].map((role) => h("option", { value: role, selected: role === value }, t(`role.${role}`))),
  );
  return { select, wrapper: field(label, select, hint) };
}

function peopleCard(ctx, establishment, notice, reload) {
  const accesses = establishment.accesses || [];
  return h(
    "section",
    { class: "card", "aria-labelledby": "people-title" },
    h("h2", { id: "people-title" }, t("people")),
    h("ul", { class: "list-plain", id: "people" }, accesses.map((access) => accessItem(ctx, access, notice, reload))),
  );
}

function accessItem(ctx, access, notice, reload) {
  const name = access.account.fullName || access.account.email;
  const own = access.account.id === ctx.viewer?.id;
  const locked = access.role === "ADMIN" && !access.viewerCanDemote;
  const why = locked ? t(own ? "ownAdmin" : "lastAdmin") : null;
  const { select, wrapper } = roleSelect(t("roleOf", { name }), access.role, locked, why);
  const kinds = kindsFieldset(t("kindsOf", { name }), "documentKinds", access.documentKinds, false);
  kinds.hidden = access.role === "ADMIN";
  const kindsNote = h("p", { class: "hint", hidden: access.role !== "ADMIN" }, t("allKinds"));
  select.addEventListener("change", () => {
    kinds.hidden = select.value === "ADMIN";
    kindsNote.hidden = !kinds.hidden;
  });
  const box = messageBox();
  const save = h("button", { type: "submit", class: "primary", "aria-label": t("saveAccessLabel", { name }), disabled: locked }, t("saveAccess"));
  // Why revoking is off: the level's own explanation when it is locked too, else its own.
  const revokeWhy = access.viewerCanRevoke || locked ? null : h("p", { class: "hint", id: newId("why") }, t("cannotRevoke"));
  const revokeDescription = access.viewerCanRevoke ? null : revokeWhy?.id || `${select.id}-hint`;
  const revoke = h(
    "button",
    {
      type: "button",
      class: "danger",
      "aria-label": t("revokeLabel", { name }),
      "aria-describedby": revokeDescription,
      disabled: !access.viewerCanRevoke,
    },
    t("revoke"),
  );
  // Revoking takes a second, explicit click: the confirmation replaces the button.
  const confirm = h("button", { type: "button", class: "danger", "aria-label": t("confirmRevokeLabel", { name }) }, t("confirmRevoke"));
  const keep = h("button", { type: "button" }, t("keep"));
  const confirmation = h("div", { class: "subform", role: "group", "aria-label": t("confirmRevokeLabel", { name }), hidden: true },
    h("p", {}, t("revokeWarning", { name })), h("div", { class: "actions" }, confirm, keep));
  revoke.addEventListener("click", () => {
    confirmation.hidden = false;
    revoke.hidden = true;
    confirm.focus();
  });
  keep.addEventListener("click", () => {
    confirmation.hidden = true;
    revoke.hidden = false;
    revoke.focus();
  });
  runOnClick(confirm, box, async () => {
    await gql("RevokeAccess", { accessId: access.id });
    reload(t("revoked", { name }));
  });
  const form = h(
    "form",
    { class: "access", "data-email": access.account.email, "aria-label": name },
    h("h3", {}, name, " ", h("span", { class: "muted" }, `<${access.account.email}>`)),
    wrapper,
    kinds,
    kindsNote,
    h("div", { class: "actions" }, save, revoke),
    revokeWhy,
    confirmation,
    box,
  );
  form.addEventListener(
    "submit",
    handleSubmit(form, box, async () => {
      const role = select.value;
      const documentKinds = role === "ADMIN" ? [] : checked(kinds);
      await gql("UpdateAccess", { accessId: access.id, role, documentKinds });
      reload(t("saved", { name }));
    }),
  );
  return h("li", { class: "access-item" }, form);
}

/** Document kinds in the catalogue's order, in words. */
function kindsText(kinds) {
  return DOCUMENT_KINDS.filter((kind) => kinds.includes(kind))
    .map((kind) => t(`kind.${kind}`))
    .join(", ");
}

function checked(container) {
  return [...container.querySelectorAll("input[type=checkbox]:checked")].map((box) => box.value);
}

function grantCard(establishment, reload) {
  const box = messageBox();
  const email = h("input", { type: "email", name: "email", required: true, autocomplete: "off" });
  const { select } = roleSelect(t("role"), "STANDARD", false);
  const kinds = kindsFieldset(t("grantKinds"), "documentKinds", [], false);
  const kindsNote = h("p", { class: "hint", hidden: true }, t("allKinds"));
  select.addEventListener("change", () => {
    kinds.hidden = select.value === "ADMIN";
    kindsNote.hidden = !kinds.hidden;
  });
  const form = h(
    "form",
    { id: "grant-form" },
    field(t("email"), email, t("grantHint")),
    field(t("role"), select),
    kinds,
    kindsNote,
    h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, t("grantSubmit"))),
    box,
  );
  form.addEventListener(
    "submit",
    handleSubmit(form, box, async () => {
      const role = select.value;
      const data = await gql("GrantAccessOrInvite", {
        establishmentId: establishment.id,
        email: email.value.trim(),
        role,
        documentKinds: role === "ADMIN" ? [] : checked(kinds),
      });
      const payload = data.grantAccessOrInvite;
      reload(payload.invitation ? t("invited", { email: payload.invitation.email }) : t("granted", { email: email.value.trim() }));
    }),
  );
  return h(
    "section",
    { class: "card", "aria-labelledby": "grant-title" },
    h("h2", { id: "grant-title" }, t("grantTitle")),
    form,
  );
}

// -- invitations and requests ---------------------------------------------------------------

function invitationState(invitation) {
  if (invitation.acceptedAt) return t("state.accepted", { date: formatDate(invitation.acceptedAt) });
  if (invitation.withdrawnAt) return t("state.withdrawn", { date: formatDate(invitation.withdrawnAt) });
  if (new Date(invitation.expiresAt) < new Date()) return t("state.expired");
  return t("state.pending");
}

function invitationsCard(establishment, notice, reload) {
  const invitations = establishment.invitations || [];
  const box = messageBox();
  const rows = invitations.map((invitation) => {
    const open = !invitation.acceptedAt && !invitation.withdrawnAt && new Date(invitation.expiresAt) >= new Date();
    let action = null;
    if (open) {
      action = h("button", { type: "button", "aria-label": t("withdrawLabel", { email: invitation.email }) }, t("withdraw"));
      runOnClick(action, box, async () => {
        await gql("WithdrawInvitation", { invitationId: invitation.id });
        reload(t("withdrawn", { email: invitation.email }));
      });
    }
    const kinds = invitation.role === "ADMIN" ? t("allKinds") : kindsText(invitation.documentKinds);
    return [invitation.email, t(`role.${invitation.role}`), kinds, invitation.invitedByEmail || "—", formatDate(invitation.createdAt), formatDate(invitation.expiresAt), invitationState(invitation), action];
  });
  return h(
    "section",
    { class: "card", "aria-labelledby": "invitations-title" },
    h("h2", { id: "invitations-title" }, t("invitations")),
    rows.length
      ? dataTable("invitations-table", [t("email"), t("role"), t("kinds"), t("invitedBy"), t("sentOn"), t("expiresOn"), t("state"), t("actions")], rows)
      : h("p", { class: "muted" }, t("noInvitation")),
    box,
  );
}

function requestsCard(establishment) {
  const requests = establishment.pendingAdminRequests || [];
  return h(
    "section",
    { class: "card", "aria-labelledby": "requests-title" },
    h("h2", { id: "requests-title" }, t("requests")),
    h("p", { class: "hint" }, t("requestsHint")),
    requests.length
      ? dataTable(
          "requests-table",
          [t("person"), t("requestedOn"), t("message")],
          requests.map((r) => [`${r.account.fullName} <${r.account.email}>`, formatDateTime(r.createdAt), r.message]),
        )
      : h("p", { class: "muted" }, t("noRequest")),
  );
}


// -- audit log ------------------------------------------------------------------------------

function auditCard(establishment) {
  const box = messageBox();
  const action = h("select", { name: "action" }, h("option", { value: "" }, t("anyAction")), AUDIT_ACTIONS.map((a) => h("option", { value: a }, t(`action.${a}`))));
  const actor = h("input", { type: "email", name: "actorEmail", autocomplete: "off" });
  const from = h("input", { type: "date", name: "from" });
  const to = h("input", { type: "date", name: "to" });
  const body = h("tbody", {});
  const more = h("button", { type: "button", hidden: true }, t("more"));
  const empty = h("p", { class: "muted", hidden: true }, t("noEntry"));
  let after = null;
  let filter = {};

  async function load(reset) {
    box.clear();
    if (reset) {
      after = null;
      replace(body);
    }
    try {
      const data = await gql("AdminAuditLog", { establishmentId: establishment.id, first: AUDIT_PAGE, after, filter });
      const page = data.auditLogEntries;
      if (!page) {
        box.show("error", t("auditForbidden"));
        return;
      }
      for (const entry of page.nodes) body.append(auditRow(entry));
      after = page.pageInfo.endCursor;
      more.hidden = !page.pageInfo.hasNextPage;
      empty.hidden = body.children.length > 0;
    } catch (error) {
      showError(form, box, error);
    }
  }

  const form = h(
    "form",
    { class: "filters", id: "audit-filters" },
    field(t("auditAction"), action),
    field(t("actor"), actor),
    field(t("from"), from),
    field(t("to"), to),
    h("div", { class: "actions" }, h("button", { type: "submit" }, t("filter"))),
  );
  form.addEventListener(
    "submit",
    handleSubmit(form, box, async () => {
      filter = {};
      if (action.value) filter.actions = [action.value];
      if (actor.value.trim()) filter.actorEmail = actor.value.trim();
      if (from.value) filter.from = new Date(`${from.value}T00:00:00`).toISOString();
      if (to.value) filter.to = new Date(`${to.value}T23:59:59`).toISOString();
      await load(true);
    }),
  );
  more.addEventListener("click", () => load(false));
  load(true);
  return h(
    "section",
    { class: "card", "aria-labelledby": "audit-title" },
    h("h2", { id: "audit-title" }, t("audit")),
    form,
    h(
      "div",
      { class: "table-wrap" },
      h(
        "table",
        { id: "audit-table" },
        h("thead", {}, h("tr", {}, [t("at"), t("actor"), t("auditAction"), t("target"), t("change")].map((x) => h("th", { scope: "col" }, x)))),
        body,
      ),
    ),
    empty,
    h("div", { class: "pager" }, more),
    box,
  );
}

function snapshot(access) {
  if (!access) return "—";
  const kinds = access.role === "ADMIN" ? "" : ` (${kindsText(access.documentKinds) || "—"})`;
  return `${t(`role.${access.role}`)}${kinds}`;
}

/** "invitation.accepted" -> its words (the AuditAction INVITATION_ACCEPTED), else as it is. */
function actionText(action) {
  const key = `action.${action.replace(/\./g, "_").toUpperCase()}`;
  return AUDIT_ACTIONS.includes(key.slice(7)) ? t(key) : action;
}

function auditRow(entry) {
  const change = entry.accessBefore || entry.accessAfter ? `${snapshot(entry.accessBefore)} → ${snapshot(entry.accessAfter)}` : "";
  return h(
    "tr",
    {},
    h("td", {}, formatDateTime(entry.at)),
    h("td", {}, entry.actorEmail),
    h("td", {}, actionText(entry.action)),
    h("td", {}, `${entry.targetType}${entry.targetId ? ` ${entry.targetId}` : ""}`),
    h("td", {}, change),
  );
}
