// Where the session token lives: this origin's localStorage, read only by this origin's
// scripts (the CSP allows no other). It is sent as `Authorization: Bearer`, never in a URL
// or a cookie. Signing out (lib/session.js) ends the session on the server first.

const KEY = "espace.session";

export function getToken() {
  try {
    return window.localStorage.getItem(KEY);
  } catch {
    return null;
  }
}

export function setToken(token) {
  window.localStorage.setItem(KEY, token);
}

export function clearToken() {
  try {
    window.localStorage.removeItem(KEY);
  } catch {
    // storage disabled: nothing was kept
  }
}

/** Another tab signed in or out: `listener()` is called. */
export function onTokenChange(listener) {
  window.addEventListener("storage", (event) => {
    if (event.key === KEY || event.key === null) listener();
  });
}
