// #/ : the site: its buildings and their floors, and the alarms standing now.

import { h, routeHref } from "../dom.js";
import { plural, PRIORITY_NAMES } from "../format.js";
import { STANDING } from "../layers.js";
import { listAlarms } from "../rooms.js";
import { pageHead, priorityBadge, section } from "../widgets.js";

export async function render(ctx, { signal }, root) {
  const site = ctx.site;
  const alarms = (await listAlarms(ctx, signal)).filter((a) => STANDING.has(a.state));
  const tenants = ctx.session.user.tenant ? null
    : [...site.tenants.values()].join(", ");
  root.append(
    pageHead(site.site.name, [site.site.timezone, tenants].filter(Boolean).join(" · ")),
    h("div", { class: "grid" },
      ...site.buildings().map((b) => buildingCard(ctx, b, alarms)),
      alarmSummary(alarms)));
}

function buildingCard(ctx, building, alarms) {
  const floors = ctx.site.floors(building.id);
  return h("article", { class: "panel card", testid: `building-${building.id}` },
    h("h2", {}, h("a", { href: routeHref("building", building.id),
      testid: `building-link-${building.id}` }, building.name)),
    building.node.area_m2 ? h("p", { class: "muted" }, `${building.node.area_m2} m²`) : null,
    h("ul", { class: "floor-list" }, floors.map((f) => {
      const standing = alarms.filter((a) => a.point && ctx.site.nearest(
        ctx.site.holderOf.get(a.point) || "", "floor")?.id === f.id).length;
      return h("li", {},
        h("a", { href: routeHref("floor", f.id), testid: `floor-link-${f.id}` }, f.name),
        h("span", { class: "muted small" }, ` ${plural(ctx.site.spaces(f.id).length, "room")}`),
        standing ? h("span", { class: "badge p-high", title: "standing alarms" }, String(standing))
          : null);
    })));
}

function alarmSummary(alarms) {
  const counts = PRIORITY_NAMES.map((p) => [p, alarms.filter((a) => a.priority === p).length]);
  return section("Alarms now", "site-alarms",
    alarms.length === 0 ? h("p", { class: "muted" }, "No standing alarms.")
      : h("ul", { class: "counts" }, counts.filter(([, n]) => n).map(([p, n]) =>
        h("li", {}, priorityBadge(p), ` ${n}`))),
    h("p", {}, h("a", { href: "#/alarms", testid: "site-alarm-console" },
      "Open the alarm console")));
}
