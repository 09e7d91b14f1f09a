// Development pages for mailed links (web/link_pages.py): send the link's token, and the
// fields of the form, to the GraphQL mutation the form names; show the answer.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const form = document.getElementById("link-form");
  const result = document.getElementById("link-result");
  const token = new URLSearchParams(window.location.search).get("token") || "";
  if (!token) {
    result.textContent = "This link has no token: open the link of the e-mail again.";
    form.hidden = true;
    return;
  }
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const variables = { token };
    for (const input of form.querySelectorAll("input[name]")) {
      if (input.value !== "") variables[input.name] = input.value;
    }
    const names = Object.keys(variables);
    const declared = names.map((name) => `$${name}: String!`).join(", ");
    const passed = names.map((name) => `${name}: $${name}`).join(", ");
    const mutation = form.dataset.mutation;
    const query = `mutation(${declared}) { ${mutation}(${passed}) { __typename } }`;
    form.querySelector("button").disabled = true;
    try {
      const response = await fetch("/graphql", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ query, variables }),
      });
      const body = await response.json();
      if (body.errors && body.errors.length) {
        result.textContent = body.errors[0].message;
        form.querySelector("button").disabled = false;
      } else {
        result.textContent = "Done. You can close this page.";
        form.hidden = true;
      }
    } catch (error) {
      result.textContent = "The server did not answer: " + error;
      form.querySelector("button").disabled = false;
    }
  });
});
