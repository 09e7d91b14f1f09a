// Building the DOM without HTML strings: text is always set as text, so nothing a person
// typed can become markup (and the CSP forbids inline scripts and styles anyway).
//
//   h("button", { type: "button", class: "primary", onclick: save }, t("save"))
//
// Attributes: `class`, `for`, `aria-*`, `data-*` and any other are set as attributes;
// `on<event>` adds a listener; `hidden`, `disabled`, `checked`, `selected`, `required`
// and `value` are set as properties. `null`, `undefined` and `false` children are skipped.

const PROPERTIES = new Set(["hidden", "disabled", "checked", "selected", "required", "value", "multiple"]);

export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") {
      element.addEventListener(name.slice(2).toLowerCase(), value);
    } else if (PROPERTIES.has(name)) {
      element[name] = value;
    } else {
      element.setAttribute(name, value === true ? "" : String(value));
    }
  }
  append(element, children);
  return element;
}

export function append(element, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

/** Replaces the children of `element`. */
export function replace(element, ...children) {
  element.replaceChildren();
  return append(element, children);
}

let uniqueId = 0;
/** A fresh id for pairing a label with its control. */
export function newId(prefix = "f") {
  uniqueId += 1;
  return `${prefix}-${uniqueId}`;
}

/** A labelled form field: `<div class="field"><label for>…</label><input id …></div>`.
 *  `hint` is linked with aria-describedby. */
export function field(label, control, hint) {
  const id = control.id || newId();
  control.id = id;
  const parts = [h("label", { for: id }, label), control];
  if (hint) {
    const hintId = `${id}-hint`;
    control.setAttribute("aria-describedby", hintId);
    parts.push(h("p", { class: "hint", id: hintId }, hint));
  }
  return h("div", { class: "field" }, parts);
}

/** A status message region; `show(kind, text)` with kind "error", "ok" or "info". */
export function messageBox() {
  const box = h("div", { class: "message", role: "status", "aria-live": "polite", hidden: true });
  box.show = (kind, ...content) => {
    box.className = `message ${kind}`;
    box.setAttribute("role", kind === "error" ? "alert" : "status");
    replace(box, ...content);
    box.hidden = false;
  };
  box.clear = () => {
    box.hidden = true;
    box.replaceChildren();
  };
  return box;
}

/** Values of a form's named controls (checkbox groups as arrays of checked values). */
export function formValues(form) {
  const values = {};
  for (const control of form.elements) {
    if (!control.name) continue;
    if (control.type === "checkbox") {
      if (!Array.isArray(values[control.name])) values[control.name] = [];
      if (control.checked) values[control.name].push(control.value);
    } else if (control.type === "radio") {
      if (control.checked) values[control.name] = control.value;
    } else {
      values[control.name] = control.value;
    }
  }
  return values;
}

/** A table in its scrolling wrapper: each row is an array of cells, or a ready `<tr>`. */
export function dataTable(id, headers, rows) {
  return h(
    "div",
    { class: "table-wrap" },
    h(
      "table",
      { id },
      h("thead", {}, h("tr", {}, headers.map((text) => h("th", { scope: "col" }, text)))),
      h(
        "tbody",
        {},
        rows.map((row) => (Array.isArray(row) ? h("tr", {}, row.map((cell) => h("td", {}, cell ?? ""))) : row)),
      ),
    ),
  );
}
