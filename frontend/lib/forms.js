// Forms that send an operation: the submit button is disabled while it runs, the API's
// message is shown in the form's message box, and invalid fields (extensions.fields) are
// marked with aria-invalid and their own message under the control.

import { h } from "./dom.js";
import { ApiError } from "./graphql.js";
import { t } from "./i18n.js";

/**
 * `form.addEventListener("submit", handleSubmit(form, box, async () => { ... }))`.
 * `action` may return a promise; an ApiError it throws is shown in `box`.
 */
export function handleSubmit(form, box, action) {
  return async (event) => {
    event.preventDefault();
    clearFieldErrors(form);
    box.clear();
    const buttons = form.querySelectorAll("button[type=submit]");
    buttons.forEach((button) => (button.disabled = true));
    form.setAttribute("aria-busy", "true");
    try {
      await action();
    } catch (error) {
      showError(form, box, error);
    } finally {
      buttons.forEach((button) => (button.disabled = false));
      form.removeAttribute("aria-busy");
    }
  };
}

/**
 * `button` runs `action` when clicked, disabled meanwhile. An ApiError it throws is shown in
 * `box` and the button is enabled again; on success the caller re-renders the page.
 */
export function runOnClick(button, box, action) {
  button.addEventListener("click", async () => {
    button.disabled = true;
    try {
      await action();
    } catch (error) {
      showError(null, box, error);
      button.disabled = false;
    }
  });
  return button;
}

export function showError(form, box, error) {
  if (!(error instanceof ApiError)) {
    console.error(error);
    box.show("error", t("error.network"));
    return;
  }
  box.show("error", error.display);
  for (const entry of error.fields) {
    const name = String(entry.field || "").split(".").pop();
    const control = form?.querySelector(`[name="${CSS.escape(name)}"]`);
    if (!control) continue;
    control.setAttribute("aria-invalid", "true");
    const id = `${control.id}-error`;
    control.setAttribute("aria-errormessage", id);
    control.after(h("p", { class: "field-error", id }, entry.message));
  }
}

function clearFieldErrors(form) {
  for (const control of form.querySelectorAll("[aria-invalid]")) {
    control.removeAttribute("aria-invalid");
    control.removeAttribute("aria-errormessage");
  }
  for (const message of form.querySelectorAll(".field-error")) message.remove();
}
