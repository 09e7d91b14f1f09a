// The enrollment history (rules 4-7): filters, search, order and paging live in the address
// bar, so a page can be bookmarked, reloaded and gone back to.
import { statusBadge } from "../lib/badges.js";
import { field, h, newId } from "../lib/dom.js";
import { gql } from "../lib/graphql.js";
import { formatDate, formatMoney, translator } from "../lib/i18n.js";
import { STATUSES } from "../lib/messages.js";

const PAGE_SIZE = 20;
const ORDER_FIELDS = ["BOOKED_AT", "SESSION_START", "STATUS", "REFERENCE", "AMOUNT"];

const t = translator({
  fr: {
    title: "Mes inscriptions",
    filters: "Filtrer les inscriptions",
    search: "Rechercher",
    searchHint: "Référence, formation, participant, e-mail…",
    status: "Statut",
    establishment: "Établissement",
    allEstablishments: "Tous",
    sessionFrom: "Session à partir du",
    sessionTo: "Session jusqu'au",
    mineOnly: "Seulement les commandes dont je suis le responsable",
    orderBy: "Trier par",
    "order.BOOKED_AT": "Date de réservation",
    "order.SESSION_START": "Date de session",
    "order.STATUS": "Statut",
    "order.REFERENCE": "Référence",
    "order.AMOUNT": "Montant",
    direction: "Ordre",
    DESC: "Décroissant",
    ASC: "Croissant",
    apply: "Appliquer",
    reset: "Effacer les filtres",
    count: "{n} inscription(s)",
    empty: "Aucune inscription ne correspond.",
    emptyAll: "Vous n'avez pas encore d'inscription.",
    catalog: "Parcourir le catalogue",
    reference: "Référence",
    course: "Formation",
    session: "Session",
    seats: "Participants",
    amount: "Montant HT",
    booked: "Réservée le",
    pages: "Pagination",
    welcome: "Votre mot de passe est enregistré : bienvenue dans votre Espace client.",
    joined: "Invitation acceptée : vous voyez maintenant l'historique de cet établissement.",
    caption: "Inscriptions, triées par {order} ({direction})",
  },
  en: {
    title: "My enrollments",
    filters: "Filter the enrollments",
    search: "Search",
    searchHint: "Reference, course, trainee, e-mail…",
    status: "Status",
    establishment: "Establishment",
    allEstablishments: "All",
    sessionFrom: "Session from",
    sessionTo: "Session until",
    mineOnly: "Only the orders I am the registrant of",
    orderBy: "Sort by",
    "order.BOOKED_AT": "Booking date",
    "order.SESSION_START": "Session date",
    "order.STATUS": "Status",
    "order.REFERENCE": "Reference",
    "order.AMOUNT": "Amount",
    direction: "Order",
    DESC: "Descending",
    ASC: "Ascending",
    apply: "Apply",
    reset: "Clear the filters",
    count: "{n} enrollment(s)",
    empty: "No enrollment matches.",
    emptyAll: "You have no enrollment yet.",
    catalog: "Browse the catalog",
    reference: "Reference",
    course: "Course",
    session: "Session",
    seats: "Trainees",
    amount: "Amount excl. VAT",
    booked: "Booked on",
    pages: "Pages",
    welcome: "Your password is saved: welcome to your customer space.",
    joined: "Invitation accepted: you now see this establishment's history.",
    caption: "Enrollments, sorted by {order} ({direction})",
  },
});

/** The filter, order and cursor of the address bar. */
function readState(query) {
  const statuses = query.getAll("status").filter((status) => STATUSES.includes(status));
  const orderField = ORDER_FIELDS.includes(query.get("sort")) ? query.get("sort") : "BOOKED_AT";
  const direction = query.get("dir") === "ASC" ? "ASC" : "DESC";
  return {
    search: query.get("search") || "",
    statuses,
    establishmentId: query.get("establishment") || "",
    sessionFrom: query.get("from") || "",
    sessionTo: query.get("to") || "",
    mineOnly: query.get("mine") === "1",
    orderField,
    direction,
    after: query.get("after"),
    before: query.get("before"),
  };
}

function stateQuery(state, cursor = {}) {
  const query = new URLSearchParams();
  if (state.search) query.set("search", state.search);
  for (const status of state.statuses) query.append("status", status);
  if (state.establishmentId) query.set("establishment", state.establishmentId);
  if (state.sessionFrom) query.set("from", state.sessionFrom);
  if (state.sessionTo) query.set("to", state.sessionTo);
  if (state.mineOnly) query.set("mine", "1");
  if (state.orderField !== "BOOKED_AT") query.set("sort", state.orderField);
  if (state.direction !== "DESC") query.set("dir", state.direction);
  if (cursor.after) query.set("after", cursor.after);
  if (cursor.before) query.set("before", cursor.before);
  const text = query.toString();
  return text ? `/history?${text}` : "/history";
}

function variables(state) {
  const filter = {
    search: state.search || null,
    status: state.statuses.length ? state.statuses : null,
    establishmentId: state.establishmentId || null,
    sessionStartsFrom: state.sessionFrom || null,
    sessionStartsTo: state.sessionTo || null,
    mineOnly: state.mineOnly,
  };
  const paging = state.before
    ? { last: PAGE_SIZE, before: state.before }
    : { first: PAGE_SIZE, after: state.after || null };
  return { filter, orderBy: { field: state.orderField, direction: state.direction }, ...paging };
}

