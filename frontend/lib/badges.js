// The status badge of an enrollment: colour and text (the text alone carries the meaning).
import { h } from "./dom.js";
import { t } from "./i18n.js";

export function statusBadge(status) {
  return h("span", { class: `badge ${status}` }, t(`status.${status}`));
}
