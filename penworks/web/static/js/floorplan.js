// A floor plan drawn from the spaces' polygons (metres, floor coordinates, y pointing north):
// one focusable shape per room, coloured by a layer class, labelled with its name and value.

import { h, svg } from "./dom.js";

const MARGIN = 1; // metres around the drawing
const CHAR = 0.58; // a character's width, as a share of the font size
const VALUE_CHARS = 9;

function bounds(spaces) {
  const xs = [];
  const ys = [];
  for (const s of spaces) for (const [x, y] of s.node.polygon) { xs.push(x); ys.push(y); }
  return {
    minX: Math.min(...xs), maxX: Math.max(...xs), minY: Math.min(...ys), maxY: Math.max(...ys),
  };
}

/** The area-weighted centre of a polygon (its vertex mean when it has no area). */
export function centroid(points) {
  let area = 0;
  let cx = 0;
  let cy = 0;
  points.forEach(([x0, y0], i) => {
    const [x1, y1] = points[(i + 1) % points.length];
    const cross = x0 * y1 - x1 * y0;
    area += cross;
    cx += (x0 + x1) * cross;
    cy += (y0 + y1) * cross;
  });
  if (Math.abs(area) < 1e-9) {
    const n = points.length;
    return [points.reduce((a, p) => a + p[0], 0) / n, points.reduce((a, p) => a + p[1], 0) / n];
  }
  return [cx / (3 * area), cy / (3 * area)];
}

function fit(text, width, height, largest) {
  return Math.min(largest, width / Math.max(1, text.length * CHAR), height / 3);
}

/**
 * The plan of `spaces` (those with a polygon). open(space) is called on click or Enter;
 * hover(space|null) as the pointer or focus moves.
 */
export class FloorPlan {
  constructor(spaces, { open, hover }) {
    this.rooms = new Map();
    const box = bounds(spaces);
    const width = box.maxX - box.minX + 2 * MARGIN;
    const height = box.maxY - box.minY + 2 * MARGIN;
    const X = (x) => x - box.minX + MARGIN;
    const Y = (y) => box.maxY - y + MARGIN; // north up: floor y grows upwards, SVG y downwards
    this.el = svg("svg", { class: "plan", viewBox: `0 0 ${width} ${height}`, role: "group",
      "aria-label": "Floor plan", testid: "floor-plan" });
    for (const space of spaces) {
      const points = space.node.polygon;
      const xs = points.map((p) => X(p[0]));
      const ys = points.map((p) => Y(p[1]));
      const [cx, cy] = centroid(points);
      const w = Math.max(...xs) - Math.min(...xs);
      const hgt = Math.max(...ys) - Math.min(...ys);
      // The value line ("21.5 °C", "12 people") is about VALUE_CHARS long: both lines must fit.
      const fits = (text) => fit(text.padEnd(VALUE_CHARS), w * 0.9, hgt, 1.2);
      const name = fits(space.name) >= 0.55 ? space.name : space.node.local_id;
      const size = Math.max(0.35, fits(name));
      const title = svg("title", {}, space.name);
      const nameText = svg("text", { x: X(cx), y: Y(cy) - size * 0.2, class: "room-name",
        "font-size": size }, name);
      const valueText = svg("text", { x: X(cx), y: Y(cy) + size * 1.1, class: "room-value",
        "font-size": size * 0.9, testid: `room-label-${space.id}` }, "");
      const room = svg("g", { class: "room none", tabindex: 0, role: "link",
        testid: `room-${space.id}`, dataset: { space: space.id } },
        title,
        svg("polygon", { points: points.map((p) => `${X(p[0])},${Y(p[1])}`).join(" ") }),
        nameText, valueText);
      room.addEventListener("click", () => open(space));
      room.addEventListener("keydown", (event) => {
        if (event.key === "Enter" || event.key === " ") {
          event.preventDefault();
          open(space);
        }
      });
      for (const [type, arg] of [["mouseenter", space], ["focus", space], ["mouseleave", null],
        ["blur", null]]) {
        room.addEventListener(type, () => hover(arg));
      }
      this.el.append(room);
      this.rooms.set(space.id, { room, title, valueText, space });
    }
  }

  /** Colour and label one room: shown = { cls, label }. */
  show(spaceId, shown) {
    const entry = this.rooms.get(spaceId);
    if (!entry) return;
    entry.room.setAttribute("class", `room ${shown.cls}`);
    entry.room.dataset.band = shown.cls;
    entry.room.dataset.label = shown.label;
    entry.room.setAttribute("aria-label", `${entry.space.name}: ${shown.label}`);
    entry.title.textContent = `${entry.space.name}: ${shown.label}`;
    entry.valueText.textContent = shown.label;
  }
}

/** The legend of a layer: a swatch and a label per class. */
export function legend(layer) {
  return h("ul", { class: "legend", testid: "legend", "aria-label": `${layer.label} legend` },
    layer.legend.map(([cls, label]) => h("li", { dataset: { band: cls } },
      h("span", { class: `swatch ${cls}`, "aria-hidden": "true" }), label)));
}
