// For policy reviewers, in development only: the decision matrix (policies/MATRIX.md) and an
// "explain" form (who, action, object -> the rule that decided, or why none did), answered by
// /dev/policy/..., which only a development server serves: in production this page says it
// does not exist.
import { field, h, messageBox } from "../lib/dom.js";
import { handleSubmit } from "../lib/forms.js";
import { translator } from "../lib/i18n.js";

const t = translator({
  fr: {
    title: "Revue des règles d'accès",
    devOnly: "Page de développement : un serveur de production ne la sert pas.",
    explainTitle: "Expliquer une décision",
    explainHint: "Qui, quelle action, sur quel objet : la règle qui a décidé, ou pourquoi aucune ne l'a fait.",
    who: "Qui (adresse e-mail du compte)",
    action: "Action",
    actionHint: "Par exemple read, cancel, revoke, manage_accesses.",
    on: "Objet (TYPE:ID)",
    onHint: "Par exemple Enrollment:12 ou Establishment:1.",
    fieldName: "Champ (facultatif)",
    fieldHint: "Pour une règle de champ, par exemple read_document avec EVALUATION.",
    explain: "Expliquer",
    allowed: "Autorisé",
    denied: "Refusé",
    matrix: "Matrice de décision",
    contents: "Sommaire de la matrice",
  },
  en: {
    title: "Access rules review",
    devOnly: "Development page: a production server does not serve it.",
    explainTitle: "Explain a decision",
    explainHint: "Who, which action, on which object: the rule that decided, or why none did.",
    who: "Who (the account's e-mail)",
    action: "Action",
    actionHint: "For example read, cancel, revoke, manage_accesses.",
    on: "Object (TYPE:ID)",
    onHint: "For example Enrollment:12 or Establishment:1.",
    fieldName: "Field (optional)",
    fieldHint: "For a field rule, for example read_document with EVALUATION.",
    explain: "Explain",
    allowed: "Allowed",
    denied: "Denied",
    matrix: "Decision matrix",
    contents: "Contents of the matrix",
  },
});

export async function render(ctx) {
  const response = await fetch("/dev/policy/matrix", { credentials: "omit" });
  if (response.status === 404) {
    const notFound = await import("./not-found.js");
    return notFound.render(ctx);
  }
  if (!response.ok) throw new Error(`matrix: ${response.status}`);
  const markdown = await response.text();
  ctx.setTitle(t("title"));
  return h(
    "section",
    { class: "policy-review" },
    h("h1", {}, t("title")),
    h("p", { class: "message info" }, t("devOnly")),
    explainCard(ctx),
    h(
      "section",
      { class: "card", "aria-labelledby": "matrix-title" },
      h("h2", { id: "matrix-title" }, t("matrix")),
      renderMarkdown(markdown),
    ),
  );
}

function explainCard(ctx) {
  const box = messageBox();
  const who = h("input", { type: "email", name: "email", required: true, value: ctx.query.get("as") || "" });
  const action = h("input", { type: "text", name: "action", required: true, value: ctx.query.get("action") || "" });
  const on = h("input", { type: "text", name: "on", required: true, value: ctx.query.get("on") || "" });
  const fieldInput = h("input", { type: "text", name: "field", value: ctx.query.get("field") || "" });
  const verdict = h("p", { id: "explain-verdict", hidden: true });
  const output = h("pre", { id: "explain-output", class: "explanation", tabindex: "0", hidden: true });
  const form = h(
    "form",
    { id: "explain-form" },
    h("p", { class: "hint" }, t("explainHint")),
    field(t("who"), who),
    field(t("action"), action, t("actionHint")),
    field(t("on"), on, t("onHint")),
    field(t("fieldName"), fieldInput, t("fieldHint")),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, t("explain"))),
    box,
  );
  form.addEventListener(
    "submit",
    handleSubmit(form, box, async () => {
      verdict.hidden = true;
      output.hidden = true;
      const response = await fetch("/dev/policy/explain", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        credentials: "omit",
        body: JSON.stringify({ email: who.value, action: action.value, on: on.value, field: fieldInput.value || null }),
      });
      const answer = await response.json();
      if (!response.ok) {
        box.show("error", answer.message);
        return;
      }
      verdict.className = `badge ${answer.allowed ? "allowed" : "denied"}`;
      verdict.textContent = t(answer.allowed ? "allowed" : "denied");
      verdict.hidden = false;
      output.textContent = answer.text;
      output.hidden = false;
    }),
  );
  return h(
    "section",
    { class: "card", "aria-labelledby": "explain-title" },
    h("h2", { id: "explain-title" }, t("explainTitle")),
    form,
    h("div", { role: "status", "aria-live": "polite" }, verdict),
    output,
  );
}

// -- the matrix's Markdown: headings, paragraphs, bullet lists and tables, as text -----------

function inline(text) {
  // `code` and **bold**, the only inline marks MATRIX.md uses; everything stays text.
  const parts = [];
  const pattern = /(`[^`]+`|\*\*[^*]+\*\*)/g;
  let last = 0;
  for (const match of text.matchAll(pattern)) {
    if (match.index > last) parts.push(text.slice(last, match.index));
    const mark = match[0];
    parts.push(mark.startsWith("`") ? h("code", {}, mark.slice(1, -1)) : h("strong", {}, mark.slice(2, -2)));
    last = match.index + mark.length;
  }
  parts.push(text.slice(last));
  return parts;
}

function cells(line) {
  return line.replace(/^\|/, "").replace(/\|$/, "").split("|").map((cell) => cell.trim());
}

function renderMarkdown(markdown) {
  const container = h("div", { class: "markdown", lang: "en" });
  const lines = markdown.split("\n");
  let index = 0;
  let tableCount = 0;
  while (index < lines.length) {
    const line = lines[index];
    if (!line.trim()) {
      index += 1;
    } else if (line.startsWith("#")) {
      const level = Math.min(6, line.match(/^#+/)[0].length + 1); // the page has the h1
      container.append(h(`h${level}`, {}, inline(line.replace(/^#+\s*/, ""))));
      index += 1;
    } else if (line.startsWith("|")) {
      const rows = [];
      while (index < lines.length && lines[index].startsWith("|")) rows.push(lines[index++]);
      const [head, , ...body] = rows;
      tableCount += 1;
      container.append(
        h(
          "div",
          { class: "table-wrap" },
          h(
            "table",
            { class: "matrix", id: `matrix-${tableCount}` },
            h("thead", {}, h("tr", {}, cells(head).map((cell) => h("th", { scope: "col" }, inline(cell))))),
            h(
              "tbody",
              {},
              body.map((row) =>
                h(
                  "tr",
                  {},
                  cells(row).map((cell, i) =>
                    i === 0 ? h("th", { scope: "row" }, inline(cell)) : h("td", { class: `decision ${cell.replace(/[^a-z]/g, "")}` }, cell),
                  ),
                ),
              ),
            ),
          ),
        ),
      );
    } else if (line.startsWith("- ")) {
      const items = [];
      while (index < lines.length && lines[index].startsWith("- ")) items.push(lines[index++].slice(2));
      container.append(h("ul", {}, items.map((item) => h("li", {}, inline(item)))));
    } else {
      const paragraph = [];
      while (index < lines.length && lines[index].trim() && !/^[#|]|^- /.test(lines[index])) paragraph.push(lines[index++]);
      container.append(h("p", {}, inline(paragraph.join(" "))));
    }
  }
  return container;
}
