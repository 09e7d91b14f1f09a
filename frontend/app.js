// The front end's entry point: the list of pages, the router and the shared layout.
//
// One line per page. `page` is the module `pages/<page>.js`, which exports
//   render(ctx) -> Node | Promise<Node>
// with ctx = { params, query, viewer, navigate, rerender, setTitle }.
// `access`: "anyone" (default), "anonymous" (signed-in people go home), "signedIn", "staff"
// (the API's `viewerCanUseBackOffice`), "manager" (`viewerCanManageAccesses` on some
// establishment of theirs): flags the policy decides, no role test here. `nav`: a
// shared-dictionary key; the page is then in the navigation for the people its `access` lets in.

import { h, replace } from "./lib/dom.js";
import { ApiError } from "./lib/graphql.js";
import { language, onLanguageChange, setLanguage, t } from "./lib/i18n.js";
import { currentViewer, forget, forgetViewer, signOut } from "./lib/session.js";
import { onTokenChange } from "./lib/token.js";

export const ROUTES = [
  { path: "/", page: "home" },
  { path: "/catalog", page: "catalog", nav: "nav.catalog" },
  { path: "/catalog/:courseId", page: "course" },
  { path: "/history", page: "history", access: "signedIn", nav: "nav.history" },
  { path: "/enrollments/:id", page: "enrollment", access: "signedIn" },
  { path: "/account", page: "account", access: "signedIn", nav: "nav.account" },
  { path: "/sign-in", page: "sign-in", access: "anonymous" },
  { path: "/sign-up", page: "sign-up", access: "anonymous" },
  { path: "/forgot-password", page: "forgot-password" },
  // The pages of the links we e-mail (services/accounts.py, services/invitations.py).
  { path: "/verify-email", page: "verify-email" },
  { path: "/reset-password", page: "reset-password" },
  { path: "/set-password", page: "reset-password" },
  { path: "/confirm-email-change", page: "confirm-email-change" },
  { path: "/accept-invitation", page: "accept-invitation" },
  // Admin dashboard, staff back office, and the policy reviewers' page (its data comes from
  // /dev/policy/..., which only a development server serves).
  { path: "/admin", page: "admin", access: "manager", nav: "nav.admin" },
  { path: "/back-office", page: "back-office", access: "staff", nav: "nav.backOffice" },
  { path: "/policy-review", page: "policy-review" },
];

const PAGE_PATH = /^\/[a-z0-9/-]*$/;

function allowed(route, viewer) {
  switch (route.access || "anyone") {
    case "anyone":
      return true;
    case "anonymous":
      return !viewer;
    case "signedIn":
      return Boolean(viewer);
    case "staff": // the API's viewerCanUseBackOffice, decided by the policy
      return Boolean(viewer?.viewerCanUseBackOffice);
    case "manager":
      return Boolean(viewer?.accesses?.some((access) => access.establishment.viewerCanManageAccesses));
    default:
      return false;
  }
}

function match(pathname) {
  const parts = pathname.replace(/\/+$/, "").split("/").filter(Boolean);
  for (const route of ROUTES) {
    const pattern = route.path.split("/").filter(Boolean);
    if (pattern.length !== parts.length) continue;
    const params = {};
    const ok = pattern.every((segment, index) => {
      if (segment.startsWith(":")) {
        params[segment.slice(1)] = decodeURIComponent(parts[index]);
        return true;
      }
      return segment === parts[index];
    });
    if (ok) return { route, params };
  }
  return null;
}

// -- layout --------------------------------------------------------------------------------

const root = document.getElementById("app");
const header = h("header", { class: "site-header" });
const main = h("main", { id: "main", tabindex: "-1" });
const footer = h("footer", { class: "site-footer" });
const liveRegion = h("div", { class: "visually-hidden", "aria-live": "polite", id: "route-announcer" });

