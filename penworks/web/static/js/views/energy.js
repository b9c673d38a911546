// #/apps/energy?period=today|7d|30d&by=system|floor|tenant&meter=<id> : the energy app's
// dashboard: the figures of now, consumption by system, floor or tenant, a meter's baseline
// against its actual use, the measured savings, comfort room by room and the anomalies found.
// Refreshed every minute while shown; a part whose request fails says so in its own place.

import { LineChart, PALETTE } from "../chart.js";
import { errorPanel, h, routeHref } from "../dom.js";
import { FloorPlan, legend } from "../floorplan.js";
import { formatNumber, formatTime, plural } from "../format.js";
import { serverNow } from "../history.js";
import { entityRoute } from "../model.js";
import { aborted, dataTable, facts, pageHead, section, td } from "../widgets.js";

const BASE = "/api/apps/energy";
const REFRESH_MS = 60_000;
const NO_DATA = "no data yet";
const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

const PERIODS = { today: ["Today", 0], "7d": ["7 days", 7], "30d": ["30 days", 30] };
const GROUPINGS = { system: "System", floor: "Floor", tenant: "Tenant" };
const SYSTEMS = {
  hvac: "HVAC", lighting: "Lighting", plug_loads: "Plug loads", lifts: "Lifts",
  ev_charging: "EV charging", water_pumps: "Water pumps", it: "IT", security: "Security",
};
const ANOMALY_KINDS = {
  above_baseline: "Above baseline",
  base_load: "High base load",
  left_on: "Left on out of hours",
  simultaneous_heating_cooling: "Heating and cooling at once",
};
// A space's comfort class -> its colour class (app.css) and what the legend says.
const COMFORT = {
  comfortable: ["cf-comfortable", "comfortable"],
  warm: ["cf-warm", "too warm"],
  cool: ["cf-cool", "too cool"],
  poor_air: ["cf-poor_air", "poor air"],
  unknown: ["cf-unknown", NO_DATA],
};
const MAIN_METER = "Building_Electrical_Meter";
const GUIDELINE_14 = "ASHRAE Guideline 14";

// Numbers as they read: the value and its unit, or "no data yet" for none.

const known = (value) => typeof value === "number" && Number.isFinite(value);
const amount = (value, unit) => (known(value) ? `${formatNumber(value)} ${unit}` : NO_DATA);
const percent = (value) => amount(value, "%");
const signed = (value) => (value > 0 ? `+${formatNumber(value)}` : formatNumber(value));
const signedPercent = (value) => (known(value) ? `${signed(value)} %` : NO_DATA);
const counted = (n, one, many) => `${n} ${n === 1 ? one : many}`;

/** A failed request in its place: a note for what this user may not see, else the error. */
function problem(error, testid) {
  if (error && error.status === 403) {
    return h("p", { class: "notice", testid }, error.detail || "Not for this account.");
  }
  return errorPanel(error, testid);
}

/** [start, end] (ms) of a period ending `now`: today runs from midnight in the site's zone. */
function periodRange(key, now) {
  const days = PERIODS[key] ? PERIODS[key][1] : 0;
  let start = now - days * DAY_MS;
  if (!days) {
    const [hours, minutes, seconds] = formatTime(new Date(now)).split(" ")[1].split(":")
      .map(Number);
    start = now - ((hours * 60 + minutes) * 60 + seconds) * 1000 - (now % 1000);
  }
  return [start, Math.max(now, start + 60_000)];
}

function iso(ms) {
  return new Date(ms).toISOString();
}

