// The landing page: signed in, straight to the history; otherwise what the space offers.
import { h } from "../lib/dom.js";
import { translator } from "../lib/i18n.js";

const t = translator({
  fr: {
    title: "Bienvenue dans votre Espace client",
    intro:
      "Inscrivez vos collaborateurs à nos formations, suivez vos commandes de la demande de réservation à la facture et téléchargez les documents de chaque inscription.",
    catalog: "Voir le catalogue",
  },
  en: {
    title: "Welcome to your customer space",
    intro:
      "Enrol your people on our training courses, follow your orders from booking request to invoice and download the documents of each enrollment.",
    catalog: "See the catalog",
  },
});

export function render(ctx) {
  if (ctx.viewer) {
    queueMicrotask(() => ctx.navigate("/history", { replace: true }));
    return h("p", {}, t("loading"));
  }
  ctx.setTitle(t("title"));
  return h(
    "section",
    { class: "card" },
    h("h1", {}, t("title")),
    h("p", {}, t("intro")),
    h(
      "p",
      { class: "actions" },
      h("a", { href: "/sign-in", class: "button primary" }, t("nav.signIn")),
      h("a", { href: "/sign-up", class: "button" }, t("nav.signUp")),
      h("a", { href: "/catalog" }, t("catalog")),
    ),
  );
}
