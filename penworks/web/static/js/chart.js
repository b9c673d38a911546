// A small SVG line chart of time series: a time axis, a value axis per unit (two at most:
// left and right), drag to zoom, a readout of the values under the pointer.

import { h, svg } from "./dom.js";
import { formatAxisTime, formatNumber, formatTime, formatValue, unitLabel } from "./format.js";

export const PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf"];
const HEIGHT = 300;
const PAD = { top: 22, right: 56, bottom: 28, left: 56 };
const MIN_DRAG_PX = 6;
const MARKERS_UP_TO = 60; // samples in view: few enough to mark each one
const TIME_STEPS_S = [1, 5, 10, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600,
  43200, 86400, 2 * 86400, 7 * 86400];

/** Tick values at 1, 2 or 5 times a power of ten, about `count` of them over [low, high]. */
export function niceTicks(low, high, count = 5) {
  if (!(high > low)) return [low];
  const raw = (high - low) / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw);
  const ticks = [];
  for (let v = Math.ceil(low / step) * step; v <= high + step * 1e-9; v += step) {
    ticks.push(Number(v.toFixed(10)));
  }
  return ticks;
}

function timeTicks(start, end, width) {
  const wanted = Math.max(2, Math.floor(width / 110));
  const spanS = (end - start) / 1000;
  const step = (TIME_STEPS_S.find((s) => spanS / s <= wanted) || TIME_STEPS_S.at(-1)) * 1000;
  const ticks = [];
  for (let t = Math.ceil(start / step) * step; t <= end; t += step) ticks.push(t);
  return ticks;
}

/** The axis key of a series: its unit, or on/off for a bool. */
export function axisKey(series) {
  return series.point.kind === "bool" ? "on/off" : series.point.unit || "";
}

function extent(seriesList, start, end) {
  let low = Infinity;
  let high = -Infinity;
  for (const s of seriesList) {
    for (const p of s.values) {
      if (p.v === null || p.t < start || p.t > end) continue;
      low = Math.min(low, p.v);
      high = Math.max(high, p.v);
    }
  }
  if (low === Infinity) return [0, 1];
  if (low === high) return [low - 1, high + 1];
  const pad = (high - low) * 0.06;
  return [low - pad, high + pad];
}

export class LineChart {
  /** onZoom(start ms, end ms) when the user drags across the plot; until `signal` aborts. */
  constructor({ onZoom, signal }) {
    this.onZoom = onZoom;
    this.series = []; // { point, color, values: [{t, v, value}], gapMs }
    this.start = 0;
    this.end = 1;
    this.svg = svg("svg", { class: "chart", height: HEIGHT, role: "img", testid: "chart" });
    this.readout = h("div", { class: "readout small", testid: "chart-readout" });
    this.el = h("div", { class: "chart-box" }, this.svg, this.readout);
    this.width = 800;
    const resized = new ResizeObserver(() => this.#resize());
    resized.observe(this.el);
    signal.addEventListener("abort", () => resized.disconnect(), { once: true });
  }

  /** Show `series` over [start, end] (ms). */
  set(start, end, series) {
    this.start = start;
    this.end = end;
    this.series = series;
    if (this.dragging) this.pending = true; // redrawing now would drop the drag
    else this.draw();
  }

  #resize() {
    const width = Math.round(this.el.clientWidth);
    if (width > 0 && width !== this.width) {
      this.width = width;
      this.draw();
    }
  }