function layout(viewer, currentPath) {
  const links = ROUTES.filter((route) => route.nav && allowed(route, viewer)).map((route) =>
    h(
      "li",
      {},
      h(
        "a",
        { href: route.path, "aria-current": currentPath.startsWith(route.path) ? "page" : null },
        t(route.nav),
      ),
    ),
  );
  const account = viewer
    ? [
        h("span", { class: "who", title: viewer.email }, viewer.fullName || viewer.email),
        h("button", { type: "button", class: "link-button", id: "sign-out", onclick: doSignOut }, t("nav.signOut")),
      ]
    : [
        h("a", { href: "/sign-in" }, t("nav.signIn")),
        h("a", { href: "/sign-up", class: "button-link" }, t("nav.signUp")),
      ];
  replace(
    header,
    h("a", { href: "#main", class: "skip-link", onclick: skipToMain }, t("skipToContent")),
    h("a", { href: "/", class: "brand" }, t("appName")),
    h("nav", { "aria-label": t("nav.label") }, h("ul", {}, links)),
    h(
      "div",
      { class: "account-bar" },
      account,
      h(
        "button",
        {
          type: "button",
          class: "link-button",
          id: "language-switch",
          lang: language() === "fr" ? "en" : "fr",
          "aria-label": t("language.switchLabel"),
          onclick: () => setLanguage(language() === "fr" ? "en" : "fr"),
        },
        t("language.switch"),
      ),
    ),
  );
  replace(footer, h("p", {}, "Espace"));
}

function skipToMain(event) {
  event.preventDefault();
  main.focus();
}

async function doSignOut() {
  await signOut();
  navigate("/sign-in?signedOut=1");
}

// -- router --------------------------------------------------------------------------------

let renderCount = 0;

export function navigate(path, { replace: replacing = false } = {}) {
  if (replacing) history.replaceState({}, "", path);
  else history.pushState({}, "", path);
  return route({ focus: true });
}

async function route({ focus = false } = {}) {
  const count = ++renderCount;
  const url = new URL(window.location.href);
  const found = match(url.pathname);
  let viewer = null;
  try {
    viewer = await currentViewer();
  } catch (error) {
    viewer = null;
  }
  if (count !== renderCount) return; // a later navigation won
  layout(viewer, url.pathname);
  main.setAttribute("aria-busy", "true");
  let content;
  let title = t("appName");
  const ctx = {
    params: found?.params || {},
    query: url.searchParams,
    viewer,
    navigate,
    rerender: () => route(),
    refreshViewer: () => currentViewer({ refresh: true }),
    setTitle: (text) => (title = `${text} · ${t("appName")}`),
  };
  try {
    if (!found) {
      content = await renderPage("not-found", ctx);
    } else if (!allowed(found.route, viewer)) {
      if (!viewer) {
        return navigate(`/sign-in?next=${encodeURIComponent(url.pathname + url.search)}`, { replace: true });
      }
      if (found.route.access === "anonymous") return navigate("/history", { replace: true });
      content = await renderPage("not-found", ctx);
    } else {
      content = await renderPage(found.route.page, ctx);
    }
  } catch (error) {
    content = errorContent(error);
  }
  if (count !== renderCount) return;
  replace(main, content);
  main.removeAttribute("aria-busy");
  document.title = title;
  liveRegion.textContent = title;
  if (focus) focusHeading();
}

/** After a navigation the page's h1 takes the focus, so screen readers announce the new
 *  page and the next Tab starts from its content. */
function focusHeading() {
  const heading = main.querySelector("h1");
  if (!heading) return main.focus();
  heading.setAttribute("tabindex", "-1");
  heading.focus();
}

async function renderPage(name, ctx) {
  const module = await import(`./pages/${name}.js`);
  return module.render(ctx);
}

function errorContent(error) {
  console.error(error);
  const text = error instanceof ApiError ? error.display : t("error.network");
  return h("div", { class: "message error", role: "alert" }, text);
}

// Same-origin links to front-end pages change the page without reloading it.
document.addEventListener("click", (event) => {
  const link = event.target.closest?.("a[href]");
  if (!link || event.defaultPrevented || event.button !== 0) return;
  if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  if (link.target || link.hasAttribute("download") || link.origin !== window.location.origin) return;
  if (!PAGE_PATH.test(link.pathname) || link.getAttribute("href").startsWith("#")) return;
  event.preventDefault();
  navigate(link.pathname + link.search);
});
window.addEventListener("popstate", () => route({ focus: true }));
window.addEventListener("espace:unauthenticated", () => {
  forget();
  const here = window.location.pathname + window.location.search;
  navigate(`/sign-in?expired=1&next=${encodeURIComponent(here)}`, { replace: true });
});
onLanguageChange(() => route());
onTokenChange(() => {
  forgetViewer(); // another tab signed in or out: ask `me` again
  route();
});

document.documentElement.lang = language();
replace(root, header, main, footer, liveRegion);
route();
