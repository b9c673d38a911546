// #/alarms?state=&priority=&area=&unacknowledged=1&alarm=<id> : the alarm console. Most
// urgent first (the server's order), filtered, live; acknowledge, shelve, unshelve, comment,
// out of service, history; floods and suppression in plain sight; the KPIs.

import { h } from "../dom.js";
import { infoDialog, formDialog } from "../dialogs.js";
import {
  formatDuration, formatNumber, formatTime, formatValue, plural, PRIORITY_NAMES, STATE_LABELS,
} from "../format.js";
import { entityRoute } from "../model.js";
import { dataTable, pageHead, priorityBadge, section, stateBadge, td } from "../widgets.js";

const REFRESH_MS = 300; // gather a burst of transitions into one reload
const SHELVE_FOR = [["900", "15 minutes"], ["3600", "1 hour"], ["14400", "4 hours"],
  ["28800", "8 hours"], ["86400", "24 hours"]];

function alarmPath(id, action = "") {
  return `/api/alarms/${encodeURIComponent(id)}${action ? `/${action}` : ""}`;
}

export async function render(ctx, { query, signal }, root) {
  const filters = {
    state: query.get("state") || "open",
    priority: query.get("priority") || "",
    area: query.get("area") || "",
    unacknowledged: query.get("unacknowledged") === "1",
  };
  const focus = query.get("alarm") || "";
  const kpiBox = h("div", { testid: "alarm-kpis" });
  const floodBox = h("div", { testid: "flood-banners" });
  const list = h("div", { testid: "alarm-list" });
  const count = h("p", { class: "muted small", testid: "alarm-count", role: "status" });
  let timer = null;
  let seq = 0;

  async function refresh() {
    const mine = ++seq;
    const wanted = {
      state: filters.state === "open" || filters.state === "all" ? undefined : filters.state,
      priority: filters.priority || undefined,
      area: filters.area || undefined,
      unacknowledged: filters.unacknowledged ? true : undefined,
    };
    const [alarms, floods, kpis] = await Promise.all([
      ctx.api.get("/api/alarms", wanted, signal),
      ctx.api.get("/api/alarms/floods", undefined, signal),
      ctx.api.get("/api/alarms/kpis", undefined, signal),
    ]);
    if (mine !== seq) return;
    const shown = filters.state === "open" ? alarms.filter((a) => a.state !== "normal") : alarms;
    showKpis(kpiBox, kpis);
    showFloods(ctx, floodBox, floods);
    list.replaceChildren(table(ctx, shown, focus, later));
    count.textContent = plural(shown.length, "alarm");
    list.dataset.count = String(shown.length);
  }

  function later() {
    clearTimeout(timer);
    timer = setTimeout(() => refresh().catch(() => {}), REFRESH_MS);
  }

  const form = filterForm(ctx, filters, () => {
    const params = new URLSearchParams();
    if (filters.state !== "open") params.set("state", filters.state);
    for (const key of ["priority", "area"]) if (filters[key]) params.set(key, filters[key]);
    if (filters.unacknowledged) params.set("unacknowledged", "1");
    history.replaceState(null, "", `#/alarms${params.size ? `?${params}` : ""}`);
    later();
  });

  root.append(pageHead("Alarm console", "Most urgent first; updated live."),
    floodBox, section("Now", "kpi-section", kpiBox), form, count, list);
  await refresh();
  ctx.live.watch({ alarms: true }, { alarm: later, flood: later }, signal);
  signal.addEventListener("abort", () => clearTimeout(timer));
  const focused = focus && list.querySelector(`[data-alarm="${CSS.escape(focus)}"]`);
  if (focused) focused.scrollIntoView({ block: "center" });
}

function filterForm(ctx, filters, changed) {
  const select = (name, label, options) => {
    const el = h("select", { id: `filter-${name}`, testid: `filter-${name}` },
      options.map(([value, text]) => h("option", { value, selected: filters[name] === value },
        text)));
    el.addEventListener("change", () => {
      filters[name] = el.value;
      changed();
    });
    return [h("label", { for: el.id }, label), el];
  };
  const floors = ctx.site.buildings().flatMap((b) => ctx.site.floors(b.id));
  const unack = h("input", { type: "checkbox", id: "filter-unacknowledged",
    testid: "filter-unacknowledged", checked: filters.unacknowledged });
  unack.addEventListener("change", () => {
    filters.unacknowledged = unack.checked;
    changed();
  });
  return h("form", { class: "filters panel", testid: "alarm-filters",
    onsubmit: (e) => e.preventDefault() },
    ...select("state", "State", [["open", "Not normal"], ["all", "All"],
      ...Object.entries(STATE_LABELS)]),
    ...select("priority", "Priority", [["", "Any"],
      ...PRIORITY_NAMES.map((p, i) => [p, i === 0 ? p : `${p} and more urgent`])]),
    ...select("area", "Area", [["", "Everywhere"], ...floors.map((f) => [f.id, f.name])]),
    h("label", { class: "inline", for: "filter-unacknowledged" }, unack, " Unacknowledged only"));
}