export async function render(ctx, { query, signal }, root) {
  const state = {
    period: PERIODS[query.get("period")] ? query.get("period") : "today",
    // a tenant's meters are counted as the tenant's, under the floors' and systems' meters
    by: GROUPINGS[query.get("by")] ? query.get("by")
      : (ctx.session.user.tenant ? "tenant" : "system"),
    meter: query.get("meter") || "",
    range: null, // [start, end] ms of the period shown
    meters: null, // the meters the user may see, once loaded
  };
  const remember = () => {
    const params = new URLSearchParams({ period: state.period, by: state.by });
    if (state.meter) params.set("meter", state.meter);
    history.replaceState(null, "", `${routeHref("apps", "energy")}?${params}`);
  };
  const subtitle = h("span", { testid: "energy-period" }, "Loading…");
  const overview = new Overview(ctx, signal);
  const breakdown = new Breakdown(ctx, state, signal, remember);
  const baseline = new Baseline(ctx, state, signal, remember);
  const savings = new Savings(ctx, signal);
  const comfort = new Comfort(ctx, signal);
  const anomalies = new Anomalies(ctx, state, signal);

  const periodPicker = segmented("Period", "period", Object.entries(PERIODS)
    .map(([key, [label]]) => [key, label]), state.period, (key) => {
    state.period = key;
    baseline.zoom = null;
    remember();
    refresh();
  });
  root.append(
    pageHead("Energy", subtitle, periodPicker),
    overview.el, breakdown.el, baseline.el, savings.el, comfort.el, anomalies.el);

  let loads = 0;
  async function refresh() {
    const mine = ++loads;
    const [answer] = await Promise.all([overview.load(), loadMeters()]);
    const now = answer && known(Date.parse(answer.now)) ? Date.parse(answer.now)
      : await fallbackNow();
    if (mine !== loads || signal.aborted) return;
    state.range = periodRange(state.period, now);
    const [start, end] = state.range;
    subtitle.textContent = `${PERIODS[state.period][0]}: ${formatTime(start)} to ` +
      `${formatTime(end)} · refreshed every minute`;
    await Promise.all([breakdown.load(), baseline.load(), savings.load(state.range),
      comfort.load(), anomalies.load()]);
  }

  async function loadMeters() {
    if (state.meters) return;
    try {
      const answer = await ctx.api.get(`${BASE}/meters`, undefined, signal);
      state.meters = answer.meters || [];
      baseline.setMeters(state.meters);
    } catch (error) {
      if (!aborted(error)) baseline.failMeters(error);
    }
  }

  /** The server's now when the overview gave none (its clock may be simulated and run
   * fast): the end of a history window of a meter's point, else of any point one may read. */
  async function fallbackNow() {
    const metered = (state.meters || []).find((m) => m.energy);
    const points = [metered?.energy, ctx.site.holderOf.keys().next().value].filter(Boolean);
    for (const point of new Set(points)) {
      try {
        return await serverNow(ctx.api, point, signal);
      } catch {
        // a tenant may not read its meter's points: try the next one
      }
    }
    return Date.now();
  }

  await refresh();
  const timer = setInterval(() => {
    if (!document.hidden) refresh();
  }, REFRESH_MS);
  signal.addEventListener("abort", () => clearInterval(timer), { once: true });
}

/** A row of radio buttons: [[key, label]], the chosen key, chose(key) on a change. */
function segmented(label, name, options, chosen, chose) {
  const group = h("div", { class: "segmented", role: "radiogroup", "aria-label": label,
    testid: `${name}-picker` });
  for (const [key, text] of options) {
    const button = h("button", { type: "button", role: "radio", testid: `${name}-${key}`,
      "aria-checked": String(key === chosen), dataset: { key } }, text);
    button.addEventListener("click", () => {
      for (const b of group.querySelectorAll("button")) {
        b.setAttribute("aria-checked", String(b === button));
      }
      chose(key);
    });
    group.append(button);
  }
  return group;
}

/** A horizontal bar, `share` (0..1) of the track; decoration beside the numbers. */
function bar(share, className = "") {
  const fill = h("span", { class: `bar ${className}`.trim() });
  fill.style.width = `${Math.max(0, Math.min(1, share)) * 100}%`;
  return h("span", { class: "bar-track", "aria-hidden": "true" }, fill);
}

// 1. The figures of now.

class Overview {
  constructor(ctx, signal) {
    this.ctx = ctx;
    this.signal = signal;
    this.body = h("div", { testid: "energy-overview-body" },
      h("p", { class: "muted" }, "Loading…"));
    this.el = section("Now", "energy-overview", this.body);
  }

  /** The overview, or null when it could not be had (shown in its place). */
  async load() {
    try {
      const o = await this.ctx.api.get(`${BASE}/overview`, undefined, this.signal);
      this.body.replaceChildren(cards(o));
      return o;
    } catch (error) {
      if (!aborted(error)) this.body.replaceChildren(problem(error, "energy-overview-error"));
      return null;
    }
  }
}

