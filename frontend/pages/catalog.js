// The catalog: every course with its coming sessions and the price this viewer may see.
import { field, h, replace } from "../lib/dom.js";
import { gql } from "../lib/graphql.js";
import { formatDate, translator } from "../lib/i18n.js";
import { priceBlock } from "../lib/price.js";

const t = translator({
  fr: {
    title: "Catalogue des formations",
    search: "Rechercher une formation",
    searchButton: "Rechercher",
    none: "Aucune formation ne correspond à cette recherche.",
    days: "{n} jour(s)",
    sessions: "Prochaines sessions",
    noSession: "Pas de session ouverte pour l'instant.",
    seatsLeft: "{city}, le {date} — {n} place(s)",
    details: "Voir et s'inscrire",
    detailsLabel: "Voir et s'inscrire : {title}",
    count: "{n} formation(s)",
  },
  en: {
    title: "Course catalog",
    search: "Search for a course",
    searchButton: "Search",
    none: "No course matches this search.",
    days: "{n} day(s)",
    sessions: "Coming sessions",
    noSession: "No open session for now.",
    seatsLeft: "{city}, {date} — {n} seat(s) left",
    details: "See and enrol",
    detailsLabel: "See and enrol: {title}",
    count: "{n} course(s)",
  },
});

export async function render(ctx) {
  ctx.setTitle(t("title"));
  const searched = ctx.query.get("search") || "";
  const search = h("input", { type: "search", name: "search", value: searched });
  const form = h(
    "form",
    { role: "search", class: "actions" },
    field(t("search"), search),
    h("button", { type: "submit" }, t("searchButton")),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const value = search.value.trim();
    ctx.navigate(value ? `/catalog?search=${encodeURIComponent(value)}` : "/catalog");
  });
  const data = await gql("Catalog", { search: searched || null });
  const list = h("div", { class: "grid" });
  replace(list, data.courses.map(courseCard));
  return h(
    "section",
    {},
    h("h1", {}, t("title")),
    form,
    h("p", { class: "muted", role: "status" }, t("count", { n: data.courses.length })),
    data.courses.length ? list : h("p", {}, t("none")),
  );
}

function courseCard(course) {
  const open = course.sessions.filter((session) => session.bookable);
  return h(
    "article",
    { class: "card course-card" },
    h("h2", {}, course.title),
    h("p", { class: "muted" }, `${course.code} · ${t("days", { n: Number(course.durationDays) })}`),
    course.summary ? h("p", {}, course.summary) : null,
    priceBlock(course.price),
    h("h3", {}, t("sessions")),
    open.length
      ? h(
          "ul",
          { class: "list-plain" },
          open.slice(0, 4).map((session) =>
            h(
              "li",
              {},
              t("seatsLeft", {
                city: session.city,
                date: formatDate(session.startsOn),
                n: session.seatsLeft,
              }),
            ),
          ),
        )
      : h("p", { class: "muted" }, t("noSession")),
    h(
      "p",
      { class: "actions" },
      h(
        "a",
        { href: `/catalog/${course.id}`, class: "button primary", "aria-label": t("detailsLabel", { title: course.title }) },
        t("details"),
      ),
    ),
  );
}
