// Placeholder of the skeleton: the page comes with the customer pages.
import { h } from "../lib/dom.js";
import { translator } from "../lib/i18n.js";

const t = translator({ fr: { title: "Formation" }, en: { title: "Course" } });

export function render(ctx) {
  ctx.setTitle(t("title"));
  return h("section", { class: "card" }, h("h1", {}, t("title")), h("p", {}, t("loading")));
}
