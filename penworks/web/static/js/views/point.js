// #/point/<id>?range=6h&compare=<id>,<id> : a point: what it is, its live value, its history
// chart (zoom, compare), its priority array and, for writable points, the command dialog.

import { openCommandDialog } from "../command.js";
import { h } from "../dom.js";
import { brickLabel, formatTime, formatValue, unitLabel } from "../format.js";
import { HistoryPanel, recentValues } from "../historypanel.js";
import { entityRoute } from "../model.js";
import { ValueCell } from "../pointtable.js";
import { PriorityArray } from "../priority.js";
import { breadcrumbs, facts, pageHead, qualityBadge, section } from "../widgets.js";

function pointPath(id) {
  return `/api/points/${encodeURIComponent(id)}`;
}

export async function render(ctx, { id, query, signal }, root) {
  const point = await ctx.api.get(pointPath(id), undefined, signal);
  const holder = ctx.site.get(point.holder);
  const location = ctx.site.get(point.location);
  const value = new ValueCell(point);
  const quality = h("span", { testid: `quality-${point.id}` }, qualityBadge(null));
  const when = h("span", { class: "muted small", testid: `ts-${point.id}` });
  const showSample = (s, flash) => {
    if (!value.set(s, flash)) return;
    quality.replaceChildren(qualityBadge(s.quality));
    quality.dataset.quality = s.quality;
    when.textContent = formatTime(s.ts);
  };
  try {
    showSample(await ctx.api.get(`${pointPath(id)}/latest`, undefined, signal), false);
  } catch (error) {
    if (error.status !== 404) throw error; // 404: no value yet
  }

  const priority = point.writable ? new PriorityArray(ctx, point, () => reload()) : null;
  const reload = () => priority.load(signal);
  const commandButton = point.writable && ctx.may("command")
    ? h("button", { type: "button", class: "primary", testid: "command-open",
      onclick: () => openCommandDialog(ctx, point, reload) }, "Command…")
    : null;
  const link = (entity, testid) => h("a", { href: entityRoute(entity), testid }, entity.name);

  root.append(
    breadcrumbs(ctx.site, point.holder, point.name || point.id),
    pageHead(point.name || point.id, brickLabel(point.brick), commandButton),
    h("div", { class: "live-value", testid: "point-live" },
      h("span", { class: "big" }, value.el), " ",
      h("span", { class: "unit" }, unitLabel(point.unit)), " ", quality, " ", when),
    facts([
      ["Id", h("span", { class: "mono" }, point.id)],
      ["Kind", point.kind + (point.writable ? ", writable" : ", read only")],
      ["Unit", unitLabel(point.unit)],
      ["Range", point.min !== null || point.max !== null
        ? `${formatValue(point.min)} to ${formatValue(point.max)}` : ""],
      ["Belongs to", holder ? link(holder, "point-holder") : point.holder],
      ["In", location && location.id !== point.holder ? link(location, "point-location") : ""],
      ["Tenant", ctx.site.tenantName(point.tenant)],
    ], "point-facts"));

  const history = point.kind === "text" ? null : new HistoryPanel(ctx, point, query, signal);
  root.append(history ? history.el : await recentValues(ctx, point, signal));
  if (priority) {
    root.append(section("Priority array", "priority-section", priority.el));
    await priority.load(signal);
  }
  ctx.live.watch({ points: [point.id] }, {
    observation: (item) => showSample(item, true),
  }, signal);
  if (history) await history.ready;
}