function showKpis(box, k) {
  const g = k.guidance || {};
  const item = (label, value, testid, warn) => h("div",
    { class: `kpi${warn ? " warn" : ""}`, testid }, h("span", {}, label), h("strong", {}, value));
  box.replaceChildren(h("div", { class: "kpis" },
    item("Standing", String(k.standing_total), "kpi-standing"),
    item("Unacknowledged", String(k.unacknowledged), "kpi-unacknowledged", k.unacknowledged > 0),
    item("Shelved", String(k.shelved), "kpi-shelved"),
    item("Suppressed", String(k.suppressed), "kpi-suppressed"),
    item("Out of service", String(k.out_of_service), "kpi-out-of-service"),
    item("Per hour (24 h)", formatNumber(k.hourly_average), "kpi-hourly",
      k.hourly_average > (g.per_hour_manageable ?? Infinity)),
    item("Peak in 10 min", String(k.peak_10min), "kpi-peak",
      k.peak_10min > (g.per_10min_max ?? Infinity)),
    item("Stale", String(k.stale), "kpi-stale", k.stale > (g.stale_max ?? 0)),
    item("Chattering", String(k.chattering), "kpi-chattering",
      k.chattering > (g.chattering_max ?? 0)),
    item("Time in flood (24 h)", `${formatNumber(k.flood_time_percent)} %`, "kpi-flood",
      k.flood_time_percent > (g.flood_time_percent_max ?? 1))));
}

function showFloods(ctx, box, floods) {
  const banner = (f) => h("div", { class: "banner flood", role: "alert", testid: `flood-${f.area}`,
    dataset: { suppressed: String(f.suppressed_total) } },
  h("strong", {}, `Alarm flood: ${ctx.site.get(f.area)?.name || f.area}`),
  ` since ${formatTime(f.since)}, ${plural(f.count, "alarm")}; ` +
  `${f.suppressed_total} held back by flood suppression until it ends.`);
  box.replaceChildren(...floods.map(banner));
}

function table(ctx, alarms, focus, changed) {
  if (!alarms.length) return h("p", { class: "muted panel" }, "No alarms match.");
  return h("div", { class: "table-wrap" }, h("table", { class: "alarms" },
    h("thead", {}, h("tr", {}, ["Priority", "State", "Alarm", "Where", "Since", "Notes", ""].map(
      (t) => h("th", { scope: "col" }, t)))),
    h("tbody", {}, alarms.map((a) => alarmRow(ctx, a, a.id === focus, changed)))));
}

function alarmRow(ctx, alarm, focused, changed) {
  const space = alarm.point ? ctx.site.spaceOfPoint(alarm.point) : null;
  const where = space || ctx.site.get(alarm.area);
  const notes = [];
  if (alarm.suppressed_by) {
    notes.push(h("span", { class: "badge suppressed", testid: `suppressed-${alarm.id}` },
      `suppressed: ${alarm.suppressed_by}`));
  }
  if (alarm.shelf) notes.push(h("span", { class: "note" }, `shelved by ${alarm.shelf.by} until ` +
    `${formatTime(alarm.shelf.until)}: ${alarm.shelf.reason}`));
  if (alarm.out_of_service) notes.push(h("span", { class: "note" },
    `out of service (${alarm.out_of_service.by}): ${alarm.out_of_service.reason}`));
  if (alarm.ack) notes.push(h("span", { class: "note" }, `acknowledged by ${alarm.ack.by}` +
    (alarm.ack.comment ? `: ${alarm.ack.comment}` : "")));
  return h("tr", { testid: `alarm-${alarm.id}`,
    class: `${focused ? "focused " : ""}st-${alarm.state}`,
    dataset: { alarm: alarm.id, state: alarm.state, priority: alarm.priority } },
  h("td", {}, priorityBadge(alarm.priority)),
  h("td", {}, stateBadge(alarm.state)),
  h("td", {}, h("div", {}, alarm.message || alarm.rule),
    h("div", { class: "muted small" }, alarm.point
      ? h("a", { href: `#/point/${encodeURIComponent(alarm.point)}` }, alarm.point) : alarm.rule,
    alarm.value !== null && alarm.value !== undefined ? ` = ${formatValue(alarm.value)}` : "")),
  h("td", {}, where ? h("a", { href: entityRoute(where) }, where.name) : alarm.area),
  h("td", { class: "small" }, formatTime(alarm.state_since)),
  h("td", { class: "notes small" }, notes),
  h("td", { class: "act" }, actions(ctx, alarm, changed)));
}

