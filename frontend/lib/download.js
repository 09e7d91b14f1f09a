// Saving files. Two kinds of links:
// - a document's signed `downloadUrl` (valid five minutes, for one person): ask for it when
//   the person clicks, then `followSignedLink(url, filename)`;
// - an endpoint that wants the bearer token (`/exports/enrollments.csv?...`):
//   `downloadWithToken(path, filename)` fetches it with the Authorization header and saves the
//   answer, so the token never goes in a URL.
import { ApiError } from "./graphql.js";
import { getToken } from "./token.js";

export function followSignedLink(url, filename) {
  const target = new URL(url, window.location.origin);
  // Same server: follow the path here (PUBLIC_URL may name another host for the same app).
  const href = target.origin === window.location.origin || target.pathname.startsWith("/documents/")
    ? target.pathname + target.search
    : target.href;
  clickLink(href, filename);
}

export async function downloadWithToken(path, filename) {
  const headers = {};
  const token = getToken();
  if (token) headers.Authorization = `Bearer ${token}`;
  let response;
  try {
    response = await fetch(path, { headers, credentials: "omit" });
  } catch (error) {
    throw new ApiError({ message: String(error), extensions: { code: "NETWORK" } });
  }
  if (!response.ok) {
    let body = null;
    try {
      body = await response.json();
    } catch {
      // not a JSON error body
    }
    const first = body?.errors?.[0];
    throw new ApiError({
      message: first?.message || `HTTP ${response.status}`,
      extensions: { code: response.status === 401 ? "UNAUTHENTICATED" : "FORBIDDEN", ...first?.extensions },
    });
  }
  const url = URL.createObjectURL(await response.blob());
  try {
    clickLink(url, filename);
  } finally {
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
  }
}

function clickLink(href, filename) {
  const link = document.createElement("a");
  link.href = href;
  link.download = filename || "";
  link.hidden = true;
  document.body.append(link);
  link.click();
  link.remove();
}
