// A point's priority array: the 16 levels (who wrote each, when), the effective level, the
// relinquish default and the interlocks holding the point; occupied levels can be released.

import { openCommandDialog, LEVEL_NAMES } from "./command.js";
import { fill, h } from "./dom.js";
import { formatTime, formatValue, formatWithUnit } from "./format.js";

export class PriorityArray {
  constructor(ctx, point, onCommand) {
    this.ctx = ctx;
    this.point = point;
    this.onCommand = onCommand;
    this.el = h("div", { class: "priority", testid: "priority-array" });
  }

  async load(signal) {
    try {
      const array = await this.ctx.api.get(
        `/api/points/${encodeURIComponent(this.point.id)}/priority`, undefined, signal);
      this.show(array);
    } catch (error) {
      if (error && error.name === "AbortError") return;
      this.el.replaceChildren(h("p", { class: "muted", testid: "priority-unavailable" },
        error && error.title ? `${error.title}: ${error.detail}` : String(error)));
    }
  }

  show(array) {
    const point = this.point;
    const canCommand = this.ctx.may("command") && point.writable;
    const rows = array.levels.map((entry, i) => {
      const level = i + 1;
      const effective = array.effective_priority === level;
      const release = entry && canCommand && level >= 3 ? h("button", { type: "button",
        class: "small quiet", testid: `relinquish-${level}`,
        onclick: () => openCommandDialog(this.ctx, point, this.onCommand,
          { level, relinquish: true }) }, "Release") : null;
      return h("tr", { testid: `level-${level}`, class: [entry ? "occupied" : "empty",
        effective ? "effective" : ""].join(" "), dataset: { level: String(level) } },
        h("th", { scope: "row" }, String(level),
          LEVEL_NAMES[level]
            ? h("span", { class: "muted small" }, ` ${LEVEL_NAMES[level]}`) : null),
        h("td", { class: "num" }, entry ? formatWithUnit(entry.value, point.unit) : ""),
        h("td", {}, entry ? `${entry.actor}` : "",
          entry ? h("span", { class: "muted small" }, ` (${entry.actor_kind})`) : null),
        h("td", { class: "small" }, entry ? formatTime(entry.ts) : ""),
        h("td", {}, effective ? h("span", { class: "badge effective-badge" }, "in effect") : null,
          release));
    });
    const holds = array.holds.length ? h("div", { class: "holds", testid: "priority-holds" },
      h("strong", {}, "Held by interlocks: "),
      h("ul", {}, array.holds.map((hold) => h("li", {},
        `${hold.interlock} at level ${hold.priority} with ${formatValue(hold.value)} ` +
        `(trigger ${hold.trigger})`)))) : null;
    fill(this.el,
      h("p", { testid: "priority-effective" }, "In effect: ",
        h("strong", {}, formatWithUnit(array.effective, point.unit)),
        array.effective_priority === null ? " (relinquish default)"
          : ` at level ${array.effective_priority}`,
        h("span", { class: "muted" },
          ` · relinquish default ${formatValue(array.relinquish_default)}`)),
      holds,
      h("div", { class: "table-wrap" }, h("table", { class: "levels" },
        h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Level"),
          h("th", { scope: "col", class: "num" }, "Value"), h("th", { scope: "col" }, "Written by"),
          h("th", { scope: "col" }, "When"),
          h("th", { scope: "col" }, h("span", { class: "sr-only" }, "State")))),
        h("tbody", {}, rows))));
  }
}