function card(key, label, value, detail) {
  const empty = value === NO_DATA;
  return h("div", { class: "kpi", testid: `energy-card-${key}`, dataset: { empty: String(empty) } },
    h("span", {}, label),
    h("strong", { class: empty ? "no-data" : null, testid: `energy-card-${key}-value` }, value),
    detail ? h("span", { class: "detail" }, detail) : null);
}

function cards(o) {
  const s = o.savings || {};
  const c = o.comfort || {};
  const a = o.anomalies || {};
  const control = o.control || null;
  const saving = known(s.saving_pct)
    ? `${formatNumber(s.saving_pct)} %${known(s.uncertainty_pct)
      ? ` ± ${formatNumber(s.uncertainty_pct)} %` : ""}`
    : NO_DATA;
  const strategies = control && Array.isArray(control.strategies) ? control.strategies : [];
  const commands = strategies.reduce((n, x) => n + (known(x.commands) ? x.commands : 0), 0);
  return h("div", { class: "kpis energy-kpis" },
    card("power", "Power now", amount(o.power_kw, "kW")),
    card("today", "Today", amount(o.today_kwh, "kWh")),
    card("week", "Last 7 days", amount(o.week_kwh, "kWh")),
    card("peak", "Peak demand today", amount(o.peak_today_kw, "kW")),
    card("eui", "Energy use intensity", amount(o.eui_kwh_m2_a, "kWh/m²·a")),
    card("savings", "Savings against baseline", saving,
      known(s.avoided_kwh) ? `${formatNumber(s.avoided_kwh)} kWh avoided` : null),
    card("comfort", "Occupied time outside comfort", percent(c.share_outside_pct),
      `mean PPD ${percent(c.mean_ppd)}`),
    card("anomalies", "Active anomalies", known(a.active) ? String(a.active) : NO_DATA,
      `${amount(a.waste_kwh, "kWh")} wasted · ${amount(a.cost, a.currency || "")}`),
    control ? card("control", "Automatic control", control.enabled ? "on" : "off",
      `${strategies.filter((x) => x.enabled).length} of ` +
      `${counted(strategies.length, "strategy", "strategies")} on · ` +
      plural(commands, "command")) : null);
}

// 2. Consumption by system, floor or tenant over the period.

class Breakdown {
  constructor(ctx, state, signal, remember) {
    this.ctx = ctx;
    this.state = state;
    this.signal = signal;
    this.loads = 0;
    this.body = h("div", { testid: "breakdown-body" }, h("p", { class: "muted" }, "Loading…"));
    const picker = segmented("Group by", "by", Object.entries(GROUPINGS), state.by, (key) => {
      state.by = key;
      remember();
      this.load();
    });
    this.el = section("Consumption", "energy-breakdown",
      h("div", { class: "toolbar section-tools" }, picker), this.body);
  }

  async load() {
    const mine = ++this.loads;
    const { by, range } = this.state;
    if (!range) return;
    try {
      const answer = await this.ctx.api.get(`${BASE}/consumption`,
        { start: iso(range[0]), end: iso(range[1]), by }, this.signal);
      if (mine === this.loads) this.show(answer);
    } catch (error) {
      if (mine === this.loads && !aborted(error)) {
        this.body.replaceChildren(problem(error, "breakdown-error"));
      }
    }
  }

  label(group) {
    const by = this.state.by;
    if (by === "floor") return this.ctx.site.get(group)?.name || group;
    if (by === "tenant") return this.ctx.site.tenantName(group);
    return SYSTEMS[group] || group.replaceAll("_", " ");
  }

