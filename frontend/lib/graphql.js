// Sending GraphQL operations by name. Every operation lives in
// `frontend/operations/<Name>.graphql` (one operation, named like its file, plus the fragments
// it uses); tests/test_frontend_operations.py validates each against schema.graphql and
// checks that every name the scripts pass to `gql(...)` has its file.
//
//   const data = await gql("EnrollmentHistory", { first: 20 });
//
// Errors come as `ApiError` with the API's `code` (UNAUTHENTICATED, BAD_USER_INPUT, ...),
// `reason`, the message already in the person's language (we send Accept-Language), and for
// invalid input `fields` ([{ field, reason, message }]).

import { language, t } from "./i18n.js";
import { getToken } from "./token.js";

const ENDPOINT = "/graphql";
const OPERATION_NAME = /^[A-Z][A-Za-z0-9]*$/;
const texts = new Map();

export class ApiError extends Error {
  constructor({ message, extensions = {}, path = null }) {
    super(message);
    this.name = "ApiError";
    this.code = extensions.code || "INTERNAL_SERVER_ERROR";
    this.reason = extensions.reason || null;
    this.fields = extensions.fields || [];
    this.requestId = extensions.requestId || null;
    this.retryAfterSeconds = extensions.retryAfterSeconds ?? null;
    this.extensions = extensions;
    this.path = path;
  }

  /** The text to show a person. */
  get display() {
    if (this.code === "NETWORK") return t("error.network");
    if (this.code === "INTERNAL_SERVER_ERROR") return t("error.unexpected", { requestId: this.requestId || "—" });
    return this.message;
  }

  /** The message the API gave for one input field, if any. */
  fieldMessage(name) {
    return this.fields.find((entry) => entry.field === name || entry.field?.endsWith(`.${name}`))?.message;
  }
}

/** The text of an operation, fetched once per page load. */
export function operationText(name) {
  if (!OPERATION_NAME.test(name)) return Promise.reject(new Error(`bad operation name ${name}`));
  if (!texts.has(name)) {
    const loading = fetch(`/assets/operations/${name}.graphql`).then((response) => {
      if (!response.ok) throw new Error(`operation ${name} not found`);
      return response.text();
    });
    loading.catch(() => texts.delete(name));
    texts.set(name, loading);
  }
  return texts.get(name);
}

/**
 * Sends the operation `name` and answers `{ data, errors }` (errors as ApiError), without
 * throwing for errors: for pages that show partial data (a field refused with FORBIDDEN).
 * `files`: { "variable.path": File } sends a multipart request (uploads).
 */
export async function gqlResult(name, variables = {}, { files = null, signal } = {}) {
  const query = await operationText(name);
  const headers = { Accept: "application/json", "Accept-Language": language() };
  const token = getToken();
  if (token) headers.Authorization = `Bearer ${token}`;
  const payload = { query, variables, operationName: name };
  let body;
  if (files && Object.keys(files).length) {
    body = new FormData();
    body.append("operations", JSON.stringify(payload));
    const map = {};
    Object.keys(files).forEach((path, index) => (map[index] = [`variables.${path}`]));
    body.append("map", JSON.stringify(map));
    Object.values(files).forEach((file, index) => body.append(String(index), file));
    headers["Apollo-Require-Preflight"] = "true";
  } else {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(payload);
  }
  let response;
  let answer;
  try {
    response = await fetch(ENDPOINT, { method: "POST", headers, body, signal, credentials: "omit" });
    answer = await response.json();
  } catch (error) {
    if (error.name === "AbortError") throw error;
    throw new ApiError({ message: String(error), extensions: { code: "NETWORK" } });
  }
  const errors = (answer.errors || []).map(
    (error) =>
      new ApiError({
        message: error.message,
        extensions: { requestId: response.headers.get("X-Request-ID"), ...error.extensions },
        path: error.path || null,
      }),
  );
  for (const error of errors) {
    if (error.code === "UNAUTHENTICATED" && error.reason !== "WRONG_CREDENTIALS" && token) {
      window.dispatchEvent(new CustomEvent("espace:unauthenticated"));
    }
  }
  return { data: answer.data ?? null, errors };
}

/**
 * Sends the operation and answers its data; throws the first ApiError when the operation
 * failed as a whole or one of its root fields did. Errors deeper in the answer (a field the
 * viewer may not read) leave that field null and are listed in `data.__errors`.
 */
export async function gql(name, variables = {}, options = {}) {
  const { data, errors } = await gqlResult(name, variables, options);
  const fatal = errors.find((error) => !error.path || error.path.length <= 1);
  if (fatal || data === null) throw fatal || errors[0] || new ApiError({ message: "no data" });
  Object.defineProperty(data, "__errors", { value: errors, enumerable: false });
  return data;
}
