// Small pieces that many pages share: breadcrumbs, page headings, facts, badges.

import { h } from "./dom.js";
import { PRIORITY_NAMES, STATE_LABELS } from "./format.js";
import { entityRoute } from "./model.js";

/** Site › Building 15 › Floor 3 › Office 301 (the last one not a link). */
export function breadcrumbs(site, id, extra) {
  const chain = id ? site.lineage(id) : [];
  const home = h("a", { href: "#/", testid: "crumb-site" }, site.site.name || "Site");
  const items = [h("li", {}, home)];
  chain.forEach((entity, i) => {
    const last = i === chain.length - 1 && !extra;
    items.push(h("li", {}, last
      ? h("span", { "aria-current": "page" }, entity.name)
      : h("a", { href: entityRoute(entity), testid: `crumb-${entity.id}` }, entity.name)));
  });
  if (extra) items.push(h("li", {}, h("span", { "aria-current": "page" }, extra)));
  return h("nav", { class: "crumbs", "aria-label": "Breadcrumb" }, h("ol", {}, items));
}

/** The page's heading with an optional line under it and actions to its right. */
export function pageHead(title, subtitle, ...actions) {
  return h("div", { class: "page-head" },
    h("div", {}, h("h1", { testid: "page-title" }, title),
      subtitle ? h("p", { class: "muted subtitle" }, subtitle) : null),
    actions.length ? h("div", { class: "actions" }, actions) : null);
}

/** A definition list from [label, value] pairs (values may be nodes); empty ones skipped. */
export function facts(pairs, testid) {
  const list = h("dl", { class: "facts", testid });
  for (const [label, value] of pairs) {
    if (value === null || value === undefined || value === "") continue;
    list.append(h("dt", {}, label), h("dd", {}, value));
  }
  return list;
}

export function qualityBadge(quality, testid) {
  const name = quality || "none";
  return h("span", { class: `badge q-${name}`, testid, dataset: { quality: name } },
    quality || "no value");
}

export function priorityBadge(priority) {
  const known = PRIORITY_NAMES.includes(priority) ? priority : "low";
  return h("span", { class: `badge p-${known}`, dataset: { priority } }, priority);
}

export function stateBadge(state) {
  return h("span", { class: `badge s-${state}`, dataset: { state } }, STATE_LABELS[state] || state);
}

let sections = 0;

/** A panel with a heading: a section of a page. */
export function section(title, testid, ...children) {
  const id = `section-${++sections}`;
  return h("section", { class: "panel", testid, "aria-labelledby": id },
    h("h2", { id }, title), children);
}

/** Whether an error is a request that a page left (navigated away), not a failure. */
export function aborted(error) {
  return error && error.name === "AbortError";
}

/** A table cell: td("text"), td(node, "num"). */
export function td(content, className) {
  return h("td", { class: className }, content);
}

/**
 * A table of items: one column per heading, one row per item; cells(item) gives the row's
 * cells (td elements), attrs(item) the row's attributes (testid, dataset).
 */
export function dataTable(headings, items, cells, attrs = () => ({}), className = "compact") {
  return h("div", { class: "table-wrap" }, h("table", { class: className },
    h("thead", {}, h("tr", {}, headings.map((t) => h("th", { scope: "col" }, t)))),
    h("tbody", {}, items.map((item) => h("tr", attrs(item), cells(item))))));
}