  show(answer) {
    const rows = Object.entries(answer.kwh || {}).filter(([, kwh]) => known(kwh))
      .sort((a, b) => b[1] - a[1]);
    this.body.dataset.by = answer.by || this.state.by;
    if (!rows.length) {
      this.body.replaceChildren(h("p", { class: "muted", testid: "breakdown-empty" },
        `No consumption metered by ${GROUPINGS[this.state.by].toLowerCase()} yet ` +
        "for this period."));
      return;
    }
    const sum = rows.reduce((n, [, kwh]) => n + kwh, 0);
    const most = rows[0][1] || 1;
    const heading = GROUPINGS[this.state.by];
    const table = h("table", { class: "compact bars", testid: "breakdown-bars" },
      h("caption", { class: "sr-only" }, `Consumption by ${heading.toLowerCase()}`),
      h("thead", {}, h("tr", {}, h("th", { scope: "col" }, heading),
        h("th", { scope: "col", class: "num" }, "Energy"),
        h("th", { scope: "col" }, "Share"))),
      h("tbody", {}, rows.map(([group, kwh]) => h("tr",
        { testid: `bar-${group}`, dataset: { group, kwh: String(kwh) } },
        h("th", { scope: "row" }, this.label(group)),
        td(`${formatNumber(kwh)} kWh`, "num nowrap"),
        h("td", { class: "bar-cell" }, bar(kwh / most),
          h("span", { class: "small muted" }, sum > 0 ? `${formatNumber(100 * kwh / sum)} %`
            : ""))))));
    const notes = [`Total ${formatNumber(sum)} kWh`];
    if (known(answer.eui_kwh_m2_a)) {
      notes.push(`energy use intensity ${formatNumber(answer.eui_kwh_m2_a)} kWh/m²·a`);
    }
    this.body.replaceChildren(h("div", { class: "table-wrap" }, table),
      h("p", { class: "muted small", testid: "breakdown-total" }, notes.join(" · ")));
  }
}

// 3. A meter's baseline against its actual use, hour by hour.

class Baseline {
  constructor(ctx, state, signal, remember) {
    this.ctx = ctx;
    this.state = state;
    this.signal = signal;
    this.loads = 0;
    this.zoom = null; // [start, end] ms while the user has dragged across the chart
    this.select = h("select", { id: "baseline-meter", testid: "baseline-meter", disabled: true },
      h("option", {}, "Loading…"));
    this.select.addEventListener("change", () => {
      state.meter = this.select.value;
      this.zoom = null;
      remember();
      this.load();
    });
    this.reset = h("button", { type: "button", class: "small", testid: "baseline-unzoom",
      hidden: true }, "Whole period");
    this.reset.addEventListener("click", () => {
      this.zoom = null;
      this.draw();
    });
    this.chart = new LineChart({ signal, onZoom: (start, end) => {
      this.zoom = [start, end];
      this.draw();
    } });
    this.chart.el.hidden = true;
    this.series = [];
    this.model = h("div", { testid: "baseline-model" });
    this.status = h("div", { testid: "baseline-status" });
    this.legend = h("ul", { class: "series-legend inline-legend" },
      [["Actual", PALETTE[0]], ["Baseline", PALETTE[1]]].map(([name, color]) => {
        const swatch = h("span", { class: "swatch line", "aria-hidden": "true" });
        swatch.style.background = color;
        return h("li", {}, swatch, name);
      }));
    this.legend.hidden = true;
    this.el = section("Baseline and actual", "energy-baseline",
      h("div", { class: "toolbar section-tools" },
        h("label", { for: "baseline-meter" }, "Meter"), this.select, this.reset),
      this.status, this.legend, this.chart.el, this.model);
  }

  setMeters(meters) {
    const metered = meters.filter((m) => m.energy);
    const main = metered.find((m) => m.brick === MAIN_METER && !m.parent)
      || metered.find((m) => !m.parent) || metered[0];
    if (!metered.some((m) => m.id === this.state.meter)) this.state.meter = main ? main.id : "";
    this.select.replaceChildren(...metered.map((m) => h("option",
      { value: m.id, selected: m.id === this.state.meter }, m.name || m.id)));
    this.select.disabled = metered.length === 0;
    if (!metered.length) this.select.append(h("option", {}, "No meter with an energy point"));
  }

  failMeters(error) {
    this.status.replaceChildren(problem(error, "baseline-meters-error"));
  }

  async load() {
    const mine = ++this.loads;
    const { meter, range } = this.state;
    if (!range) return;
    if (!meter) {
      if (this.state.meters) {
        this.status.replaceChildren(h("p", { class: "muted" }, "No meter to show."));
      }
      return;
    }
    try {
      const answer = await this.ctx.api.get(`${BASE}/baseline`,
        { meter, start: iso(range[0]), end: iso(range[1]) }, this.signal);
      if (mine === this.loads) this.show(answer);
    } catch (error) {
      if (mine !== this.loads || aborted(error)) return;
      this.status.replaceChildren(problem(error, "baseline-error"));
      this.chart.el.hidden = true;
      this.legend.hidden = true;
      this.model.replaceChildren();
    }
  }

