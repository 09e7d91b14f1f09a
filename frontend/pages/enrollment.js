// One enrollment: its facts, trainees, invoices and the documents this viewer may see
// (downloadable), and the actions the API says this viewer may take now (viewerCanCancel,
// viewerCanRequestPostponement): other actions are not offered.
import { statusBadge } from "../lib/badges.js";
import { dataTable, field, h, messageBox } from "../lib/dom.js";
import { followSignedLink } from "../lib/download.js";
import { handleSubmit } from "../lib/forms.js";
import { gql } from "../lib/graphql.js";
import { formatDate, formatDateTime, formatMoney, formatSize, translator } from "../lib/i18n.js";
import { DOCUMENT_KINDS } from "../lib/messages.js";

const t = translator({
  fr: {
    notFound: "Cette inscription n'existe pas ou ne fait pas partie de votre historique.",
    backToHistory: "Mes inscriptions",
    facts: "Détails de l'inscription",
    reference: "Référence",
    status: "Statut",
    session: "Session",
    sessionDates: "Du {from} au {to}, {city}",
    channel: "Passée",
    registrant: "Responsable",
    establishment: "Établissement",
    booked: "Réservée le",
    expected: "Validation attendue au plus tard le",
    validated: "Validée le",
    cancelled: "Annulée le",
    cancelReason: "Motif",
    price: "Prix HT",
    priceAgreement: "{net} (tarif accord-cadre, au lieu de {list})",
    invoicedTotal: "Facturé",
    trainees: "Participants",
    firstName: "Prénom",
    lastName: "Nom",
    email: "E-mail",
    invoices: "Factures",
    noInvoice: "Pas encore de facture.",
    number: "Numéro",
    issued: "Émise le",
    amount: "Montant HT",
    loyalty: "Remise Pass Fidélité",
    total: "Total HT",
    final: "Finale",
    yes: "Oui",
    no: "Non",
    documents: "Documents",
    noDocumentKind: "Vous n'avez accès à aucun document de cette inscription.",
    notIssued: "Pas encore disponible",
    download: "Télécharger",
    downloadLabel: "Télécharger {name}",
    downloadFailed: "Le téléchargement n'a pas pu commencer.",
    actions: "Actions",
    cancelTitle: "Annuler l'inscription",
    cancelOpen: "Annuler cette inscription…",
    cancelReasonLabel: "Motif (facultatif)",
    cancelConfirm: "Confirmer l'annulation",
    cancelWarning: "L'annulation est définitive. Un e-mail la confirmera.",
    cancelDone: "L'inscription est annulée.",
    keep: "Ne pas annuler",
    postponeTitle: "Demander un report",
    postponeOpen: "Demander un report…",
    postponeSession: "Session souhaitée",
    postponeOption: "Du {from} au {to}, {city} — {n} place(s)",
    postponeMessage: "Message pour nos équipes (facultatif)",
    postponeSubmit: "Envoyer la demande de report",
    postponeDone: "Votre demande de report est envoyée : nos équipes vous répondront.",
    noOtherSession: "Aucune autre session de cette formation n'a de place pour l'instant.",
    pending: "Demande de report en attente depuis le {date} vers la session du {session} ({city}).",
    noAction: "Aucune action n'est possible sur cette inscription.",
  },
  en: {
    notFound: "This enrollment does not exist or is not in your history.",
    backToHistory: "My enrollments",
    facts: "Enrollment details",
    reference: "Reference",
    status: "Status",
    session: "Session",
    sessionDates: "{from} to {to}, {city}",
    channel: "Placed",
    registrant: "Registrant",
    establishment: "Establishment",
    booked: "Booked on",
    expected: "Validation expected by",
    validated: "Validated on",
    cancelled: "Cancelled on",
    cancelReason: "Reason",
    price: "Price excl. VAT",
    priceAgreement: "{net} (framework agreement price, instead of {list})",
    invoicedTotal: "Invoiced",
    trainees: "Trainees",
    firstName: "First name",
    lastName: "Last name",
    email: "E-mail",
    invoices: "Invoices",
    noInvoice: "No invoice yet.",
    number: "Number",
    issued: "Issued on",
    amount: "Amount excl. VAT",
    loyalty: "Loyalty pass discount",
    total: "Total excl. VAT",
    final: "Final",
    yes: "Yes",
    no: "No",
    documents: "Documents",
    noDocumentKind: "You have access to no document of this enrollment.",
    notIssued: "Not available yet",
    download: "Download",
    downloadLabel: "Download {name}",
    downloadFailed: "The download could not start.",
    actions: "Actions",
    cancelTitle: "Cancel the enrollment",
    cancelOpen: "Cancel this enrollment…",
    cancelReasonLabel: "Reason (optional)",
    cancelConfirm: "Confirm the cancellation",
    cancelWarning: "Cancelling is final. An e-mail will confirm it.",
    cancelDone: "The enrollment is cancelled.",
    keep: "Do not cancel",
    postponeTitle: "Ask for a postponement",
    postponeOpen: "Ask for a postponement…",
    postponeSession: "Session wanted",
    postponeOption: "{from} to {to}, {city} — {n} seat(s) left",
    postponeMessage: "A note for our staff (optional)",
    postponeSubmit: "Send the postponement request",
    postponeDone: "Your postponement request is sent: our staff will answer.",
    noOtherSession: "No other session of this course has seats left for now.",
    pending: "Postponement requested on {date} to the session of {session} ({city}), waiting for an answer.",
    noAction: "No action is possible on this enrollment.",
  },
});

