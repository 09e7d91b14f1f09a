// The signed-in person's account: verification state, accesses, password, and the login
// e-mail change with the rule-5 warning shown (and acknowledged) before anything changes.
import { field, h, messageBox, replace } from "../lib/dom.js";
import { handleSubmit } from "../lib/forms.js";
import { gql } from "../lib/graphql.js";
import { formatDate, translator } from "../lib/i18n.js";

const t = translator({
  fr: {
    title: "Mon compte",
    welcome: "Votre compte est créé. Nous avons envoyé à {email} un lien pour vérifier votre adresse : suivez-le pour voir vos inscriptions.",
    profile: "Profil",
    name: "Nom",
    email: "Adresse de connexion",
    verified: "Vérifiée",
    unverified: "Pas encore vérifiée : suivez le lien reçu par e-mail. Tant qu'elle ne l'est pas, les inscriptions passées avec cette adresse restent masquées.",
    resend: "Renvoyer le lien de vérification",
    resent: "Un nouveau lien vient d'être envoyé à {email}.",
    kind: "Type de compte",
    "kind.INDIVIDUAL": "Particulier",
    "kind.COMPANY": "Entreprise",
    company: "Entreprise",
    since: "Client depuis le",
    accesses: "Mes accès aux établissements",
    noAccess: "Vous n'avez aucun accès à un établissement.",
    allKinds: "Tous les documents",
    kinds: "Documents visibles : {kinds}",
    noKinds: "Aucun document",
    passwordTitle: "Changer de mot de passe",
    currentPassword: "Mot de passe actuel",
    passwordSubmit: "Changer le mot de passe",
    passwordDone: "Votre mot de passe est changé. Vos autres sessions sont fermées.",
    emailTitle: "Changer d'adresse de connexion",
    newEmail: "Nouvelle adresse e-mail",
    emailContinue: "Continuer",
    warningTitle: "Avant de changer d'adresse",
    warning:
      "Votre historique suit votre adresse de connexion. Après le changement, {leaving} inscription(s) passée(s) avec {old} quitteront votre historique. Les inscriptions passées avec {new} le rejoindront ({joining} que vous voyez déjà) une fois le lien de confirmation suivi.",
    acknowledge: "J'ai compris que mon historique va changer",
    emailSubmit: "Envoyer le lien de confirmation",
    emailSent: "Un lien de confirmation a été envoyé à {email}. Rien ne change avant que vous le suiviez.",
  },
  en: {
    title: "My account",
    welcome: "Your account is created. We sent {email} a link to verify your address: follow it to see your enrollments.",
    profile: "Profile",
    name: "Name",
    email: "Login e-mail",
    verified: "Verified",
    unverified: "Not verified yet: follow the link we e-mailed. Until then, the enrollments placed with this address stay hidden.",
    resend: "Send the verification link again",
    resent: "A new link was just sent to {email}.",
    kind: "Kind of account",
    "kind.INDIVIDUAL": "Individual",
    "kind.COMPANY": "Company",
    company: "Company",
    since: "Customer since",
    accesses: "My accesses to establishments",
    noAccess: "You have no access to an establishment.",
    allKinds: "All documents",
    kinds: "Documents shown: {kinds}",
    noKinds: "No document",
    passwordTitle: "Change my password",
    currentPassword: "Current password",
    passwordSubmit: "Change the password",
    passwordDone: "Your password is changed. Your other sessions are closed.",
    emailTitle: "Change my login e-mail",
    newEmail: "New e-mail address",
    emailContinue: "Continue",
    warningTitle: "Before changing your address",
    warning:
      "Your history follows your login e-mail. After the change, {leaving} enrollment(s) placed with {old} will leave your history. The enrollments placed with {new} will join it ({joining} you already see) once you follow the confirmation link.",
    acknowledge: "I understand that my history will change",
    emailSubmit: "Send the confirmation link",
    emailSent: "A confirmation link was sent to {email}. Nothing changes until you follow it.",
  },
});

export async function render(ctx) {
  ctx.setTitle(t("title"));
  const { me } = await gql("AccountPage");
  const notice = messageBox();
  if (ctx.query.get("welcome")) notice.show("info", t("welcome", { email: me.email }));
  return h(
    "section",
    {},
    h("h1", {}, t("title")),
    notice,
    profile(me),
    accesses(me),
    passwordForm(),
    emailForm(me),
  );
}