function actions(ctx, alarm, changed) {
  const button = (name, label, run) => h("button", { type: "button", class: "small",
    testid: `${name}-${alarm.id}`, onclick: run }, label);
  const out = [];
  if (ctx.may("alarms")) {
    if (alarm.state === "unack_active" || alarm.state === "unack_rtn") {
      out.push(button("ack", "Acknowledge", () => ack(ctx, alarm, changed)));
    }
    if (alarm.state === "shelved") {
      out.push(button("unshelve", "Unshelve", () => unshelve(ctx, alarm, changed)));
    } else if (alarm.state !== "out_of_service") {
      out.push(button("shelve", "Shelve", () => shelve(ctx, alarm, changed)));
    }
    out.push(button("comment", "Comment", () => comment(ctx, alarm, changed)));
    out.push(alarm.state === "out_of_service"
      ? button("service", "Return to service", () => service(ctx, alarm, false, changed))
      : button("service", "Out of service", () => service(ctx, alarm, true, changed)));
  }
  out.push(button("history", "History", () => showHistory(ctx, alarm)));
  return h("div", { class: "buttons" }, out);
}

function text(id, { required = false, rows = 2, maxlength = 2000 } = {}) {
  return h("textarea", { id, name: id, testid: id, rows, maxlength, required });
}

function intro(alarm) {
  return h("p", { class: "muted" }, alarm.message || alarm.id);
}

function act(ctx, alarm, action, body, said, changed) {
  return ctx.api.post(alarmPath(alarm.id, action), body).then((view) => {
    ctx.announce(said);
    changed();
    return view;
  });
}

function ack(ctx, alarm, changed) {
  formDialog({ title: "Acknowledge alarm", testid: "ack-dialog", submitLabel: "Acknowledge",
    intro: intro(alarm),
    fields: [{ name: "comment", label: "Comment (optional)", el: text("ack-comment") }],
    submit: (v) => act(ctx, alarm, "ack", { comment: v.comment.trim() },
      "Alarm acknowledged", changed) });
}

function shelve(ctx, alarm, changed) {
  const duration = h("select", { id: "shelve-duration", testid: "shelve-duration" },
    SHELVE_FOR.map(([value, label]) => h("option", { value, selected: value === "3600" }, label)));
  formDialog({ title: "Shelve alarm", testid: "shelve-dialog", submitLabel: "Shelve",
    intro: intro(alarm),
    fields: [{ name: "duration", label: "For", el: duration },
      { name: "reason", label: "Reason", el: text("shelve-reason", { required: true }) }],
    submit: (v) => act(ctx, alarm, "shelve",
      { duration: Number(v.duration), reason: v.reason.trim() },
      `Alarm shelved for ${formatDuration(Number(v.duration))}`, changed) });
}

function unshelve(ctx, alarm, changed) {
  formDialog({ title: "Return shelved alarm", testid: "unshelve-dialog", submitLabel: "Unshelve",
    intro: intro(alarm),
    fields: [{ name: "comment", label: "Comment (optional)", el: text("unshelve-comment") }],
    submit: (v) => act(ctx, alarm, "unshelve", { comment: v.comment.trim() },
      "Alarm unshelved", changed) });
}

function comment(ctx, alarm, changed) {
  formDialog({ title: "Comment on alarm", testid: "comment-dialog", submitLabel: "Add comment",
    intro: intro(alarm),
    fields: [{ name: "text", label: "Comment", el: text("comment-text", { required: true }) }],
    submit: (v) => act(ctx, alarm, "comment", { text: v.text.trim() }, "Comment added", changed) });
}

function service(ctx, alarm, out, changed) {
  formDialog({ title: out ? "Take alarm out of service" : "Return alarm to service",
    testid: "service-dialog", submitLabel: out ? "Take out of service" : "Return to service",
    intro: intro(alarm),
    fields: [{ name: "reason", label: out ? "Reason" : "Comment (optional)",
      el: text("service-reason", { required: out }) }],
    submit: (v) => act(ctx, alarm, "service", { out, reason: v.reason.trim() },
      out ? "Alarm out of service" : "Alarm returned to service", changed) });
}

async function showHistory(ctx, alarm) {
  const body = h("div", { testid: "alarm-history" }, h("p", { class: "muted" }, "Loading…"));
  infoDialog({ title: `History of ${alarm.message || alarm.id}`, testid: "history-dialog", body });
  const label = (state) => STATE_LABELS[state] || state;
  try {
    const records = await ctx.api.get(alarmPath(alarm.id, "history"), { limit: 200 });
    body.replaceChildren(records.length
      ? dataTable(["When", "Change", "Why", "Who", "Comment"], records,
        (r) => [td(formatTime(r.ts), "small nowrap"),
          td(r.from === r.to ? label(r.to) : `${label(r.from)} → ${label(r.to)}`),
          td(r.cause), td(r.user || ""), td(r.comment || "")],
        (r) => ({ testid: `history-record-${r.seq}`, dataset: { cause: r.cause } }), "history")
      : h("p", { class: "muted" }, "No history yet."));
  } catch (error) {
    body.replaceChildren(h("p", { class: "form-error" }, error.title || String(error)));
  }
}