  show(answer) {
    const hours = Array.isArray(answer.hours) ? answer.hours : [];
    const values = (key) => hours.map((x) => {
      const v = known(x[key]) ? x[key] : null;
      return { t: Date.parse(x.hour), v, value: v };
    }).filter((p) => known(p.t));
    const point = (id, name) => ({ id, name, unit: "kWh", kind: "number" });
    this.series = [
      { point: point("actual", "Actual"), color: PALETTE[0], values: values("actual"),
        gapMs: 1.5 * HOUR_MS },
      { point: point("baseline", "Baseline"), color: PALETTE[1], values: values("baseline"),
        gapMs: 1.5 * HOUR_MS },
    ];
    const any = this.series.some((s) => s.values.some((p) => p.v !== null));
    this.chart.el.hidden = !any;
    this.legend.hidden = !any;
    this.status.replaceChildren(any ? h("p", { class: "muted small" },
      "kWh per hour. Drag across the chart to zoom in.")
      : h("p", { class: "muted", testid: "baseline-empty" },
        `No hourly values for this meter in the period: ${NO_DATA}.`));
    if (any) this.draw();
    this.model.replaceChildren(modelFacts(answer.model));
  }

  draw() {
    const [start, end] = this.zoom || this.state.range;
    this.reset.hidden = !this.zoom;
    this.chart.set(start, end, this.series);
  }
}

function modelFacts(model) {
  if (!model) {
    return h("p", { class: "muted", testid: "baseline-none" },
      "No baseline model for this meter yet: it needs more metered history.");
  }
  const meets = Boolean(model.meets_guideline_14);
  const verdict = h("span", { class: `badge ${meets ? "q-good" : "q-bad"}`,
    testid: "baseline-g14", dataset: { meets: String(meets) } },
  meets ? `meets ${GUIDELINE_14}` : `does not meet ${GUIDELINE_14}`);
  return h("div", {},
    h("h3", {}, "Baseline model"),
    facts([
      [GUIDELINE_14, verdict],
      ["CV(RMSE), hourly", `${percent(model.cv_rmse_hourly)} (at most 30 %)`],
      ["NMBE, hourly", `${signedPercent(model.nmbe_hourly)} (within ±10 %)`],
      ["CV(RMSE), monthly", `${percent(model.cv_rmse_monthly)} (at most 15 %)`],
      ["NMBE, monthly", `${signedPercent(model.nmbe_monthly)} (within ±5 %)`],
      ["R²", known(model.r2) ? formatNumber(model.r2) : NO_DATA],
      ["Fitted on", `${plural(model.n ?? 0, "hour")}, ${plural(model.p ?? 0, "parameter")}`],
      ["Training period", model.start && model.end
        ? `${formatTime(model.start)} to ${formatTime(model.end)}` : ""],
    ], "baseline-facts"));
}

// 4. Savings: baseline against actual per day, with their uncertainty.

class Savings {
  constructor(ctx, signal) {
    this.ctx = ctx;
    this.signal = signal;
    this.loads = 0;
    this.body = h("div", { testid: "savings-body" }, h("p", { class: "muted" }, "Loading…"));
    this.el = section("Savings", "energy-savings", this.body);
  }

  async load([start, end]) {
    const mine = ++this.loads;
    try {
      const answer = await this.ctx.api.get(`${BASE}/savings`,
        { start: iso(start), end: iso(end) }, this.signal);
      if (mine === this.loads) this.body.replaceChildren(...savingsParts(answer));
    } catch (error) {
      if (mine !== this.loads || aborted(error)) return;
      this.body.replaceChildren(error && error.status === 409
        ? h("p", { class: "notice", testid: "savings-none" },
          error.detail || "No baseline to measure savings against yet.")
        : problem(error, "savings-error"));
    }
  }
}

