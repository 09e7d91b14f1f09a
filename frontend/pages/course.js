// One course: its sessions, the price this viewer may see, and the enrolment form
// (trainees, the establishment ordering, the registrant e-mail with the rule-5 warning).
import { field, h, messageBox, newId, replace } from "../lib/dom.js";
import { handleSubmit } from "../lib/forms.js";
import { gql } from "../lib/graphql.js";
import { formatDate, formatDateTime, formatMoney, translator } from "../lib/i18n.js";
import { priceBlock } from "../lib/price.js";

const t = translator({
  fr: {
    notFound: "Cette formation n'existe pas ou n'est plus au catalogue.",
    days: "{n} jour(s)",
    enrolTitle: "S'inscrire",
    signInToEnrol: "Connectez-vous pour inscrire des participants",
    session: "Session",
    sessionOption: "Du {from} au {to}, {city} — {n} place(s)",
    noSession: "Aucune session ouverte n'a de place pour l'instant.",
    orderFor: "Commande passée pour",
    individualOrder: "Moi-même, à titre individuel",
    trainees: "Participants",
    trainee: "Participant {n}",
    firstName: "Prénom",
    lastName: "Nom",
    traineeEmail: "E-mail (facultatif)",
    addTrainee: "Ajouter un participant",
    removeTrainee: "Retirer le participant {n}",
    registrant: "Responsable de l'inscription",
    registrantEmail: "E-mail du responsable de l'inscription",
    registrantHint: "Votre adresse de connexion par défaut.",
    registrantName: "Nom du responsable",
    otherAddressWarning:
      "Attention : avec une autre adresse que votre adresse de connexion ({email}), cette inscription n'apparaîtra pas dans votre historique, mais dans celui du compte de cette adresse.",
    total: "Total estimé : {amount} HT pour {n} participant(s). Les remises Pass Fidélité s'appliquent sur la facture.",
    submit: "Envoyer la demande d'inscription",
    sent: "Demande d'inscription {reference} envoyée. Nos équipes la valident sous 24 heures ouvrées (au plus tard le {by}) ; vous recevrez alors un e-mail de confirmation.",
    sentElsewhere: "Demande d'inscription {reference} envoyée. Elle apparaît dans l'historique de {email}, pas dans le vôtre.",
    sentUnverified: "Demande d'inscription {reference} envoyée. Vérifiez votre adresse e-mail (lien reçu à l'inscription) pour la voir dans votre historique.",
    see: "Voir l'inscription",
    unverified: "Votre adresse e-mail n'est pas encore vérifiée : vos demandes sont limitées en nombre jusqu'à sa vérification.",
  },
  en: {
    notFound: "This course does not exist or left the catalog.",
    days: "{n} day(s)",
    enrolTitle: "Enrol",
    signInToEnrol: "Sign in to enrol people",
    session: "Session",
    sessionOption: "{from} to {to}, {city} — {n} seat(s) left",
    noSession: "No open session has seats left for now.",
    orderFor: "Order placed for",
    individualOrder: "Myself, as an individual",
    trainees: "Trainees",
    trainee: "Trainee {n}",
    firstName: "First name",
    lastName: "Last name",
    traineeEmail: "E-mail (optional)",
    addTrainee: "Add a trainee",
    removeTrainee: "Remove trainee {n}",
    registrant: "Registrant",
    registrantEmail: "Registrant e-mail",
    registrantHint: "Your login e-mail by default.",
    registrantName: "Registrant name",
    otherAddressWarning:
      "Warning: with another address than your login e-mail ({email}), this enrollment will not show in your history, but in the history of that address's account.",
    total: "Estimated total: {amount} excl. VAT for {n} trainee(s). Loyalty pass discounts apply on the invoice.",
    submit: "Send the booking request",
    sent: "Booking request {reference} sent. Our staff validate it within 24 business hours (by {by}); you will then get a confirmation e-mail.",
    sentElsewhere: "Booking request {reference} sent. It shows in the history of {email}, not in yours.",
    sentUnverified: "Booking request {reference} sent. Verify your e-mail address (link sent at sign-up) to see it in your history.",
    see: "See the enrollment",
    unverified: "Your e-mail address is not verified yet: your requests are limited in number until it is.",
  },
});

export async function render(ctx) {
  let data;
  try {
    data = await gql("CourseForEnrollment", { id: ctx.params.courseId });
  } catch (error) {
    if (error.code !== "NOT_FOUND" && error.code !== "BAD_USER_INPUT") throw error;
    ctx.setTitle(t("notFound.title"));
    return h("section", { class: "card" }, h("h1", {}, t("notFound.title")), h("p", {}, t("notFound")));
  }
  const { course, me, establishments } = data;
  ctx.setTitle(course.title);
  return h(
    "section",
    {},
    h("p", {}, h("a", { href: "/catalog" }, `← ${t("nav.catalog")}`)),
    h(
      "article",
      { class: "card" },
      h("h1", {}, course.title),
      h("p", { class: "muted" }, `${course.code} · ${t("days", { n: Number(course.durationDays) })}`),
      course.summary ? h("p", {}, course.summary) : null,
      priceBlock(course.price),
    ),
    me ? enrolForm(ctx, course, me, establishments) : signInPrompt(course),
  );
}

function signInPrompt(course) {
  const here = `/catalog/${course.id}`;
  return h(
    "section",
    { class: "card" },
    h("h2", {}, t("enrolTitle")),
    h("p", {}, h("a", { href: `/sign-in?next=${encodeURIComponent(here)}`, class: "button primary" }, t("signInToEnrol"))),
  );
}

function establishmentsOf(me, establishments) {
  const byId = new Map();
  for (const site of me.company?.establishments || []) byId.set(site.id, site);
  for (const site of establishments || []) byId.set(site.id, site);
  return [...byId.values()].sort((a, b) => a.name.localeCompare(b.name));
}

