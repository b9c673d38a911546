// #/space/<id>: a room: what it is, its climate, occupancy and alarms at a glance (live), the
// equipment that serves it, and every point within it with its live value.

import { h, PageProblem } from "../dom.js";
import { brickLabel, formatTime, STATE_LABELS } from "../format.js";
import { LAYERS, STANDING } from "../layers.js";
import { entityRoute } from "../model.js";
import { pointTables } from "../pointtable.js";
import { followRooms } from "../rooms.js";
import { breadcrumbs, facts, pageHead, priorityBadge, section } from "../widgets.js";

export async function render(ctx, { id, signal }, root) {
  const space = ctx.site.get(id);
  if (!space || space.kind !== "space") {
    throw new PageProblem("Unknown room", `no room ${id} is visible to you`);
  }
  const tiles = new Map(Object.entries(LAYERS).map(([key, def]) => [key, tile(key, def.label)]));
  const alarmList = h("div", { testid: "room-alarms" });
  let rooms = null;
  const update = () => {
    if (!rooms) return;
    const room = rooms.rooms.get(id);
    for (const [key, t] of tiles) {
      const shown = room.evaluate(key);
      t.el.className = `tile ${shown.cls}`;
      t.el.dataset.band = shown.cls;
      t.value.textContent = shown.label;
    }
    showAlarms(alarmList, room.alarms);
  };
  rooms = await followRooms(ctx, id, [space], signal, update);
  const tables = await pointTables(ctx, id, signal);
  const fedBy = (space.node.fed_by || []).map((e) => ctx.site.get(e)).filter(Boolean);

  root.append(
    breadcrumbs(ctx.site, id),
    pageHead(space.name, brickLabel(space.brick)),
    facts([["Tenant", ctx.site.tenantName(space.node.tenant)],
      ["Area", space.node.area_m2 ? `${space.node.area_m2} m²` : ""],
      ["Served by", fedBy.length ? h("span", {}, fedBy.flatMap((e, i) => [i ? ", " : "",
        h("a", { href: entityRoute(e), testid: `fed-by-${e.id}` }, e.name)])) : ""],
      ["Id", h("span", { class: "mono" }, space.id)]], "room-facts"),
    h("div", { class: "tiles", testid: "room-tiles" }, [...tiles.values()].map((t) => t.el)),
    section("Alarms in this room", "room-alarms-section", alarmList),
    section("Points", "room-points", tables.el));
  update();
}

function tile(key, label) {
  const value = h("strong", { testid: `tile-value-${key}` }, "—");
  const el = h("div", { class: "tile none", testid: `tile-${key}` }, h("span", {}, label), value);
  return { el, value };
}

function showAlarms(box, alarms) {
  const shown = alarms
    .filter((a) => STANDING.has(a.state) || a.state === "shelved" || a.state === "suppressed")
    .sort((a, b) => a.id.localeCompare(b.id));
  if (!shown.length) {
    box.replaceChildren(h("p", { class: "muted" }, "No alarms."));
    return;
  }
  box.replaceChildren(h("ul", { class: "link-list" }, shown.map((a) => h("li", {},
    priorityBadge(a.priority), " ",
    h("a", { href: `#/alarms?alarm=${encodeURIComponent(a.id)}` }, a.message || a.id),
    h("span", { class: "muted small" }, ` ${STATE_LABELS[a.state] || a.state} since ` +
      formatTime(a.state_since))))));
}