export async function render(ctx) {
  let enrollment;
  try {
    enrollment = (await gql("EnrollmentDetail", { id: ctx.params.id })).enrollment;
  } catch (error) {
    if (error.code !== "NOT_FOUND" && error.code !== "BAD_USER_INPUT") throw error;
  }
  const back = h("p", {}, h("a", { href: "/history" }, `← ${t("backToHistory")}`));
  if (!enrollment) {
    ctx.setTitle(t("notFound.title"));
    return h("section", {}, back, h("div", { class: "card" }, h("h1", {}, t("notFound.title")), h("p", {}, t("notFound"))));
  }
  ctx.setTitle(`${enrollment.reference} · ${enrollment.courseTitle}`);
  const notice = messageBox();
  if (ctx.query.get("cancelled")) notice.show("ok", t("cancelDone"));
  if (ctx.query.get("postponed")) notice.show("ok", t("postponeDone"));
  return h(
    "section",
    {},
    back,
    h("h1", {}, `${enrollment.courseTitle} — ${enrollment.reference}`),
    notice,
    facts(enrollment),
    traineesCard(enrollment),
    invoicesCard(enrollment),
    documentsCard(enrollment),
    actionsCard(ctx, enrollment),
  );
}

function facts(e) {
  const rows = [
    [t("reference"), e.reference],
    [t("status"), statusBadge(e.status)],
    [
      t("session"),
      t("sessionDates", { from: formatDate(e.session.startsOn), to: formatDate(e.session.endsOn), city: e.session.city }),
    ],
    [t("channel"), t(`channel.${e.channel}`)],
    [t("registrant"), `${e.registrantName} <${e.registrantEmail}>`],
    e.establishment ? [t("establishment"), `${e.establishment.name} (${e.establishment.city})`] : null,
    [t("booked"), formatDateTime(e.bookedAt)],
    e.status === "PENDING_VALIDATION" ? [t("expected"), formatDateTime(e.expectedValidationBy)] : null,
    e.validatedAt ? [t("validated"), formatDateTime(e.validatedAt)] : null,
    e.cancelledAt ? [t("cancelled"), formatDateTime(e.cancelledAt)] : null,
    e.cancelledAt && e.cancelReason ? [t("cancelReason"), e.cancelReason] : null,
    [
      t("price"),
      e.discountSource === "FRAMEWORK_AGREEMENT" && e.netPriceTotal !== e.listPriceTotal
        ? t("priceAgreement", { net: formatMoney(e.netPriceTotal), list: formatMoney(e.listPriceTotal) })
        : formatMoney(e.netPriceTotal),
    ],
    Number(e.invoicedTotal) > 0 ? [t("invoicedTotal"), formatMoney(e.invoicedTotal)] : null,
  ].filter(Boolean);
  return h(
    "section",
    { class: "card", "aria-labelledby": "facts-title" },
    h("h2", { id: "facts-title" }, t("facts")),
    h("dl", { class: "facts" }, rows.map(([term, value]) => [h("dt", {}, term), h("dd", {}, value)])),
  );
}


