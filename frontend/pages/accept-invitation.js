// /accept-invitation?token=… : signed in with the invited address, one button; otherwise a
// password (and a name for a new account), which opens a session.
import { field, h, messageBox } from "../lib/dom.js";
import { handleSubmit } from "../lib/forms.js";
import { gql } from "../lib/graphql.js";
import { translator } from "../lib/i18n.js";
import { signedIn } from "../lib/session.js";

const t = translator({
  fr: {
    title: "Accepter l'invitation",
    introSignedIn: "Vous êtes connecté en tant que {email}. Acceptez l'accès qui vous a été proposé.",
    introAnonymous:
      "Choisissez votre mot de passe pour accepter l'accès qui vous a été proposé. Si vous avez déjà un compte avec cette adresse, ce mot de passe le remplace.",
    signInInstead: "Vous avez déjà un compte ? Connectez-vous d'abord",
    submit: "Accepter l'invitation",
    done: "Vous avez maintenant un accès à {establishment}.",
    noToken: "Ce lien est incomplet : ouvrez à nouveau le lien de l'e-mail.",
  },
  en: {
    title: "Accept the invitation",
    introSignedIn: "You are signed in as {email}. Accept the access offered to you.",
    introAnonymous:
      "Choose your password to accept the access offered to you. If you already have an account with this address, this password replaces its password.",
    signInInstead: "Already have an account? Sign in first",
    submit: "Accept the invitation",
    done: "You now have an access to {establishment}.",
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
  const here = window.location.pathname + window.location.search;
  const password = h("input", {
    type: "password",
    name: "password",
    autocomplete: "new-password",
    required: true,
  });
  const fullName = h("input", { type: "text", name: "fullName", autocomplete: "name" });
  const form = h(
    "form",
    { class: "card narrow" },
    h("h1", {}, t("title")),
    box,
    ctx.viewer
      ? h("p", {}, t("introSignedIn", { email: ctx.viewer.email }))
      : [
          h("p", {}, t("introAnonymous")),
          field(t("field.fullName"), fullName),
          field(t("field.password"), password, t("hint.password")),
          h("p", {}, h("a", { href: `/sign-in?next=${encodeURIComponent(here)}` }, t("signInInstead"))),
        ],
    h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, t("submit"))),
  );
  form.addEventListener(
    "submit",
    handleSubmit(form, box, async () => {
      const variables = ctx.viewer
        ? { token, fullName: "" }
        : { token, password: password.value, fullName: fullName.value.trim() };
      const { acceptInvitation: accepted } = await gql("AcceptInvitation", variables);
      if (accepted.token) signedIn(accepted);
      await ctx.refreshViewer();
      await ctx.navigate(`/history?joined=${encodeURIComponent(accepted.access.establishment.id)}`, { replace: true });
    }),
  );
  return form;
}
