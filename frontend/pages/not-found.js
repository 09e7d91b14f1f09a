import { h } from "../lib/dom.js";
import { t } from "../lib/i18n.js";

export function render(ctx) {
  ctx.setTitle(t("notFound.title"));
  return h(
    "section",
    { class: "card narrow" },
    h("h1", {}, t("notFound.title")),
    h("p", {}, t("notFound.text")),
    h("p", {}, h("a", { href: "/" }, t("notFound.home"))),
  );
}