  #axes() {
    const keys = [...new Set(this.series.map(axisKey))].slice(0, 2);
    return keys.map((key, i) => {
      const members = this.series.filter((s) => axisKey(s) === key);
      const [low, high] = key === "on/off" ? [-0.1, 1.1] : extent(members, this.start, this.end);
      return { key, side: i === 0 ? "left" : "right", low, high };
    });
  }

  draw() {
    const width = Math.max(320, this.width);
    const plotW = width - PAD.left - PAD.right;
    const plotH = HEIGHT - PAD.top - PAD.bottom;
    const x = (t) => PAD.left + ((t - this.start) / (this.end - this.start)) * plotW;
    const axes = this.#axes();
    const yOf = (axis) => (v) => PAD.top + (1 - (v - axis.low) / (axis.high - axis.low)) * plotH;
    this.svg.setAttribute("viewBox", `0 0 ${width} ${HEIGHT}`);
    this.svg.setAttribute("width", width);
    const names = this.series.map((s) => s.point.name || s.point.id);
    this.svg.setAttribute("aria-label", `Chart of ${names.join(", ")}`);
    const parts = [];
    for (const t of timeTicks(this.start, this.end, plotW)) {
      parts.push(
        svg("line", { class: "gridline", x1: x(t), x2: x(t), y1: PAD.top, y2: PAD.top + plotH }),
        svg("text", { class: "tick", x: x(t), y: HEIGHT - 8, "text-anchor": "middle" },
          formatAxisTime(t, this.end - this.start)));
    }
    for (const axis of axes) parts.push(...this.#valueAxis(axis, yOf(axis), plotW, plotH));
    for (const series of this.series) {
      const axis = axes.find((a) => a.key === axisKey(series));
      if (axis) parts.push(...this.#line(series, x, yOf(axis)));
    }
    this.plot = svg("rect", { class: "plot", x: PAD.left, y: PAD.top, width: plotW, height: plotH,
      testid: "chart-plot" });
    this.band = svg("rect", { class: "zoom-band", y: PAD.top, height: plotH, width: 0,
      visibility: "hidden" });
    this.cursor = svg("line", { class: "cursor", y1: PAD.top, y2: PAD.top + plotH,
      visibility: "hidden" });
    parts.push(this.band, this.cursor, this.plot);
    this.svg.replaceChildren(...parts);
    this.#interact(plotW);
  }

  #valueAxis(axis, y, plotW, plotH) {
    const left = axis.side === "left";
    const at = left ? PAD.left : PAD.left + plotW;
    const out = [svg("line", { class: "axis", x1: at, x2: at, y1: PAD.top, y2: PAD.top + plotH })];
    const ticks = axis.key === "on/off" ? [0, 1] : niceTicks(axis.low, axis.high);
    for (const v of ticks) {
      if (left) {
        out.push(svg("line", { class: "gridline", x1: PAD.left, x2: PAD.left + plotW,
          y1: y(v), y2: y(v) }));
      }
      const label = axis.key === "on/off" ? (v ? "on" : "off") : formatNumber(v);
      out.push(svg("text", { class: "tick", x: left ? at - 6 : at + 6, y: y(v) + 4,
        "text-anchor": left ? "end" : "start" }, label));
    }
    out.push(svg("text", { class: "unit-label", x: left ? 4 : PAD.left + plotW + PAD.right - 4,
      y: PAD.top - 10, "text-anchor": left ? "start" : "end" }, unitLabel(axis.key)));
    return out;
  }

  #line(series, x, y) {
    const step = series.point.kind === "bool";
    let d = "";
    let last = null;
    for (const p of series.values) {
      if (p.v === null) continue;
      const gap = last && series.gapMs && p.t - last.t > series.gapMs;
      if (!last || gap) d += `M${x(p.t).toFixed(1)},${y(p.v).toFixed(1)}`;
      else if (step) d += `H${x(p.t).toFixed(1)}V${y(p.v).toFixed(1)}`;
      else d += `L${x(p.t).toFixed(1)},${y(p.v).toFixed(1)}`;
      last = p;
    }
    if (step && last && last.t < this.end) d += `H${x(this.end).toFixed(1)}`;
    const path = svg("path", { class: "series", d, stroke: series.color,
      testid: `series-${series.point.id}`, dataset: { count: String(series.values.length) } });
    const shown = series.values.filter((p) => p.v !== null && p.t >= this.start && p.t <= this.end);
    if (shown.length > MARKERS_UP_TO) return [path];
    return [path, ...shown.map((p) => svg("circle", { class: "marker", cx: x(p.t).toFixed(1),
      cy: y(p.v).toFixed(1), r: 2.5, fill: series.color }))];
  }

  #interact(plotW) {
    const toTime = (event) => {
      const box = this.svg.getBoundingClientRect();
      const px = ((event.clientX - box.left) / box.width) * this.svg.viewBox.baseVal.width;
      const clamped = Math.min(Math.max(px, PAD.left), PAD.left + plotW);
      const share = (clamped - PAD.left) / plotW;
      return { px: clamped, t: this.start + share * (this.end - this.start) };
    };
    let from = null;
    this.plot.addEventListener("pointerdown", (event) => {
      from = toTime(event);
      this.dragging = true;
      this.plot.setPointerCapture(event.pointerId);
    });
    this.plot.addEventListener("pointermove", (event) => {
      const at = toTime(event);
      this.#showCursor(at);
      if (!from) return;
      this.band.setAttribute("x", Math.min(from.px, at.px));
      this.band.setAttribute("width", Math.abs(at.px - from.px));
      this.band.setAttribute("visibility", "visible");
    });
    this.plot.addEventListener("pointerup", (event) => {
      const at = toTime(event);
      const start = from;
      from = null;
      this.dragging = false;
      this.band.setAttribute("visibility", "hidden");
      if (start && Math.abs(at.px - start.px) >= MIN_DRAG_PX) {
        this.onZoom(Math.min(start.t, at.t), Math.max(start.t, at.t));
      } else if (this.pending) {
        this.pending = false;
        this.draw();
      }
    });
    this.plot.addEventListener("pointerleave", () => {
      this.cursor.setAttribute("visibility", "hidden");
    });
  }

  #showCursor({ px, t }) {
    this.cursor.setAttribute("x1", px);
    this.cursor.setAttribute("x2", px);
    this.cursor.setAttribute("visibility", "visible");
    const lines = this.series.map((s) => {
      const near = nearest(s.values, t);
      const text = near ? `${formatValue(near.value)} ${unitLabel(s.point.unit)}`.trim() : "—";
      return h("span", { class: "read" }, h("span", { class: "dot" }),
        `${s.point.name || s.point.id}: ${text}`);
    });
    this.readout.replaceChildren(h("span", { class: "muted" }, formatTime(t)), ...lines);
    this.readout.querySelectorAll(".dot").forEach((dot, i) => {
      dot.style.background = this.series[i].color;
    });
  }
}

/** The sample nearest to time t (values sorted by time), or null. */
export function nearest(values, t) {
  let lo = 0;
  let hi = values.length - 1;
  if (hi < 0) return null;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (values[mid].t < t) lo = mid + 1;
    else hi = mid;
  }
  const before = values[lo - 1];
  const after = values[lo];
  if (!before) return after;
  return t - before.t <= after.t - t ? before : after;
}
