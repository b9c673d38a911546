// #/system : how the platform is doing: connectors and their devices (online, degraded,
// offline), the ingest rate (from the health report's counters, sampled here over time),
// the bus queues, and the dead letters with their reasons.

import { fill, h, svg } from "../dom.js";
import { formatDuration, formatNumber, formatTime } from "../format.js";
import { dataTable, pageHead, section, td } from "../widgets.js";

const POLL_MS = 5000;
const KEEP = 60; // rate samples shown (5 minutes at 5 s)
const STATES = ["online", "degraded", "offline"];

export async function render(ctx, { signal }, root) {
  const boxes = {
    health: h("div", { testid: "health" }),
    connectors: h("div", { testid: "connectors" }),
    devices: h("div", { testid: "devices" }),
    ingest: h("div", { testid: "ingest" }),
    bus: h("div", { testid: "bus" }),
    letters: h("div", { testid: "deadletters" }),
  };
  const rate = new IngestRate();

  async function poll() {
    const [health, devices, counts] = await Promise.all([
      ctx.api.get("/api/health", undefined, signal),
      ctx.api.get("/api/devices", undefined, signal),
      ctx.api.get("/api/deadletters/counts", undefined, signal),
    ]);
    const components = health.components || {};
    rate.sample(components.history);
    fill(boxes.health, healthBanner(health));
    fill(boxes.connectors, connectorTable(devices));
    fill(boxes.devices, deviceTable(devices));
    fill(boxes.ingest, ingest(components.history, rate.samples));
    fill(boxes.bus, busTable(components.bus || []));
    fill(boxes.letters, letterTable(counts));
  }

  root.append(
    pageHead("System", "Connectors, devices, ingest and dead letters; updated every 5 s."),
    boxes.health,
    h("div", { class: "grid two" },
      section("Connectors", "connectors-section", boxes.connectors),
      section("Ingest", "ingest-section", boxes.ingest)),
    section("Devices", "devices-section", boxes.devices),
    section("Dead letters", "deadletters-section", boxes.letters),
    section("Bus queues", "bus-section", boxes.bus));
  await poll();
  const timer = setInterval(() => poll().catch(() => {}), POLL_MS);
  signal.addEventListener("abort", () => clearInterval(timer));
}

/** Observations written per second, from the history writer's counter between two polls. */
class IngestRate {
  constructor() {
    this.samples = [];
    this.previous = null;
  }

  sample(writer) {
    if (!writer || typeof writer.observations !== "number") return;
    const now = Date.now();
    const last = this.previous;
    if (last && now > last.at) {
      const perSecond = (writer.observations - last.count) / ((now - last.at) / 1000);
      this.samples.push({ t: now, v: Math.max(0, perSecond) });
      if (this.samples.length > KEEP) this.samples.shift();
    }
    this.previous = { at: now, count: writer.observations };
  }
}

function stateBadge(state) {
  return h("span", { class: `badge d-${state}`, dataset: { state } }, state);
}

function healthBanner(health) {
  const ok = health.status === "ok";
  return h("div", { class: `banner health-${health.status}`, testid: "health-status",
    dataset: { status: health.status } },
  h("strong", {}, ok ? "All parts running" : "Degraded: some part is offline"),
  ` · ${health.site.name} · version ${health.version} · up ${formatDuration(health.uptime_s)}`);
}

function connectorTable(devices) {
  const by = new Map();
  for (const d of devices) {
    if (!by.has(d.connector)) by.set(d.connector, { online: 0, degraded: 0, offline: 0 });
    by.get(d.connector)[d.state] += 1;
  }
  if (!by.size) return h("p", { class: "muted" }, "No connector reports devices.");
  const worst = (n) => STATES.findLast((s) => n[s] > 0) || "online";
  const count = (n, state) => td(n[state] && state !== "online"
    ? [stateBadge(state), ` ${n[state]}`] : String(n[state]), "num");
  return dataTable(["Connector", "Online", "Degraded", "Offline"], [...by.entries()].sort(),
    ([name, n]) => [h("th", { scope: "row" }, name), ...STATES.map((s) => count(n, s))],
    ([name, n]) => ({ testid: `connector-${name}`, dataset: { state: worst(n) } }));
}

