// /verify-email?token=… : nothing is sent on load (mail scanners open links); the person
// presses the button. An invalid or used link offers to mail a new one.
import { field, h, messageBox, replace } from "../lib/dom.js";
import { handleSubmit } from "../lib/forms.js";
import { gql } from "../lib/graphql.js";
import { translator } from "../lib/i18n.js";

const t = translator({
  fr: {
    title: "Vérifier votre adresse e-mail",
    intro: "Confirmez que cette adresse est bien la vôtre : les inscriptions passées avec elle rejoindront votre historique.",
    submit: "Vérifier mon adresse",
    done: "Votre adresse {email} est vérifiée.",
    continue: "Voir mes inscriptions",
    signIn: "Se connecter",
    noToken: "Ce lien est incomplet : ouvrez à nouveau le lien de l'e-mail.",
    resendTitle: "Recevoir un nouveau lien",
    resend: "Envoyer un nouveau lien",
    resent: "Si cette adresse attend une vérification, un nouveau lien vient de lui être envoyé.",
  },
  en: {
    title: "Verify your e-mail address",
    intro: "Confirm that this address is yours: the enrollments placed with it will join your history.",
    submit: "Verify my address",
    done: "Your address {email} is verified.",
    continue: "See my enrollments",
    signIn: "Sign in",
    noToken: "This link is incomplete: open the link of the e-mail again.",
    resendTitle: "Get a new link",
    resend: "Send a new link",
    resent: "If this address is waiting for verification, a new link was just sent to it.",
  },
});

export function render(ctx) {
  ctx.setTitle(t("title"));
  const token = ctx.query.get("token");
  const box = messageBox();
  const section = h("section", { class: "card narrow" }, h("h1", {}, t("title")), box);
  const resend = resendForm(ctx);
  if (!token) {
    box.show("error", t("noToken"));
    section.append(resend);
    return section;
  }
  const form = h(
    "form",
    {},
    h("p", {}, t("intro")),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, t("submit"))),
  );
  form.addEventListener(
    "submit",
    handleSubmit(form, box, async () => {
      try {
        const data = await gql("VerifyEmail", { token });
        box.show("ok", t("done", { email: data.verifyEmail.email }));
        const next = ctx.viewer ? ["/history", t("continue")] : ["/sign-in", t("signIn")];
        replace(form, h("p", {}, h("a", { href: next[0], class: "button primary" }, next[1])));
        await ctx.refreshViewer();
      } catch (error) {
        resend.hidden = false;
        throw error;
      }
    }),
  );
  resend.hidden = true;
  section.append(form, resend);
  return section;
}

function resendForm(ctx) {
  const box = messageBox();
  const email = h("input", {
    type: "email",
    name: "email",
    autocomplete: "email",
    required: true,
    value: ctx.viewer?.email || "",
  });
  const form = h(
    "form",
    {},
    h("h2", {}, t("resendTitle")),
    box,
    field(t("field.email"), email),
    h("div", { class: "actions" }, h("button", { type: "submit" }, t("resend"))),
  );
  form.addEventListener(
    "submit",
    handleSubmit(form, box, async () => {
      await gql("ResendVerificationEmail", { email: email.value.trim() });
      box.show("ok", t("resent"));
    }),
  );
  return form;
}