function savingsParts(s) {
  const confidence = known(s.confidence) ? `${formatNumber(s.confidence * 100)} %` : "";
  const saving = known(s.saving_pct) ? `${formatNumber(s.saving_pct)} %` : NO_DATA;
  const spread = known(s.uncertainty_pct) ? ` ± ${formatNumber(s.uncertainty_pct)} %` : "";
  const headline = h("p", { class: "savings-headline", testid: "savings-headline" },
    h("strong", { class: "big" }, `${saving}${known(s.saving_pct) ? spread : ""}`), " ",
    h("span", { class: "muted" }, [
      known(s.avoided_kwh) ? `${formatNumber(s.avoided_kwh)} kWh avoided` : "",
      known(s.uncertainty_kwh) ? ` ± ${formatNumber(s.uncertainty_kwh)} kWh` : "",
      confidence ? `, at ${confidence} confidence` : "",
    ].join("")));
  const days = Array.isArray(s.days) ? s.days : [];
  const most = Math.max(1e-9, ...days.flatMap((d) => [d.baseline_kwh, d.actual_kwh])
    .filter(known));
  const perDay = days.length
    ? dataTable(["Day", "Baseline", "Actual", "Avoided", "Baseline and actual"], days, (d) => {
      const avoided = known(d.baseline_kwh) && known(d.actual_kwh)
        ? d.baseline_kwh - d.actual_kwh : null;
      return [
        h("th", { scope: "row", class: "nowrap" }, d.day),
        td(amount(d.baseline_kwh, "kWh"), "num nowrap"),
        td(amount(d.actual_kwh, "kWh"), "num nowrap"),
        td(amount(avoided, "kWh"), "num nowrap"),
        h("td", { class: "bar-cell pair" }, bar((d.baseline_kwh || 0) / most, "baseline"),
          bar((d.actual_kwh || 0) / most)),
      ];
    }, (d) => ({ testid: `savings-day-${d.day}` }), "compact bars")
    : h("p", { class: "muted" }, `No whole day compared yet: ${NO_DATA}.`);
  return [headline,
    facts([["Baseline", amount(s.baseline_kwh, "kWh")], ["Actual", amount(s.actual_kwh, "kWh")],
      ["Avoided", amount(s.avoided_kwh, "kWh")],
      ["Hours compared", known(s.hours) ? String(s.hours) : NO_DATA]], "savings-facts"),
    h("h3", {}, "Per day"), days.length ? barLegend() : null, perDay];
}

function barLegend() {
  return h("ul", { class: "series-legend inline-legend small", "aria-hidden": "true" },
    [["baseline", "baseline"], ["actual", "actual"]].map(([key, label]) => h("li", {},
      h("span", { class: `swatch line bar-${key}` }), label)));
}

// 5. Comfort room by room, on each floor's plan (rooms without a polygon as tiles).

class Comfort {
  constructor(ctx, signal) {
    this.ctx = ctx;
    this.signal = signal;
    this.key = ""; // the floors and spaces drawn, to redraw only when they change
    this.rooms = new Map(); // space id -> paint(space)
    this.summary = h("p", { testid: "comfort-summary" });
    this.info = h("div", { class: "room-info comfort-info", testid: "comfort-info",
      "aria-live": "polite" }, h("p", { class: "muted" }, "Point at a room to see its comfort."));
    this.floors = h("div", { class: "comfort-floors", testid: "comfort-floors" },
      h("p", { class: "muted" }, "Loading…"));
    this.status = h("div");
    this.legend = legend({ label: "Comfort", legend: Object.values(COMFORT) });
    this.legend.classList.add("inline-legend");
    this.layout = h("div", { class: "plan-layout" }, this.floors, this.info);
    this.el = section("Comfort", "energy-comfort", this.status, this.summary, this.legend,
      this.layout);
  }

  async load() {
    try {
      const answer = await this.ctx.api.get(`${BASE}/comfort`, undefined, this.signal);
      this.status.replaceChildren();
      this.show(answer);
    } catch (error) {
      if (aborted(error)) return;
      this.status.replaceChildren(problem(error, "comfort-error"));
      const drawn = this.key !== "";
      for (const part of [this.summary, this.legend, this.layout]) part.hidden = !drawn;
    }
  }