function deviceTable(devices) {
  if (!devices.length) return h("p", { class: "muted" }, "No devices.");
  return dataTable(
    ["State", "Connector", "Device", "Last contact", "Errors", "Latency", "Detail"], devices,
    (d) => [td(stateBadge(d.state)), td(d.connector), td(d.device, "mono small"),
      td(d.last_contact ? formatTime(d.last_contact) : "never", "small nowrap"),
      td(String(d.errors), "num"),
      td(d.latency_ms === null ? "" : `${formatNumber(d.latency_ms)} ms`, "num"),
      td(d.detail, "small")],
    (d) => ({ testid: `device-${d.connector}-${d.device}`, dataset: { state: d.state } }));
}

function ingest(writer, rates) {
  if (!writer) return h("p", { class: "muted" }, "The health report has no history writer.");
  const rate = rates.length ? rates.at(-1).v : null;
  const counters = [["Observations", writer.observations], ["New rows", writer.new_rows],
    ["Dead letters", writer.dead_letters], ["Queued", writer.queued],
    ["Failures", writer.failures]];
  return [
    h("p", {}, h("strong", { class: "big", testid: "ingest-rate",
      dataset: { rate: rate === null ? "" : String(rate) } },
    rate === null ? "…" : formatNumber(Math.round(rate * 10) / 10)), " observations/s"),
    sparkline(rates),
    h("dl", { class: "facts", testid: "ingest-counters" },
      counters.flatMap(([label, value]) => [h("dt", {}, label), h("dd", {}, String(value))]),
      h("dt", {}, "Last write"),
      h("dd", {}, writer.last_write ? formatTime(writer.last_write) : "never")),
  ];
}

function sparkline(rates) {
  const width = 300;
  const height = 48;
  if (rates.length < 2) {
    return h("p", { class: "muted small" }, "The rate's chart appears after a few samples.");
  }
  const high = Math.max(1, ...rates.map((r) => r.v));
  const t0 = rates[0].t;
  const span = Math.max(1, rates.at(-1).t - t0);
  const d = rates.map((r, i) => `${i ? "L" : "M"}${((r.t - t0) / span * width).toFixed(1)},` +
    `${(height - (r.v / high) * (height - 4) - 2).toFixed(1)}`).join("");
  return svg("svg", { class: "sparkline", viewBox: `0 0 ${width} ${height}`, role: "img",
    "aria-label": `Ingest rate, last ${rates.length} samples, at most ${formatNumber(high)}/s` },
  svg("path", { d }));
}

function busTable(queues) {
  if (!queues.length) return h("p", { class: "muted" }, "No queues reported.");
  return dataTable(["Subscriber", "Pattern", "Depth", "Delivered", "Dropped"], queues,
    (q) => [h("th", { scope: "row" }, q.name), td(q.pattern, "mono small"),
      td(`${q.depth} / ${q.maxsize}`, "num"), td(String(q.delivered), "num"),
      td(String(q.dropped), q.dropped ? "num warn" : "num")],
    (q) => ({ testid: `queue-${q.name}` }));
}

function letterTable(counts) {
  if (!counts.length) {
    return h("p", { class: "muted", testid: "deadletters-none" }, "No dead letters.");
  }
  return dataTable(["Source", "Channel", "Reason", "Count", "Newest"], counts,
    (c) => [td(c.source), td(c.channel, "mono small"), td(c.reason), td(String(c.count), "num"),
      td(formatTime(c.last_ts), "small nowrap")],
    (c) => ({ testid: `deadletter-${c.source}-${c.channel}`, dataset: { reason: c.reason } }));
}