export async function render(ctx) {
  ctx.setTitle(t("title"));
  const state = readState(ctx.query);
  const data = await gql("EnrollmentHistory", variables(state));
  const connection = data.enrollments;
  const filtered =
    state.search || state.statuses.length || state.establishmentId || state.sessionFrom || state.sessionTo || state.mineOnly;
  const notices = [];
  if (ctx.query.get("welcome")) notices.push(h("div", { class: "message ok", role: "status" }, t("welcome")));
  if (ctx.query.get("joined")) notices.push(h("div", { class: "message ok", role: "status" }, t("joined")));
  return h(
    "section",
    {},
    h("h1", {}, t("title")),
    notices,
    filterForm(ctx, state, data.establishments),
    h("p", { class: "muted", role: "status", id: "history-count" }, t("count", { n: connection.totalCount })),
    connection.nodes.length
      ? table(connection.nodes, state)
      : h(
          "div",
          { class: "card" },
          h("p", {}, t(filtered ? "empty" : "emptyAll")),
          h("p", {}, h("a", { href: "/catalog" }, t("catalog"))),
        ),
    pager(ctx, state, connection.pageInfo),
  );
}

function filterForm(ctx, state, establishments) {
  const search = h("input", { type: "search", name: "search", value: state.search });
  const statusBoxes = h(
    "fieldset",
    { class: "statuses" },
    h("legend", {}, t("status")),
    STATUSES.map((status) =>
      h(
        "label",
        { class: "choice" },
        h("input", { type: "checkbox", name: "status", value: status, checked: state.statuses.includes(status) }),
        t(`status.${status}`),
      ),
    ),
  );
  const establishment = h(
    "select",
    { name: "establishment" },
    h("option", { value: "" }, t("allEstablishments")),
    establishments.map((site) =>
      h("option", { value: site.id, selected: site.id === state.establishmentId }, `${site.name} (${site.city})`),
    ),
  );
  const from = h("input", { type: "date", name: "from", value: state.sessionFrom });
  const to = h("input", { type: "date", name: "to", value: state.sessionTo });
  const mineId = newId("mine");
  const mine = h("input", { type: "checkbox", name: "mine", id: mineId, checked: state.mineOnly });
  const order = h(
    "select",
    { name: "sort" },
    ORDER_FIELDS.map((name) => h("option", { value: name, selected: name === state.orderField }, t(`order.${name}`))),
  );
  const direction = h(
    "select",
    { name: "dir" },
    ["DESC", "ASC"].map((name) => h("option", { value: name, selected: name === state.direction }, t(name))),
  );
  const form = h(
    "form",
    { class: "card", role: "search", "aria-label": t("filters") },
    h(
      "div",
      { class: "filters" },
      field(t("search"), search, t("searchHint")),
      establishments.length ? field(t("establishment"), establishment) : null,
      field(t("sessionFrom"), from),
      field(t("sessionTo"), to),
      field(t("orderBy"), order),
      field(t("direction"), direction),
    ),
    statusBoxes,
    establishments.length ? h("label", { class: "choice", for: mineId }, mine, t("mineOnly")) : null,
    h(
      "div",
      { class: "actions" },
      h("button", { type: "submit", class: "primary" }, t("apply")),
      h("a", { href: "/history" }, t("reset")),
    ),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const next = {
      search: search.value.trim(),
      statuses: [...statusBoxes.querySelectorAll("input:checked")].map((box) => box.value),
      establishmentId: establishment.value,
      sessionFrom: from.value,
      sessionTo: to.value,
      mineOnly: mine.checked,
      orderField: order.value,
      direction: direction.value,
    };
    ctx.navigate(stateQuery(next)); // a new filter or order starts at the first page
  });
  return form;
}

function table(nodes, state) {
  return h(
    "div",
    { class: "table-wrap" },
    h(
      "table",
      { id: "history-table" },
      h(
        "caption",
        { class: "visually-hidden" },
        t("caption", { order: t(`order.${state.orderField}`), direction: t(state.direction) }),
      ),
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          h("th", { scope: "col" }, t("reference")),
          h("th", { scope: "col" }, t("course")),
          h("th", { scope: "col" }, t("session")),
          h("th", { scope: "col", class: "number" }, t("seats")),
          h("th", { scope: "col" }, t("status")),
          h("th", { scope: "col", class: "number" }, t("amount")),
          h("th", { scope: "col" }, t("booked")),
        ),
      ),
      h(
        "tbody",
        {},
        nodes.map((node) =>
          h(
            "tr",
            {},
            h("td", { class: "nowrap" }, h("a", { href: `/enrollments/${node.id}` }, node.reference)),
            h("td", {}, node.courseTitle, h("div", { class: "hint" }, node.courseCode)),
            h("td", {}, formatDate(node.session.startsOn), h("div", { class: "hint" }, node.session.city)),
            h("td", { class: "number" }, String(node.seats)),
            h("td", {}, statusBadge(node.status)),
            h("td", { class: "number" }, formatMoney(node.netPriceTotal)),
            h("td", {}, formatDate(node.bookedAt)),
          ),
        ),
      ),
    ),
  );
}

function pager(ctx, state, info) {
  const previous = h(
    "button",
    {
      type: "button",
      disabled: !info.hasPreviousPage,
      onclick: () => ctx.navigate(stateQuery(state, { before: info.startCursor })),
    },
    `← ${t("previous")}`,
  );
  const next = h(
    "button",
    {
      type: "button",
      disabled: !info.hasNextPage,
      onclick: () => ctx.navigate(stateQuery(state, { after: info.endCursor })),
    },
    `${t("next")} →`,
  );
  return h("nav", { class: "pager", "aria-label": t("pages") }, previous, next);
}