  show(answer) {
    const spaces = Array.isArray(answer.spaces) ? answer.spaces : [];
    const summary = answer.summary || {};
    for (const part of [this.summary, this.legend, this.layout]) part.hidden = false;
    this.summary.textContent = `Occupied time outside the comfort band: ` +
      `${percent(summary.share_outside_pct)}; mean PPD: ${percent(summary.mean_ppd)}.`;
    const key = spaces.map((s) => `${s.floor}/${s.space}`).join(",");
    if (key !== this.key) this.build(spaces);
    this.key = key;
    for (const space of spaces) this.rooms.get(space.space)?.(space);
  }

  /** The floors' plans and tiles, top floor first, as on the building page. */
  build(spaces) {
    this.rooms = new Map();
    const order = this.ctx.site.buildings().flatMap((b) => this.ctx.site.floors(b.id))
      .map((f) => f.id);
    const byFloor = new Map();
    for (const s of spaces) {
      if (!byFloor.has(s.floor)) byFloor.set(s.floor, []);
      byFloor.get(s.floor).push(s);
    }
    const rank = (id) => (order.includes(id) ? order.indexOf(id) : order.length);
    const floors = [...byFloor.keys()].sort((a, b) => rank(a) - rank(b));
    if (!floors.length) {
      this.floors.replaceChildren(h("p", { class: "muted", testid: "comfort-empty" },
        `No room is rated yet: ${NO_DATA}.`));
      return;
    }
    this.floors.replaceChildren(...floors.map((f) => this.floor(f, byFloor.get(f))));
  }

  floor(floorId, spaces) {
    const site = this.ctx.site;
    const entity = (s) => site.get(s.space);
    const drawn = spaces.filter((s) => {
      const polygon = entity(s)?.node.polygon;
      return Array.isArray(polygon) && polygon.length >= 3;
    });
    const tiled = spaces.filter((s) => !drawn.includes(s));
    const byId = new Map(spaces.map((s) => [s.space, s]));
    const open = (space) => this.ctx.navigate(routeHref("space", space.id));
    const hover = (space) => {
      if (space) this.showInfo(byId.get(space.id));
    };
    const plan = drawn.length ? new FloorPlan(drawn.map(entity), { open, hover }) : null;
    if (plan) {
      plan.el.setAttribute("aria-label", `Comfort on ${site.get(floorId)?.name || floorId}`);
      plan.el.setAttribute("data-testid", `comfort-plan-${floorId}`);
      for (const s of drawn) {
        this.rooms.set(s.space, (now) => {
          byId.set(now.space, now);
          const [cls] = COMFORT[now.class] || COMFORT.unknown;
          plan.show(now.space, { cls, label: shortLabel(now) });
          const room = plan.rooms.get(now.space);
          room.room.setAttribute("aria-label", longLabel(now));
          room.title.textContent = longLabel(now);
          room.room.dataset.comfort = now.class;
        });
      }
    }
    const tiles = tiled.map((s) => {
      const tile = h("a", { class: "tile", href: routeHref("space", s.space),
        testid: `comfort-tile-${s.space}`, dataset: { space: s.space } });
      tile.addEventListener("mouseenter", () => this.showInfo(byId.get(s.space)));
      tile.addEventListener("focus", () => this.showInfo(byId.get(s.space)));
      this.rooms.set(s.space, (now) => {
        byId.set(now.space, now);
        const [cls, label] = COMFORT[now.class] || COMFORT.unknown;
        tile.className = `tile ${cls}`;
        tile.dataset.band = cls;
        tile.dataset.comfort = now.class;
        tile.title = longLabel(now);
        tile.replaceChildren(h("strong", {}, now.name || s.space), h("span", {}, label),
          h("span", { class: "small" }, readings(now)));
      });
      return tile;
    });
    return h("div", { class: "comfort-floor", testid: `comfort-floor-${floorId}` },
      h("h3", {}, site.get(floorId)?.name || floorId || "Elsewhere"),
      plan ? h("div", { class: "plan-box" }, plan.el) : null,
      tiles.length ? h("div", { class: "tiles" }, tiles) : null);
  }

  showInfo(space) {
    if (!space) return;
    const [, label] = COMFORT[space.class] || COMFORT.unknown;
    this.info.replaceChildren(
      h("h3", { class: "small-heading" }, space.name || space.space),
      facts([["Comfort", label],
        ["PMV", known(space.pmv) ? signed(space.pmv) : NO_DATA],
        ["PPD", percent(space.ppd)],
        ["Air quality", known(space.iaq)
          ? `${formatNumber(space.iaq)}${space.iaq_category ? ` (${space.iaq_category})` : ""}`
          : NO_DATA],
        ["Occupied", amount(space.hours_occupied, "h")],
        ["Outside comfort", amount(space.hours_outside, "h")]], "comfort-info-facts"));
  }
}

