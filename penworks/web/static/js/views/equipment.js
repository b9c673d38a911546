// #/equipment/<id>: a piece of equipment: what it is, where, what it serves, its parts, and
// its points with live values.

import { h, PageProblem } from "../dom.js";
import { brickLabel } from "../format.js";
import { entityRoute } from "../model.js";
import { pointTables } from "../pointtable.js";
import { breadcrumbs, facts, pageHead, section } from "../widgets.js";

function links(ctx, ids, testid) {
  const found = ids.map((i) => ctx.site.get(i)).filter(Boolean);
  if (!found.length) return "";
  return h("span", {}, found.flatMap((e, i) => [i ? ", " : "",
    h("a", { href: entityRoute(e), testid: `${testid}-${e.id}` }, e.name)]));
}

export async function render(ctx, { id, signal }, root) {
  const equipment = ctx.site.get(id);
  if (!equipment || equipment.kind !== "equipment") {
    throw new PageProblem("Unknown equipment", `no equipment ${id} is visible to you`);
  }
  const tables = await pointTables(ctx, id, signal);
  const place = ctx.site.get(equipment.parent);
  root.append(
    breadcrumbs(ctx.site, id),
    pageHead(equipment.name, brickLabel(equipment.brick)),
    facts([
      ["In", place
        ? h("a", { href: entityRoute(place), testid: "equipment-place" }, place.name) : ""],
      ["Tenant", ctx.site.tenantName(equipment.node.tenant)],
      ["Serves", links(ctx, equipment.node.feeds || [], "feeds")],
      ["Parts", links(ctx, (equipment.node.parts || []).map((p) => p.id), "part")],
      ["Id", h("span", { class: "mono" }, equipment.id)],
    ], "equipment-facts"),
    section("Points", "equipment-points", tables.el));
}
