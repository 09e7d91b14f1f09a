import { field, h, messageBox } from "../lib/dom.js";
import { handleSubmit } from "../lib/forms.js";
import { gql } from "../lib/graphql.js";
import { translator } from "../lib/i18n.js";
import { safeNext, signedIn } from "../lib/session.js";

const t = translator({
  fr: {
    title: "Connexion",
    submit: "Se connecter",
    forgot: "Mot de passe oublié ?",
    noAccount: "Pas encore de compte ?",
    signedOut: "Vous êtes déconnecté.",
    expired: "Votre session a pris fin : connectez-vous à nouveau.",
  },
  en: {
    title: "Sign in",
    submit: "Sign in",
    forgot: "Forgot your password?",
    noAccount: "No account yet?",
    signedOut: "You are signed out.",
    expired: "Your session has ended: please sign in again.",
  },
});

export function render(ctx) {
  ctx.setTitle(t("title"));
  const box = messageBox();
  if (ctx.query.get("signedOut")) box.show("info", t("signedOut"));
  if (ctx.query.get("expired")) box.show("info", t("expired"));
  const email = h("input", { type: "email", name: "email", autocomplete: "username", required: true });
  const password = h("input", {
    type: "password",
    name: "password",
    autocomplete: "current-password",
    required: true,
  });
  const form = h(
    "form",
    { class: "card narrow", novalidate: false },
    h("h1", {}, t("title")),
    box,
    field(t("field.email"), email),
    field(t("field.password"), password),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, t("submit"))),
    h("p", {}, h("a", { href: "/forgot-password" }, t("forgot"))),
    h("p", {}, t("noAccount"), " ", h("a", { href: "/sign-up" }, t("nav.signUp"))),
  );
  form.addEventListener(
    "submit",
    handleSubmit(form, box, async () => {
      const data = await gql("SignIn", { email: email.value.trim(), password: password.value });
      signedIn(data.logIn);
      await ctx.navigate(safeNext(ctx.query.get("next")), { replace: true });
    }),
  );
  return form;
}
