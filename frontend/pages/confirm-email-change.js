// /confirm-email-change?token=… : the link mailed to the new address. Pressing the button
// switches the login e-mail; the page says again what this does to the history (rule 5).
import { h, messageBox, replace } from "../lib/dom.js";
import { handleSubmit } from "../lib/forms.js";
import { gql } from "../lib/graphql.js";
import { translator } from "../lib/i18n.js";

const t = translator({
  fr: {
    title: "Confirmer votre nouvelle adresse de connexion",
    warning:
      "Après la confirmation, vous vous connecterez avec cette nouvelle adresse. Les inscriptions passées avec votre ancienne adresse quitteront votre historique, et celles passées avec la nouvelle le rejoindront.",
    submit: "Confirmer le changement",
    done: "Votre adresse de connexion est désormais {email}.",
    counts: "{leaving} inscription(s) quittent votre historique, {joining} le rejoignent.",
    continue: "Voir mes inscriptions",
    noToken: "Ce lien est incomplet : ouvrez à nouveau le lien de l'e-mail.",
  },
  en: {
    title: "Confirm your new login e-mail",
    warning:
      "Once confirmed, you sign in with this new address. The enrollments placed with your old address leave your history, and those placed with the new one join it.",
    submit: "Confirm the change",
    done: "Your login e-mail is now {email}.",
    counts: "{leaving} enrollment(s) leave your history, {joining} join it.",
    continue: "See my enrollments",
    noToken: "This link is incomplete: open the link of the e-mail again.",
  },
});

export function render(ctx) {
  ctx.setTitle(t("title"));
  const token = ctx.query.get("token");
  const box = messageBox();
  if (!token) {
    box.show("error", t("noToken"));
    return h("section", { class: "card narrow" }, h("h1", {}, t("title")), box);
  }
  const form = h(
    "form",
    { class: "card narrow" },
    h("h1", {}, t("title")),
    h("div", { class: "message warn", role: "note" }, t("warning")),
    box,
    h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, t("submit"))),
  );
  form.addEventListener(
    "submit",
    handleSubmit(form, box, async () => {
      const { confirmEmailChange: change } = await gql("ConfirmEmailChange", { token });
      await ctx.refreshViewer();
      replace(
        form,
        h("h1", {}, t("title")),
        h("div", { class: "message ok", role: "status" }, t("done", { email: change.newEmail })),
        h(
          "p",
          {},
          t("counts", { leaving: change.enrollmentsLeavingHistory, joining: change.enrollmentsJoiningHistory }),
        ),
        h("p", {}, h("a", { href: "/history", class: "button primary" }, t("continue"))),
      );
    }),
  );
  return form;
}
