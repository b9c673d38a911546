// #/building/<id>: the floors of a building, top floor first, each with a sketch of its plan;
// the building's own equipment and points.

import { h, PageProblem, routeHref, svg } from "../dom.js";
import { brickLabel, plural } from "../format.js";
import { STANDING } from "../layers.js";
import { entityRoute } from "../model.js";
import { pointTablesOf } from "../pointtable.js";
import { listAlarms } from "../rooms.js";
import { breadcrumbs, facts, pageHead, section } from "../widgets.js";

export async function render(ctx, { id, signal }, root) {
  const building = ctx.site.get(id);
  if (!building || building.kind !== "building") {
    throw new PageProblem("Unknown building", `no building ${id} is visible to you`);
  }
  const alarms = (await listAlarms(ctx, signal)).filter((a) => STANDING.has(a.state));
  const floors = ctx.site.floors(id);
  root.append(
    breadcrumbs(ctx.site, id),
    pageHead(building.name, brickLabel(building.brick)),
    facts([["Area", building.node.area_m2 ? `${building.node.area_m2} m²` : ""],
      ["Floors", String(floors.length)]]),
    section("Floors", "floors",
      h("ol", { class: "floors" }, floors.map((f) => floorRow(ctx, f, alarms)))));
  const equipment = ctx.site.equipment(id);
  if (equipment.length) root.append(equipmentList(equipment));
  if (building.points.length) {
    root.append(section("Points of the building", "building-points",
      (await pointTablesOf(ctx, building.points, signal, id)).el));
  }
}

function floorRow(ctx, floor, alarms) {
  const spaces = ctx.site.spaces(floor.id);
  const standing = alarms.filter((a) => a.point
    && ctx.site.nearest(ctx.site.holderOf.get(a.point) || "", "floor")?.id === floor.id);
  return h("li", { class: "floor-row", testid: `floor-${floor.id}` },
    h("a", { href: routeHref("floor", floor.id), class: "floor-link",
      testid: `floor-link-${floor.id}` },
      sketch(spaces),
      h("span", { class: "floor-name" }, floor.name),
      h("span", { class: "muted small" },
        ` level ${floor.node.level ?? "?"} · ${plural(spaces.length, "room")}`),
      standing.length
        ? h("span", { class: "badge p-high" }, plural(standing.length, "alarm")) : null));
}

/** A small plan of a floor's rooms, for recognising it, not for reading it. */
function sketch(spaces) {
  const drawn = spaces.filter((s) => s.node.polygon && s.node.polygon.length >= 3);
  if (!drawn.length) return h("span", { class: "sketch empty", "aria-hidden": "true" });
  const xs = drawn.flatMap((s) => s.node.polygon.map((p) => p[0]));
  const ys = drawn.flatMap((s) => s.node.polygon.map((p) => p[1]));
  const [minX, maxX] = [Math.min(...xs), Math.max(...xs)];
  const [minY, maxY] = [Math.min(...ys), Math.max(...ys)];
  const box = `${minX - 0.5} ${-maxY - 0.5} ${maxX - minX + 1} ${maxY - minY + 1}`;
  const outline = (s) => s.node.polygon.map(([x, y]) => `${x},${-y}`).join(" "); // north up
  return svg("svg", { class: "sketch", viewBox: box, "aria-hidden": "true" },
    drawn.map((s) => svg("polygon", { points: outline(s) })));
}

export function equipmentList(equipment) {
  return section("Equipment", "equipment-list",
    h("ul", { class: "link-list" }, equipment.map((e) => h("li", {},
      h("a", { href: entityRoute(e), testid: `equipment-link-${e.id}` }, e.name),
      h("span", { class: "muted small" }, ` ${brickLabel(e.brick)}`)))));
}
