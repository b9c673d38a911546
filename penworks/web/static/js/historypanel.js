// A point's history on its page: the chart over a range (1 h ... 30 d) or a dragged window,
// other points added to compare, live values extending the latest window. Its state is kept
// in the page's address (?range=6h&compare=<id>,<id>) so a reload shows the same chart.

import { axisKey, LineChart, PALETTE } from "./chart.js";
import { h } from "./dom.js";
import { formatTime, formatValue, plural, unitLabel } from "./format.js";
import { loadSeries, RANGES, serverNow, toSample } from "./history.js";
import { dataTable, section, td } from "./widgets.js";

const MAX_SERIES = PALETTE.length;
const REDRAW_MS = 1000; // live values are drawn at most this often
// Many points report on change only, so samples far apart are normal; only a silence of
// this share of the window breaks the line.
const GAP_SHARE = 4;

function pointPath(id) {
  return `/api/points/${encodeURIComponent(id)}`;
}

function pointName(point) {
  return point.name || point.id;
}

export class HistoryPanel {
  constructor(ctx, point, query, signal) {
    this.ctx = ctx;
    this.point = point;
    this.signal = signal;
    this.range = RANGES.find((r) => r[0] === query.get("range")) || RANGES[0];
    this.start = 0;
    this.end = 0;
    this.live = true; // the window ends now and follows new values
    this.series = [this.#series(point)];
    this.loads = 0;
    this.unwatch = null;
    this.redraw = null;
    this.chart = new LineChart({ signal, onZoom: (start, end) => this.zoom(start, end) });
    this.status = h("p", { class: "muted small", testid: "chart-status", role: "status" });
    this.legend = h("ul", { class: "series-legend", testid: "series-legend" });
    this.problem = h("p", { class: "form-error", role: "alert", testid: "compare-error",
      hidden: true });
    this.rangeButtons = RANGES.map((range) => h("button", { type: "button",
      testid: `range-${range[0]}`, title: range[1], onclick: () => this.pick(range) }, range[0]));
    this.#markRange();
    this.el = section("History", "history-section",
      h("div", { class: "toolbar" },
        h("div", { class: "segmented", role: "group", "aria-label": "Range" }, this.rangeButtons),
        h("button", { type: "button", testid: "chart-zoom-out", onclick: () => this.zoomOut() },
          "Zoom out"),
        h("button", { type: "button", testid: "chart-reset", onclick: () => this.reset() },
          "Reset")),
      h("p", { class: "muted small" }, "Drag across the chart to zoom in."),
      this.chart.el, this.status, this.legend, this.#compareForm(), this.problem);
    const compared = (query.get("compare") || "").split(",").filter(Boolean);
    this.ready = this.#start(compared);
  }

  async #start(compared) {
    for (const other of compared) await this.add(other, false);
    this.#watch();
    await this.reset();
  }

  #series(point) {
    return { point, color: PALETTE[this.series ? this.series.length : 0], values: [], gapMs: 0 };
  }

  pick(range) {
    this.range = range;
    this.#markRange();
    return this.reset();
  }