function traineesCard(e) {
  return h(
    "section",
    { class: "card", "aria-labelledby": "trainees-title" },
    h("h2", { id: "trainees-title" }, `${t("trainees")} (${e.trainees.length})`),
    dataTable(
      "trainees-table",
      [t("firstName"), t("lastName"), t("email")],
      e.trainees.map((trainee) => [trainee.firstName, trainee.lastName, trainee.email || "—"]),
    ),
  );
}

function invoicesCard(e) {
  return h(
    "section",
    { class: "card", "aria-labelledby": "invoices-title" },
    h("h2", { id: "invoices-title" }, t("invoices")),
    e.invoices.length
      ? dataTable(
          "invoices-table",
          [t("number"), t("issued"), t("amount"), t("loyalty"), t("total"), t("final")],
          e.invoices.map((invoice) => [
            invoice.number,
            formatDate(invoice.issuedAt),
            formatMoney(invoice.amount),
            Number(invoice.loyaltyDiscountPercent) > 0
              ? `${formatMoney(invoice.loyaltyDiscountAmount)} (${Number(invoice.loyaltyDiscountPercent)} %)`
              : "—",
            formatMoney(invoice.total),
            invoice.final ? t("yes") : t("no"),
          ]),
        )
      : h("p", { class: "muted" }, t("noInvoice")),
  );
}

function documentsCard(e) {
  const box = messageBox();
  const kinds = DOCUMENT_KINDS.filter((kind) => e.visibleDocumentKinds.includes(kind));
  const items = kinds.map((kind) => {
    const documents = e.documents.filter((document) => document.kind === kind);
    return h(
      "li",
      { class: "document" },
      h("strong", {}, t(`kind.${kind}`)),
      documents.length
        ? h(
            "ul",
            { class: "list-plain" },
            documents.map((document) =>
              h(
                "li",
                {},
                `${document.filename} · ${formatSize(document.size)} · ${formatDate(document.createdAt)} `,
                h(
                  "button",
                  {
                    type: "button",
                    "aria-label": t("downloadLabel", { name: document.filename }),
                    onclick: (event) => download(event.currentTarget, document, box),
                  },
                  t("download"),
                ),
              ),
            ),
          )
        : h("span", { class: "muted" }, ` — ${t("notIssued")}`),
    );
  });
  return h(
    "section",
    { class: "card", "aria-labelledby": "documents-title" },
    h("h2", { id: "documents-title" }, t("documents")),
    box,
    kinds.length ? h("ul", { class: "list-plain", id: "documents-list" }, items) : h("p", { class: "muted" }, t("noDocumentKind")),
  );
}

/** Asks for a fresh signed link (valid five minutes, for this person) and follows it: the
 *  server answers the PDF as an attachment, so the page stays. */
async function download(button, document, box) {
  button.disabled = true;
  box.clear();
  try {
    const data = await gql("DocumentDownloadLink", { id: document.id });
    const url = data.document?.downloadUrl;
    if (!url) throw new Error("no link");
    followSignedLink(url, document.filename);
  } catch (error) {
    box.show("error", error.display || t("downloadFailed"));
  } finally {
    button.disabled = false;
  }
}

