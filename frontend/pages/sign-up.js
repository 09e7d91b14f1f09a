// Rule 1: anyone creates an individual or a company account. A verification link is mailed;
// the account works at once, the history of its address joins once the link is followed.
import { field, h, messageBox } from "../lib/dom.js";
import { handleSubmit } from "../lib/forms.js";
import { gql } from "../lib/graphql.js";
import { language, translator } from "../lib/i18n.js";
import { signedIn } from "../lib/session.js";

const t = translator({
  fr: {
    title: "Créer un compte",
    kind: "Type de compte",
    individual: "Particulier",
    company: "Entreprise",
    companyTitle: "Votre établissement",
    siret: "Numéro SIRET de l'établissement",
    siretHint: "14 chiffres. Un établissement déjà connu de nos services ne vous rattache à rien : nos équipes examinent la demande.",
    companyName: "Raison sociale",
    establishmentName: "Nom de l'établissement",
    city: "Ville",
    confirm: "Confirmez le mot de passe",
    mismatch: "Les deux mots de passe sont différents.",
    submit: "Créer mon compte",
    already: "Vous avez déjà un compte ?",
  },
  en: {
    title: "Create an account",
    kind: "Kind of account",
    individual: "Individual",
    company: "Company",
    companyTitle: "Your establishment",
    siret: "SIRET number of the establishment",
    siretHint: "14 digits. An establishment we already know attaches you to nothing: our staff review the request.",
    companyName: "Company name",
    establishmentName: "Establishment name",
    city: "City",
    confirm: "Confirm the password",
    mismatch: "The two passwords differ.",
    submit: "Create my account",
    already: "Already have an account?",
  },
});

export function render(ctx) {
  ctx.setTitle(t("title"));
  const box = messageBox();
  const input = (attributes) => h("input", { type: "text", ...attributes });
  const fullName = input({ name: "fullName", autocomplete: "name", required: true });
  const email = input({ type: "email", name: "email", autocomplete: "email", required: true });
  const password = input({ type: "password", name: "password", autocomplete: "new-password", required: true });
  const again = input({ type: "password", name: "confirmPassword", autocomplete: "new-password", required: true });
  const siret = input({ name: "siret", inputmode: "numeric", pattern: "[0-9 ]{14,17}", autocomplete: "off" });
  const companyName = input({ name: "companyName", autocomplete: "organization" });
  const establishmentName = input({ name: "establishmentName" });
  const city = input({ name: "city", autocomplete: "address-level2" });
  const companyFields = h(
    "fieldset",
    { id: "company-fields" },
    h("legend", {}, t("companyTitle")),
    field(t("siret"), siret, t("siretHint")),
    field(t("companyName"), companyName),
    field(t("establishmentName"), establishmentName),
    field(t("city"), city),
  );
  const kindChoice = (value, label, checked) =>
    h(
      "label",
      { class: "choice" },
      h("input", { type: "radio", name: "kind", value, checked, onchange: showCompany }),
      label,
    );
  function showCompany() {
    const isCompany = form.elements.kind.value === "COMPANY";
    companyFields.hidden = !isCompany;
    siret.required = isCompany;
    companyName.required = isCompany;
  }
  const form = h(
    "form",
    { class: "card narrow" },
    h("h1", {}, t("title")),
    box,
    h(
      "fieldset",
      {},
      h("legend", {}, t("kind")),
      kindChoice("COMPANY", t("company"), true),
      kindChoice("INDIVIDUAL", t("individual"), false),
    ),
    field(t("field.fullName"), fullName),
    field(t("field.email"), email),
    field(t("field.password"), password, t("hint.password")),
    field(t("confirm"), again),
    companyFields,
    h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, t("submit"))),
    h("p", {}, t("already"), " ", h("a", { href: "/sign-in" }, t("nav.signIn"))),
  );
  showCompany();
  form.addEventListener(
    "submit",
    handleSubmit(form, box, async () => {
      if (password.value !== again.value) {
        again.setAttribute("aria-invalid", "true");
        box.show("error", t("mismatch"));
        again.focus();
        return;
      }
      const kind = form.elements.kind.value;
      const variables = {
        email: email.value.trim(),
        password: password.value,
        fullName: fullName.value.trim(),
        kind,
        language: language().toUpperCase(),
        company:
          kind === "COMPANY"
            ? {
                siret: siret.value.replace(/\s+/g, ""),
                companyName: companyName.value.trim(),
                establishmentName: establishmentName.value.trim(),
                city: city.value.trim(),
              }
            : null,
      };
      const data = await gql("SignUp", variables);
      signedIn(data.signUp);
      await ctx.navigate("/account?welcome=1", { replace: true });
    }),
  );
  return form;
}