function enrolForm(ctx, course, me, establishments) {
  const box = messageBox();
  const sessions = course.sessions.filter((session) => session.bookable);
  if (!sessions.length) {
    return h("section", { class: "card" }, h("h2", {}, t("enrolTitle")), h("p", {}, t("noSession")));
  }
  const sessionChoices = h(
    "fieldset",
    {},
    h("legend", {}, t("session")),
    sessions.map((session, index) =>
      h(
        "label",
        { class: "choice" },
        h("input", { type: "radio", name: "sessionId", value: session.id, checked: index === 0, required: true }),
        t("sessionOption", {
          from: formatDate(session.startsOn),
          to: formatDate(session.endsOn),
          city: session.city,
          n: session.seatsLeft,
        }),
      ),
    ),
  );
  const sites = establishmentsOf(me, establishments);
  const orderFor = h(
    "select",
    { name: "establishmentId" },
    sites.map((site) => h("option", { value: site.id }, `${site.name} (${site.city})`)),
    h("option", { value: "" }, t("individualOrder")),
  );
  const trainees = h("div", { class: "trainees" });
  const addTrainee = () => {
    trainees.append(traineeRow(trainees));
    renumber(trainees);
    updateTotal();
  };
  const registrantEmail = h("input", {
    type: "email",
    name: "registrantEmail",
    value: me.email,
    required: true,
    autocomplete: "email",
  });
  const registrantName = h("input", { type: "text", name: "registrantName", value: me.fullName, autocomplete: "name" });
  const warning = h("div", { class: "message warn", role: "note", hidden: true }, t("otherAddressWarning", { email: me.email }));
  registrantEmail.addEventListener("input", () => {
    warning.hidden = registrantEmail.value.trim().toLowerCase() === me.email.toLowerCase();
  });
  const total = h("p", { class: "muted", "aria-live": "polite" });
  const updateTotal = () => {
    const n = trainees.children.length;
    total.textContent = t("total", { amount: formatMoney(Number(course.price.netPrice) * n), n });
  };
  const form = h(
    "form",
    { class: "card", id: "enrol-form" },
    h("h2", {}, t("enrolTitle")),
    me.emailVerified ? null : h("div", { class: "message info" }, t("unverified")),
    box,
    sessionChoices,
    sites.length ? field(t("orderFor"), orderFor) : null,
    h(
      "fieldset",
      {},
      h("legend", {}, t("trainees")),
      trainees,
      h("button", { type: "button", onclick: addTrainee }, t("addTrainee")),
    ),
    h(
      "fieldset",
      {},
      h("legend", {}, t("registrant")),
      field(t("registrantEmail"), registrantEmail, t("registrantHint")),
      warning,
      field(t("registrantName"), registrantName),
    ),
    total,
    h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, t("submit"))),
  );
  trainees.addEventListener("trainee-removed", () => {
    renumber(trainees);
    updateTotal();
  });
  addTrainee();
  form.addEventListener(
    "submit",
    handleSubmit(form, box, async () => {
      const input = {
        sessionId: form.elements.sessionId.value,
        trainees: [...trainees.children].map((row) => ({
          firstName: row.querySelector("[name=firstName]").value.trim(),
          lastName: row.querySelector("[name=lastName]").value.trim(),
          email: row.querySelector("[name=email]").value.trim(),
        })),
        establishmentId: sites.length && orderFor.value ? orderFor.value : null,
        registrantEmail: registrantEmail.value.trim(),
        registrantName: registrantName.value.trim(),
      };
      const { enroll: result } = await gql("Enroll", { input });
      const done = h("div", { class: "message ok", role: "status" });
      if (result.enrollment) {
        const by = formatDateTime(result.enrollment.expectedValidationBy);
        replace(
          done,
          h("p", {}, t("sent", { reference: result.reference, by })),
          h("p", {}, h("a", { href: `/enrollments/${result.enrollment.id}` }, t("see"))),
        );
      } else if (input.registrantEmail.toLowerCase() !== me.email.toLowerCase()) {
        done.textContent = t("sentElsewhere", { reference: result.reference, email: input.registrantEmail });
      } else {
        // Her own address, not verified yet: the order joins her history once it is (rule 4).
        done.textContent = t("sentUnverified", { reference: result.reference });
      }
      replace(form, h("h2", {}, t("enrolTitle")), done);
      form.querySelector("a")?.focus();
    }),
  );
  return form;
}

function traineeRow(container) {
  const input = (name, label, attributes = {}) => {
    const id = newId("trainee");
    return h(
      "div",
      { class: "field" },
      h("label", { for: id }, label),
      h("input", { id, name, type: "text", ...attributes }),
    );
  };
  const row = h(
    "div",
    { class: "trainee-row", role: "group" },
    input("firstName", t("firstName"), { required: true, autocomplete: "off" }),
    input("lastName", t("lastName"), { required: true, autocomplete: "off" }),
    input("email", t("traineeEmail"), { type: "email", autocomplete: "off" }),
  );
  const remove = h("button", {
    type: "button",
    class: "danger remove-trainee",
    onclick: () => {
      if (container.children.length <= 1) return;
      row.remove();
      container.dispatchEvent(new Event("trainee-removed"));
      container.querySelector("input")?.focus();
    },
  });
  row.append(remove);
  return row;
}

function renumber(container) {
  [...container.children].forEach((row, index) => {
    const n = index + 1;
    row.setAttribute("aria-label", t("trainee", { n }));
    const remove = row.querySelector(".remove-trainee");
    remove.textContent = "✕";
    remove.setAttribute("aria-label", t("removeTrainee", { n }));
    remove.disabled = container.children.length <= 1;
  });
}
