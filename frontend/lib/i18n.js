// French by default, English on request; the choice is remembered in this browser.
//
// Each page keeps its own dictionary next to its code, so people editing different pages do
// not touch the same file:
//
//   const t = translator({ fr: { title: "Historique", count: "{n} inscriptions" },
//                          en: { title: "History", count: "{n} enrollments" } });
//   t("title"); t("count", { n: 3 });
//
// A key missing from a page's dictionary is looked up in the shared one
// (`lib/messages.js`: navigation, statuses, document kinds, common buttons).

import { COMMON } from "./messages.js";

export const LANGUAGES = ["fr", "en"];
const STORAGE_KEY = "espace.language";
const listeners = new Set();

export function language() {
  const stored = safeStorage()?.getItem(STORAGE_KEY);
  return LANGUAGES.includes(stored) ? stored : "fr";
}

export function setLanguage(code) {
  if (!LANGUAGES.includes(code)) return;
  safeStorage()?.setItem(STORAGE_KEY, code);
  document.documentElement.lang = code;
  for (const listener of listeners) listener(code);
}

/** Called with the new language code after each switch. */
export function onLanguageChange(listener) {
  listeners.add(listener);
}

export function translator(dictionary = {}) {
  return (key, params) => {
    const code = language();
    const text =
      dictionary[code]?.[key] ?? COMMON[code]?.[key] ?? dictionary.fr?.[key] ?? COMMON.fr[key];
    if (text === undefined) {
      console.warn(`missing message: ${key}`);
      return key;
    }
    return interpolate(text, params);
  };
}

/** The shared dictionary alone. */
export const t = translator();

function interpolate(text, params) {
  if (!params) return text;
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in params ? String(params[name]) : whole));
}

function safeStorage() {
  try {
    return window.localStorage;
  } catch {
    return null; // storage disabled: French, not remembered
  }
}

// -- formats --------------------------------------------------------------------------------

function locale() {
  return language() === "fr" ? "fr-FR" : "en-GB";
}

/** "12 mars 2026" from "2026-03-12" or a date-time. */
export function formatDate(value) {
  if (!value) return "";
  const date = /^\d{4}-\d{2}-\d{2}$/.test(value) ? new Date(`${value}T12:00:00`) : new Date(value);
  return new Intl.DateTimeFormat(locale(), { dateStyle: "medium" }).format(date);
}

export function formatDateTime(value) {
  if (!value) return "";
  return new Intl.DateTimeFormat(locale(), { dateStyle: "medium", timeStyle: "short" }).format(
    new Date(value),
  );
}

/** "1 234,50 €" from a Decimal string. */
export function formatMoney(value) {
  if (value === null || value === undefined || value === "") return "";
  return new Intl.NumberFormat(locale(), { style: "currency", currency: "EUR" }).format(Number(value));
}

export function formatSize(bytes) {
  const kb = bytes / 1024;
  const unit = language() === "fr" ? ["Ko", "Mo"] : ["KB", "MB"];
  const number = new Intl.NumberFormat(locale(), { maximumFractionDigits: 1 });
  return kb < 1024 ? `${number.format(kb)} ${unit[0]}` : `${number.format(kb / 1024)} ${unit[1]}`;
}
