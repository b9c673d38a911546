// #/floor/<id>?layer=temperature|occupancy|comfort|alarms : the floor plan, coloured live by
// the chosen layer, with its legend; rooms without a polygon are listed beside it.

import { fill, h, PageProblem, routeHref } from "../dom.js";
import { brickLabel, formatTime, plural, PRIORITY_NAMES, STATE_LABELS } from "../format.js";
import { FloorPlan, legend } from "../floorplan.js";
import { LAYERS, STANDING } from "../layers.js";
import { pointTablesOf } from "../pointtable.js";
import { followRooms } from "../rooms.js";
import { breadcrumbs, facts, pageHead, priorityBadge, section } from "../widgets.js";
import { equipmentList } from "./building.js";

const DEFAULT_LAYER = "temperature";

export async function render(ctx, { id, query, signal }, root) {
  const floor = ctx.site.get(id);
  if (!floor || floor.kind !== "floor") {
    throw new PageProblem("Unknown floor", `no floor ${id} is visible to you`);
  }
  let layer = LAYERS[query.get("layer")] ? query.get("layer") : DEFAULT_LAYER;
  const spaces = ctx.site.spaces(id);
  const drawn = spaces.filter((s) => Array.isArray(s.node.polygon) && s.node.polygon.length >= 3);
  const undrawn = spaces.filter((s) => !drawn.includes(s));

  const info = h("div", { class: "room-info", testid: "room-info", "aria-live": "polite" },
    h("p", { class: "muted" }, "Point at a room to see it; click it to open it."));
  const open = (space) => ctx.navigate(routeHref("space", space.id));
  let rooms = new Map();
  const hover = (space) => showInfo(ctx, info, space && rooms.get(space.id));
  const plan = drawn.length ? new FloorPlan(drawn, { open, hover }) : null;
  const listed = new Map();
  const legendBox = h("div", { class: "legend-box" });
  const floodBanner = h("div", { testid: "floor-flood" });

  const floorAlarms = h("div", { testid: "floor-alarms" });
  let others = new Map();
  const paint = (spaceId) => {
    if (spaceId === null) {
      showFloorAlarms(ctx, floorAlarms, others);
      return;
    }
    const room = rooms.get(spaceId);
    if (!room) return;
    const shown = room.evaluate(layer);
    if (plan) plan.show(spaceId, shown);
    const item = listed.get(spaceId);
    if (item) paintListed(item, shown);
  };
  const paintAll = () => {
    for (const spaceId of rooms.keys()) paint(spaceId);
    paint(null);
    legendBox.replaceChildren(legend(LAYERS[layer]));
  };

  const picker = h("div", { class: "segmented", role: "radiogroup", "aria-label": "Colour by",
    testid: "layer-picker" }, Object.entries(LAYERS).map(([key, def]) => {
    const button = h("button", { type: "button", role: "radio", testid: `layer-${key}`,
      "aria-checked": String(key === layer), dataset: { layer: key } }, def.label);
    button.addEventListener("click", () => {
      layer = key;
      for (const b of picker.querySelectorAll("button")) {
        b.setAttribute("aria-checked", String(b.dataset.layer === key));
      }
      history.replaceState(null, "", `${routeHref("floor", id)}?layer=${key}`);
      paintAll();
    });
    return button;
  }));

  const side = h("aside", { class: "plan-side" }, legendBox, info);
  if (undrawn.length) {
    side.append(h("h2", { class: "small-heading" }, "Rooms not on the plan"),
      h("ul", { class: "link-list", testid: "unplanned-rooms" }, undrawn.map((s) => {
        const item = h("li", {}, h("span", { class: "swatch none", "aria-hidden": "true" }),
          h("a", { href: routeHref("space", s.id), testid: `room-${s.id}` }, s.name),
          h("span", { class: "muted small room-value" }, ""));
        listed.set(s.id, item);
        return item;
      })));
  }

  root.append(
    breadcrumbs(ctx.site, id),
    pageHead(floor.name, `Level ${floor.node.level ?? "?"} · ${plural(spaces.length, "room")}`,
      picker),
    floodBanner, floorAlarms,
    h("div", { class: "plan-layout" },
      h("div", { class: "plan-box" }, plan ? plan.el
        : h("p", { class: "muted" }, "No room of this floor has a polygon to draw.")),
      side));

  ({ rooms, others } = await followRooms(ctx, id, spaces, signal, paint));
  paintAll();
  showFloods(ctx, floodBanner, id, signal);
  const equipment = ctx.site.equipment(id);
  if (equipment.length) root.append(equipmentList(equipment));
  if (floor.points.length) {
    root.append(section("Points of the floor", "floor-points",
      (await pointTablesOf(ctx, floor.points, signal, id)).el));
  }
}

/** The floor's alarms outside its rooms (fire zone, doors, ...), standing ones only. */
function showFloorAlarms(ctx, box, alarms) {
  const standing = [...alarms.values()].filter((a) => STANDING.has(a.state))
    .sort((a, b) => PRIORITY_NAMES.indexOf(a.priority) - PRIORITY_NAMES.indexOf(b.priority));
  const item = (a) => h("li", { testid: `floor-alarm-${a.id}` },
    priorityBadge(a.priority), " ",
    h("a", { href: `#/alarms?alarm=${encodeURIComponent(a.id)}` }, a.message || a.id),
    h("span", { class: "muted small" }, ` ${STATE_LABELS[a.state] || a.state}`));
  fill(box, standing.length ? h("div", { class: "banner floor-alarm", role: "status" },
    h("strong", {}, "Alarms on this floor outside its rooms: "),
    h("ul", { class: "inline-list" }, standing.map(item))) : null);
}

function paintListed(item, shown) {
  item.querySelector(".swatch").className = `swatch ${shown.cls}`;
  item.querySelector(".room-value").textContent = ` ${shown.label}`;
  item.dataset.band = shown.cls;
}

function showInfo(ctx, box, room) {
  if (!room) return;
  const space = room.space;
  const rows = Object.entries(LAYERS).map(([key, def]) => [def.label, room.evaluate(key).label]);
  box.replaceChildren(
    h("h2", { class: "small-heading" }, space.name),
    facts([["Type", brickLabel(space.brick)],
      ["Tenant", ctx.site.tenantName(space.node.tenant)],
      ["Area", space.node.area_m2 ? `${space.node.area_m2} m²` : ""], ...rows], "room-info-facts"));
}

async function showFloods(ctx, banner, floorId, signal) {
  const refresh = async () => {
    let floods = [];
    try {
      floods = await ctx.api.get("/api/alarms/floods", undefined, signal);
    } catch {
      return;
    }
    const here = floods.filter((f) => f.area === floorId);
    banner.replaceChildren(...here.map((f) => h("div", { class: "banner flood", role: "alert" },
      `Alarm flood on this floor since ${formatTime(f.since)}: ` +
      `${plural(f.count, "alarm")}, ${f.suppressed_total} suppressed.`)));
  };
  await refresh();
  ctx.live.watch({ alarms: true }, { flood: refresh }, signal);
}
