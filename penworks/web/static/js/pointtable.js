// Tables of points with their live values: a room's, an equipment's. Each row links to the
// point's page; writable points get a Command button (the server decides who may).

import { openCommandDialog } from "./command.js";
import { h } from "./dom.js";
import { brickLabel, formatTime, formatValue, unitLabel } from "./format.js";
import { entityRoute } from "./model.js";
import { qualityBadge } from "./widgets.js";

const LONGEST = 40; // characters of a text value shown in a table (all of it in the title)

/** A live value cell's content, kept in step with the newest observation. */
export class ValueCell {
  constructor(point, testid = `value-${point.id}`) {
    this.point = point;
    this.ts = null;
    this.el = h("span", { class: "value", testid, dataset: { point: point.id } }, "—");
  }

  /** Show a sample ({ts, value, quality}); older samples than the shown one are ignored. */
  set(sample, flash = true) {
    if (!sample || sample.ts === null || sample.ts === undefined) return false;
    if (this.ts && Date.parse(this.ts) > Date.parse(sample.ts)) return false;
    this.ts = sample.ts;
    this.el.textContent = formatValue(sample.value, LONGEST);
    this.el.dataset.value = JSON.stringify(sample.value);
    this.el.dataset.quality = sample.quality || "";
    this.el.dataset.ts = sample.ts;
    this.el.title = typeof sample.value === "string" && sample.value.length > LONGEST
      ? sample.value : formatTime(sample.ts);
    if (flash) {
      this.el.classList.remove("flash");
      void this.el.offsetWidth; // restart the animation
      this.el.classList.add("flash");
    }
    return true;
  }
}

function row(ctx, point, sample) {
  const value = new ValueCell(point);
  const quality = h("td", { class: "quality" }, qualityBadge(null, `quality-${point.id}`));
  const when = h("td", { class: "when muted small", testid: `ts-${point.id}` });
  const tr = h("tr", { testid: `point-${point.id}` },
    h("th", { scope: "row" },
      h("a", { href: `#/point/${encodeURIComponent(point.id)}`, testid: `point-link-${point.id}` },
        point.name || point.id),
      h("div", { class: "muted small mono" }, point.id)),
    h("td", { class: "brick small" }, brickLabel(point.brick)),
    h("td", { class: "num" }, value.el),
    h("td", { class: "unit" }, unitLabel(point.unit)),
    quality, when,
    h("td", { class: "act" }, commandButton(ctx, point)));
  const update = (s, flash) => {
    if (!value.set(s, flash)) return;
    quality.replaceChildren(qualityBadge(s.quality, `quality-${point.id}`));
    tr.dataset.quality = s.quality;
    when.textContent = formatTime(s.ts);
  };
  if (sample) update(sample, false);
  return { tr, update, when, value };
}

export function commandButton(ctx, point, label = "Command") {
  if (!point.writable || !ctx.may("command")) return null;
  return h("button", { type: "button", class: "small", testid: `command-open-${point.id}`,
    onclick: () => openCommandDialog(ctx, point) }, label);
}

function table(rows) {
  return h("div", { class: "table-wrap" }, h("table", { class: "points" },
    h("thead", {}, h("tr", {},
      h("th", { scope: "col" }, "Point"), h("th", { scope: "col" }, "Class"),
      h("th", { scope: "col", class: "num" }, "Value"), h("th", { scope: "col" }, "Unit"),
      h("th", { scope: "col" }, "Quality"), h("th", { scope: "col" }, "Updated"),
      h("th", { scope: "col" }, h("span", { class: "sr-only" }, "Actions")))),
    h("tbody", {}, rows.map((r) => r.tr))));
}

/**
 * The points within an entity, one table per holder (the entity first, then its equipment),
 * with live values until `signal` aborts.
 */
export async function pointTables(ctx, entityId, signal) {
  const [points, latest] = await Promise.all([
    ctx.api.allPages("/api/points", { within: entityId }, signal),
    ctx.api.get("/api/latest", { within: entityId }, signal),
  ]);
  return tablesOf(ctx, points, latest.items, signal, entityId);
}

function tablesOf(ctx, points, samples, signal, entityId) {
  const sampleOf = new Map(samples.filter((s) => s.ts).map((s) => [s.point, s]));
  const byHolder = new Map();
  for (const p of points) {
    if (!byHolder.has(p.holder)) byHolder.set(p.holder, []);
    byHolder.get(p.holder).push(p);
  }
  const rows = new Map();
  const sections = [];
  const order = entityId ? [...ctx.site.within(entityId)].map((e) => e.id) : [];
  for (const holder of [...order, ...byHolder.keys()]) {
    const list = byHolder.get(holder);
    if (!list) continue;
    byHolder.delete(holder);
    const built = list.map((p) => row(ctx, p, sampleOf.get(p.id)));
    built.forEach((r, i) => rows.set(list[i].id, r));
    sections.push(h("section", { class: "point-group", testid: `points-of-${holder}` },
      holderHeading(ctx, holder, entityId), table(built)));
  }
  ctx.live.watch({ points: [...rows.keys()] },
    { observation: (item) => rows.get(item.point)?.update(item, true) }, signal);
  const el = h("div", { class: "point-tables" },
    sections.length ? sections : h("p", { class: "muted" }, "No points here."));
  return { el, points, rows };
}

function holderHeading(ctx, holder, entityId) {
  const entity = ctx.site.get(holder);
  if (!entity) return h("h3", {}, holder);
  const title = entity.id === entityId ? `Points of ${entity.name}`
    : h("a", { href: entityRoute(entity), testid: `equipment-link-${entity.id}` }, entity.name);
  return h("h3", {}, title, " ", h("span", { class: "muted small" }, brickLabel(entity.brick)));
}

/** Tables of a few points named by id (a building's or a floor's own points). */
export async function pointTablesOf(ctx, ids, signal, entityId = null) {
  const points = await Promise.all(
    ids.map((id) => ctx.api.get(`/api/points/${encodeURIComponent(id)}`, undefined, signal)),
  );
  const samples = await Promise.all(ids.map((id) => ctx.api
    .get(`/api/points/${encodeURIComponent(id)}/latest`, undefined, signal)
    .catch((error) => {
      if (error && error.status === 404) return null; // no value yet
      throw error;
    })));
  return tablesOf(ctx, points, samples.filter(Boolean), signal, entityId);
}