  #markRange() {
    for (const button of this.rangeButtons) {
      const chosen = button.dataset.testid === `range-${this.range[0]}`;
      button.setAttribute("aria-pressed", String(chosen));
    }
  }

  /** Back to the chosen range, ending now. */
  async reset() {
    this.end = await this.#now();
    this.start = this.end - this.range[2] * 1000;
    this.live = true;
    this.#keepAddress();
    return this.load();
  }

  zoom(start, end) {
    this.start = start;
    this.end = end;
    this.live = false;
    return this.load();
  }

  async zoomOut() {
    const span = this.end - this.start;
    const end = Math.min(await this.#now(), this.end + span / 2);
    return this.zoom(end - span * 2, end);
  }

  /** The server's now, not the browser's: a demo's simulated time may run ahead. */
  async #now() {
    try {
      return await serverNow(this.ctx.api, this.point.id, this.signal);
    } catch {
      return Date.now();
    }
  }

  async load() {
    const seq = ++this.loads;
    const [start, end] = [new Date(this.start), new Date(this.end)];
    this.status.textContent = "Loading…";
    this.chart.el.dataset.loading = "true";
    try {
      const answers = await Promise.all(this.series.map((s) =>
        loadSeries(this.ctx.api, s.point, start, end, this.signal)));
      if (seq !== this.loads) return;
      answers.forEach((answer, i) => {
        this.series[i].values = answer.values;
        this.series[i].gapMs = (this.end - this.start) / GAP_SHARE;
      });
      const first = answers[0];
      const agg = first.agg === "raw" ? "raw values" : `${first.agg} per ${first.intervalS} s`;
      this.status.textContent = `${formatTime(start)} to ${formatTime(end)} · ${agg} · ` +
        (this.live ? "live" : "zoomed");
      this.status.dataset.agg = first.agg;
      this.chart.set(this.start, this.end, this.series);
      this.#showLegend();
    } catch (error) {
      if (error && error.name === "AbortError") return;
      this.status.textContent = error && error.title ? `${error.title}: ${error.detail}`
        : String(error);
    } finally {
      if (seq === this.loads) this.chart.el.dataset.loading = "false";
    }
  }

  /** Add a point to compare; false (and a message) when it cannot be. */
  async add(otherId, andLoad = true) {
    this.problem.hidden = true;
    const refuse = (text) => {
      this.problem.textContent = text;
      this.problem.hidden = false;
      return false;
    };
    if (!otherId) return false;
    if (this.series.some((s) => s.point.id === otherId)) {
      return refuse("That point is in the chart already.");
    }
    if (this.series.length >= MAX_SERIES) {
      return refuse(`A chart shows at most ${MAX_SERIES} points.`);
    }
    let other;
    try {
      other = await this.ctx.api.get(pointPath(otherId), undefined, this.signal);
    } catch (error) {
      return refuse(error && error.status === 404 ? `No point ${otherId}.` : String(error.message));
    }
    if (other.kind === "text") return refuse("Text points have no chart.");
    const axes = new Set([...this.series.map(axisKey), axisKey({ point: other })]);
    if (axes.size > 2) return refuse("A chart shows at most two units; remove a point first.");
    this.series.push(this.#series(other));
    this.#keepAddress();
    if (andLoad) {
      this.#watch();
      await this.load();
    }
    return true;
  }

  remove(series) {
    this.series = this.series.filter((s) => s !== series);
    this.series.forEach((s, i) => {
      s.color = PALETTE[i];
    });
    this.#keepAddress();
    this.#watch();
    this.chart.set(this.start, this.end, this.series);
    this.#showLegend();
  }

  #keepAddress() {
    const params = new URLSearchParams({ range: this.range[0] });
    const compared = this.series.slice(1).map((s) => s.point.id);
    if (compared.length) params.set("compare", compared.join(","));
    history.replaceState(null, "", `#/point/${encodeURIComponent(this.point.id)}?${params}`);
  }

  #showLegend() {
    this.legend.replaceChildren(...this.series.map((s, i) => {
      const swatch = h("span", { class: "swatch line", "aria-hidden": "true" });
      swatch.style.background = s.color;
      const remove = i === 0 ? null : h("button", { type: "button", class: "small quiet",
        testid: `remove-series-${s.point.id}`, "aria-label": `Remove ${pointName(s.point)}`,
        onclick: () => this.remove(s) }, "Remove");
      return h("li", { testid: `legend-${s.point.id}` }, swatch,
        h("a", { href: `#/point/${encodeURIComponent(s.point.id)}` }, pointName(s.point)),
        h("span", { class: "muted small" },
          ` ${unitLabel(axisKey(s))} · ${plural(s.values.length, "value")}`),
        remove);
    }));
  }

  // Live: new values of every series extend the chart while it shows the latest window.
  #watch() {
    if (this.unwatch) this.unwatch();
    const ids = this.series.map((s) => s.point.id);
    this.unwatch = this.ctx.live.watch({ points: ids },
      { observation: (item) => this.#append(item) }, this.signal);
  }

  #append(item) {
    const series = this.series.find((s) => s.point.id === item.point);
    const sample = toSample(item);
    if (!this.live || !series || sample.v === null) return;
    const last = series.values.at(-1);
    if (last && last.t >= sample.t) return;
    series.values.push(sample);
    clearTimeout(this.redraw);
    this.redraw = setTimeout(() => {
      const span = this.end - this.start;
      this.end = Math.max(this.end, ...this.series.map((s) => s.values.at(-1)?.t || 0));
      this.start = this.end - span;
      this.chart.set(this.start, this.end, this.series);
    }, REDRAW_MS);
  }

  #compareForm() {
    const input = h("input", { list: "compare-options", id: "compare-input",
      testid: "compare-input", placeholder: "point id, e.g. a setpoint", autocomplete: "off" });
    const options = h("datalist", { id: "compare-options" });
    input.addEventListener("focus", () => this.#suggest(options), { once: true });
    return h("form", { class: "inline-form", testid: "compare-form",
      onsubmit: async (event) => {
        event.preventDefault();
        if (await this.add(input.value.trim())) input.value = "";
      } },
    h("label", { for: "compare-input" }, "Compare with"), input, options,
    h("button", { type: "submit", testid: "compare-add" }, "Add"));
  }

  /** Suggest the points near this one (any id may still be typed). */
  async #suggest(datalist) {
    try {
      const near = await this.ctx.api.allPages("/api/points", { within: this.point.location },
        this.signal);
      datalist.replaceChildren(...near
        .filter((p) => p.id !== this.point.id && p.kind !== "text")
        .map((p) => h("option", { value: p.id },
          `${pointName(p)} (${unitLabel(p.unit) || p.kind})`)));
    } catch {
      // Suggestions only.
    }
  }
}

/** The recent values of a text point (which has no chart), newest first. */
export async function recentValues(ctx, point, signal) {
  const end = new Date();
  const start = new Date(end - 24 * 3600e3);
  const series = await loadSeries(ctx.api, point, start, end, signal);
  const shown = series.values.slice(-50).reverse();
  return section("Recent values (24 hours)", "recent-values", shown.length
    ? dataTable(["When", "Value", "Quality"], shown,
      (s) => [td(formatTime(s.t), "small nowrap"), td(formatValue(s.value)), td(s.quality)])
    : h("p", { class: "muted" }, "No values in the last 24 hours."));
}