/** PMV, PPD and air quality as far as known: ["PMV +0.4", "PPD 8 %", "IAQ 42"]. */
function readingParts(s) {
  const parts = [];
  if (known(s.pmv)) parts.push(`PMV ${signed(s.pmv)}`);
  if (known(s.ppd)) parts.push(`PPD ${formatNumber(s.ppd)} %`);
  if (known(s.iaq)) parts.push(`IAQ ${formatNumber(s.iaq)}`);
  else if (s.iaq_category) parts.push(`IAQ ${s.iaq_category}`);
  return parts;
}

function readings(s) {
  return readingParts(s).join(" · ") || NO_DATA;
}

/** What fits in a room of the plan. */
function shortLabel(s) {
  if (known(s.pmv)) return `PMV ${signed(s.pmv)}`;
  if (s.iaq_category) return `IAQ ${s.iaq_category}`;
  return (COMFORT[s.class] || COMFORT.unknown)[1];
}

/** All of it, for the room's tooltip and what a screen reader says. */
function longLabel(s) {
  const parts = [(COMFORT[s.class] || COMFORT.unknown)[1], ...readingParts(s)];
  if (known(s.hours_outside) && s.hours_occupied > 0) {
    parts.push(`${formatNumber(s.hours_outside)} of ${formatNumber(s.hours_occupied)} ` +
      "occupied hours outside comfort");
  }
  return `${s.name || s.space}: ${[...new Set(parts)].join("; ")}`;
}

// 6. The anomalies found.

class Anomalies {
  constructor(ctx, state, signal) {
    this.ctx = ctx;
    this.state = state;
    this.signal = signal;
    this.body = h("div", { testid: "anomalies-body" }, h("p", { class: "muted" }, "Loading…"));
    this.el = section("Anomalies", "energy-anomalies", this.body);
  }

  async load() {
    try {
      const list = await this.ctx.api.get(`${BASE}/anomalies`, undefined, this.signal);
      this.show(Array.isArray(list) ? list : []);
    } catch (error) {
      if (!aborted(error)) this.body.replaceChildren(problem(error, "anomalies-error"));
    }
  }

  subject(id) {
    const entity = this.ctx.site.get(id);
    if (entity) return h("a", { href: entityRoute(entity) }, entity.name);
    const meter = (this.state.meters || []).find((m) => m.id === id);
    return meter ? meter.name || id : id;
  }

  show(list) {
    const sorted = [...list].sort((a, b) => Number(Boolean(b.ongoing)) - Number(Boolean(a.ongoing))
      || Date.parse(b.start) - Date.parse(a.start));
    this.body.dataset.count = String(sorted.length);
    if (!sorted.length) {
      this.body.replaceChildren(h("p", { class: "muted", testid: "anomalies-none" },
        "No anomalies found."));
      return;
    }
    this.body.replaceChildren(
      h("p", { class: "muted small" },
        `${counted(sorted.length, "anomaly", "anomalies")}, ongoing first.`),
      dataTable(["Kind", "Subject", "Period", "Waste", "Cost", "Message", "Ongoing"], sorted,
        (a) => [
          td(ANOMALY_KINDS[a.kind] || String(a.kind || "").replaceAll("_", " ")),
          td(this.subject(a.subject)),
          td(a.ongoing ? `since ${formatTime(a.start)}`
            : `${formatTime(a.start)} to ${formatTime(a.end)}`, "small"),
          td(amount(a.waste_kwh, "kWh"), "num nowrap"),
          td(amount(a.cost, a.currency || ""), "num nowrap"),
          td(a.message || ""),
          td(a.ongoing ? h("span", { class: "badge p-high" }, "ongoing")
            : h("span", { class: "muted" }, "ended")),
        ],
        (a) => ({ testid: `anomaly-${a.kind}-${a.subject}-${a.start}`,
          dataset: { kind: a.kind, subject: a.subject, ongoing: String(Boolean(a.ongoing)) } })));
  }
}
