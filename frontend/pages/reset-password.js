// /reset-password?token=… (forgotten password, rule 3) and /set-password?token=… (the first
// password of an account created with an order taken offline, rule 2): choose a password,
// which signs in.
import { field, h, messageBox } from "../lib/dom.js";
import { handleSubmit } from "../lib/forms.js";
import { gql } from "../lib/graphql.js";
import { translator } from "../lib/i18n.js";
import { signedIn } from "../lib/session.js";

const t = translator({
  fr: {
    resetTitle: "Choisir un nouveau mot de passe",
    setTitle: "Choisir votre mot de passe",
    setIntro:
      "Un compte a été créé pour vous lors d'une inscription prise par téléphone ou par e-mail. Choisissez votre mot de passe pour accéder à votre Espace client.",
    confirm: "Confirmez le mot de passe",
    mismatch: "Les deux mots de passe sont différents.",
    submit: "Enregistrer mon mot de passe",
    noToken: "Ce lien est incomplet : ouvrez à nouveau le lien de l'e-mail.",
    newLink: "Recevoir un nouveau lien",
  },
  en: {
    resetTitle: "Choose a new password",
    setTitle: "Choose your password",
    setIntro:
      "An account was created for you with an order taken by phone or e-mail. Choose your password to open your customer space.",
    confirm: "Confirm the password",
    mismatch: "The two passwords differ.",
    submit: "Save my password",
    noToken: "This link is incomplete: open the link of the e-mail again.",
    newLink: "Get a new link",
  },
});

export function render(ctx) {
  const setting = window.location.pathname.startsWith("/set-password");
  const title = t(setting ? "setTitle" : "resetTitle");
  ctx.setTitle(title);
  const token = ctx.query.get("token");
  const box = messageBox();
  const newLink = h("p", {}, h("a", { href: "/forgot-password" }, t("newLink")));
  if (!token) {
    box.show("error", t("noToken"));
    return h("section", { class: "card narrow" }, h("h1", {}, title), box, newLink);
  }
  const password = h("input", {
    type: "password",
    name: "newPassword",
    autocomplete: "new-password",
    required: true,
    minlength: "8",
    maxlength: "128",
  });
  const again = h("input", { type: "password", name: "confirmPassword", autocomplete: "new-password", required: true });
  const form = h(
    "form",
    { class: "card narrow" },
    h("h1", {}, title),
    setting ? h("p", {}, t("setIntro")) : null,
    box,
    field(t("field.newPassword"), password, t("hint.password")),
    field(t("confirm"), again),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, t("submit"))),
    newLink,
  );
  form.addEventListener(
    "submit",
    handleSubmit(form, box, async () => {
      if (password.value !== again.value) {
        again.setAttribute("aria-invalid", "true");
        box.show("error", t("mismatch"));
        return;
      }
      const data = await gql("ResetPassword", { token, newPassword: password.value });
      signedIn(data.resetPassword);
      await ctx.navigate("/history?welcome=1", { replace: true });
    }),
  );
  return form;
}
