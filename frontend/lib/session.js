// The signed-in person. `currentViewer()` asks `me` once per navigation batch and caches it;
// `signedIn(payload)` keeps the token of a logIn/signUp/resetPassword answer; `signOut()`
// ends the session on the server (logOut) and then forgets the token.

import { gql } from "./graphql.js";
import { clearToken, getToken, setToken } from "./token.js";

let viewer; // undefined: not asked yet; null: anonymous
let asking = null;

export async function currentViewer({ refresh = false } = {}) {
  if (!getToken()) {
    viewer = null;
    return null;
  }
  if (refresh) viewer = undefined;
  if (viewer !== undefined) return viewer;
  if (!asking) {
    asking = gql("Viewer")
      .then((data) => {
        viewer = data.me;
        if (!viewer) clearToken(); // the session ended on the server
        return viewer;
      })
      .finally(() => {
        asking = null;
      });
  }
  return asking;
}

/** After logIn, signUp, resetPassword or acceptInvitation: `{ token, account }`. */
export function signedIn(payload) {
  setToken(payload.token);
  viewer = undefined;
}

export async function signOut() {
  if (getToken()) {
    try {
      await gql("SignOut");
    } catch {
      // already ended on the server (UNAUTHENTICATED) or unreachable: forget it here anyway
    }
  }
  forget();
}

/** Forget the session in this browser without asking the server (it already ended). */
export function forget() {
  clearToken();
  viewer = null;
}

export function isSignedIn() {
  return Boolean(getToken());
}

/** Ask `me` again at the next navigation (the token changed in another tab). */
export function forgetViewer() {
  viewer = undefined;
}

/** Where to go after signing in: only paths of this front end, never `//host` or a URL. */
export function safeNext(value, fallback = "/history") {
  return typeof value === "string" && /^\/(?!\/)/.test(value) && !value.includes("\\") ? value : fallback;
}