function profile(me) {
  const box = messageBox();
  const resend = h("button", { type: "button" }, t("resend"));
  resend.addEventListener("click", async () => {
    resend.disabled = true;
    try {
      await gql("ResendVerificationEmail", { email: me.email });
      box.show("ok", t("resent", { email: me.email }));
    } catch (error) {
      box.show("error", error.display || String(error));
      resend.disabled = false;
    }
  });
  const verification = me.emailVerified
    ? h("span", { class: "badge INVOICED" }, t("verified"))
    : h("div", {}, h("p", { class: "message warn" }, t("unverified")), resend, box);
  return h(
    "section",
    { class: "card", "aria-labelledby": "profile-title" },
    h("h2", { id: "profile-title" }, t("profile")),
    h(
      "dl",
      { class: "facts" },
      h("dt", {}, t("name")),
      h("dd", {}, me.fullName),
      h("dt", {}, t("email")),
      h("dd", {}, me.email, " ", verification),
      h("dt", {}, t("kind")),
      h("dd", {}, t(`kind.${me.kind}`)),
      me.company ? [h("dt", {}, t("company")), h("dd", {}, me.company.name)] : null,
      h("dt", {}, t("since")),
      h("dd", {}, formatDate(me.createdAt)),
    ),
  );
}

function accesses(me) {
  return h(
    "section",
    { class: "card", "aria-labelledby": "accesses-title" },
    h("h2", { id: "accesses-title" }, t("accesses")),
    me.accesses.length
      ? h(
          "ul",
          { class: "list-plain", id: "my-accesses" },
          me.accesses.map((access) =>
            h(
              "li",
              {},
              h("strong", {}, `${access.establishment.name} (${access.establishment.city})`),
              ` — ${t(`role.${access.role}`)} — `,
              access.role === "ADMIN"
                ? t("allKinds")
                : access.documentKinds.length
                  ? t("kinds", { kinds: access.documentKinds.map((kind) => t(`kind.${kind}`)).join(", ") })
                  : t("noKinds"),
            ),
          ),
        )
      : h("p", { class: "muted" }, t("noAccess")),
  );
}

function passwordForm() {
  const box = messageBox();
  const current = h("input", { type: "password", name: "currentPassword", autocomplete: "current-password", required: true });
  const next = h("input", { type: "password", name: "newPassword", autocomplete: "new-password", required: true });
  const form = h(
    "form",
    { class: "card narrow", "aria-labelledby": "password-title" },
    h("h2", { id: "password-title" }, t("passwordTitle")),
    box,
    field(t("currentPassword"), current),
    field(t("field.newPassword"), next, t("hint.password")),
    h("div", { class: "actions" }, h("button", { type: "submit" }, t("passwordSubmit"))),
  );
  form.addEventListener(
    "submit",
    handleSubmit(form, box, async () => {
      await gql("ChangePassword", { currentPassword: current.value, newPassword: next.value });
      form.reset();
      box.show("ok", t("passwordDone"));
    }),
  );
  return form;
}

/** Two steps: the password and the new address, then the warning of rule 5 with its counts,
 *  acknowledged by a checkbox before the link is mailed. */
function emailForm(me) {
  const box = messageBox();
  const password = h("input", { type: "password", name: "password", autocomplete: "current-password", required: true });
  const newEmail = h("input", { type: "email", name: "newEmail", autocomplete: "email", required: true });
  const warning = h("div", { class: "message warn", role: "alert", id: "email-change-warning", hidden: true });
  // Required only once shown (a hidden required control would block the first step).
  const acknowledge = h("input", { type: "checkbox", name: "acknowledgeHistoryChange" });
  const acknowledgeLabel = h("label", { class: "choice", hidden: true }, acknowledge, t("acknowledge"));
  const submit = h("button", { type: "submit" }, t("emailContinue"));
  let warned = false;
  const reset = () => {
    warned = false;
    warning.hidden = true;
    acknowledgeLabel.hidden = true;
    acknowledge.checked = false;
    acknowledge.required = false;
    submit.textContent = t("emailContinue");
  };
  newEmail.addEventListener("input", reset);
  const form = h(
    "form",
    { class: "card narrow", "aria-labelledby": "email-title" },
    h("h2", { id: "email-title" }, t("emailTitle")),
    box,
    field(t("newEmail"), newEmail),
    field(t("field.password"), password),
    warning,
    acknowledgeLabel,
    h("div", { class: "actions" }, submit),
  );
  form.addEventListener(
    "submit",
    handleSubmit(form, box, async () => {
      const variables = {
        password: password.value,
        newEmail: newEmail.value.trim(),
        acknowledgeHistoryChange: warned && acknowledge.checked,
      };
      try {
        const { changeEmail: change } = await gql("ChangeEmail", variables);
        replace(form, h("h2", { id: "email-title" }, t("emailTitle")), h("div", { class: "message ok", role: "status" }, t("emailSent", { email: change.newEmail })));
      } catch (error) {
        if (error.reason !== "ACKNOWLEDGEMENT_REQUIRED") throw error;
        warned = true;
        replace(
          warning,
          h("strong", {}, t("warningTitle")),
          h(
            "p",
            {},
            t("warning", {
              leaving: error.extensions.enrollmentsLeavingHistory ?? 0,
              joining: error.extensions.enrollmentsJoiningHistory ?? 0,
              old: me.email,
              new: variables.newEmail,
            }),
          ),
        );
        warning.hidden = false;
        acknowledgeLabel.hidden = false;
        acknowledge.required = true;
        submit.textContent = t("emailSubmit");
        acknowledge.focus();
      }
    }),
  );
  return form;
}
