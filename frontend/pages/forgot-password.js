// Forgotten password (rule 3): a reset link is mailed to the account's address. The answer
// is the same whether or not the address has an account.
import { field, h, messageBox } from "../lib/dom.js";
import { handleSubmit } from "../lib/forms.js";
import { gql } from "../lib/graphql.js";
import { translator } from "../lib/i18n.js";

const t = translator({
  fr: {
    title: "Mot de passe oublié",
    intro: "Indiquez l'adresse e-mail de votre compte : nous y enverrons un lien pour choisir un nouveau mot de passe.",
    submit: "Recevoir le lien",
    sent: "Si un compte utilise {email}, un lien valable 30 minutes vient de lui être envoyé.",
  },
  en: {
    title: "Forgotten password",
    intro: "Give the e-mail address of your account: we will send it a link to choose a new password.",
    submit: "Send me the link",
    sent: "If an account uses {email}, a link valid for 30 minutes was just sent to it.",
  },
});

export function render(ctx) {
  ctx.setTitle(t("title"));
  const box = messageBox();
  const email = h("input", { type: "email", name: "email", autocomplete: "email", required: true });
  const form = h(
    "form",
    { class: "card narrow" },
    h("h1", {}, t("title")),
    h("p", {}, t("intro")),
    box,
    field(t("field.email"), email),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, t("submit"))),
  );
  form.addEventListener(
    "submit",
    handleSubmit(form, box, async () => {
      await gql("RequestPasswordReset", { email: email.value.trim() });
      box.show("ok", t("sent", { email: email.value.trim() }));
    }),
  );
  return form;
}