function actionsCard(ctx, e) {
  const parts = [];
  if (e.pendingPostponement) {
    const pending = e.pendingPostponement;
    parts.push(
      h(
        "div",
        { class: "message info" },
        t("pending", {
          date: formatDate(pending.createdAt),
          session: pending.requestedSession ? formatDate(pending.requestedSession.startsOn) : "—",
          city: pending.requestedSession?.city || "—",
        }),
      ),
    );
  }
  if (e.viewerCanCancel) parts.push(cancelSection(ctx, e));
  if (e.viewerCanRequestPostponement) parts.push(postponeSection(ctx, e));
  if (!e.viewerCanCancel && !e.viewerCanRequestPostponement && !e.pendingPostponement) {
    parts.push(h("p", { class: "muted" }, t("noAction")));
  }
  return h(
    "section",
    { class: "card", "aria-labelledby": "actions-title", id: "actions" },
    h("h2", { id: "actions-title" }, t("actions")),
    parts,
  );
}

/** A button that opens its form below it (aria-expanded), the form's first control focused. */
function disclosure(label, form, focusTarget) {
  const panelId = `${form.id}-panel`;
  form.id = panelId;
  form.hidden = true;
  const opener = h("button", { type: "button", "aria-expanded": "false", "aria-controls": panelId }, label);
  opener.addEventListener("click", () => {
    form.hidden = !form.hidden;
    opener.setAttribute("aria-expanded", String(!form.hidden));
    if (!form.hidden) focusTarget.focus();
  });
  return [opener, form];
}

function cancelSection(ctx, e) {
  const box = messageBox();
  const reason = h("textarea", { name: "reason", rows: "2", maxlength: "500" });
  const keep = h("button", { type: "button" }, t("keep"));
  const form = h(
    "form",
    { id: "cancel", class: "subform" },
    h("h3", {}, t("cancelTitle")),
    h("p", { class: "message warn" }, t("cancelWarning")),
    box,
    field(t("cancelReasonLabel"), reason),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "danger" }, t("cancelConfirm")), keep),
  );
  const [opener] = disclosure(t("cancelOpen"), form, reason);
  keep.addEventListener("click", () => opener.click());
  form.addEventListener(
    "submit",
    handleSubmit(form, box, async () => {
      await gql("CancelEnrollment", { id: e.id, reason: reason.value.trim() });
      await ctx.navigate(`/enrollments/${e.id}?cancelled=1`, { replace: true });
    }),
  );
  return h("div", { class: "action" }, opener, form);
}

function postponeSection(ctx, e) {
  const box = messageBox();
  const others = e.course.sessions.filter(
    (session) => session.id !== e.session.id && session.bookable && session.seatsLeft >= e.seats,
  );
  if (!others.length) return h("p", { class: "muted" }, t("noOtherSession"));
  const select = h(
    "select",
    { name: "sessionId", required: true },
    others.map((session) =>
      h(
        "option",
        { value: session.id },
        t("postponeOption", {
          from: formatDate(session.startsOn),
          to: formatDate(session.endsOn),
          city: session.city,
          n: session.seatsLeft,
        }),
      ),
    ),
  );
  const message = h("textarea", { name: "message", rows: "2", maxlength: "1000" });
  const form = h(
    "form",
    { id: "postpone", class: "subform" },
    h("h3", {}, t("postponeTitle")),
    box,
    field(t("postponeSession"), select),
    field(t("postponeMessage"), message),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, t("postponeSubmit"))),
  );
  const [opener] = disclosure(t("postponeOpen"), form, select);
  form.addEventListener(
    "submit",
    handleSubmit(form, box, async () => {
      await gql("RequestPostponement", { id: e.id, sessionId: select.value, message: message.value.trim() });
      await ctx.navigate(`/enrollments/${e.id}?postponed=1`, { replace: true });
    }),
  );
  return h("div", { class: "action" }, opener, form);
}
