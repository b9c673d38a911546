// The command dialog: value (typed by the point's kind), priority (8 by default, 3-16),
// reason; then what came of it: confirmed, failed, superseded, or the refusal's problem.

import { ApiProblem } from "./api.js";
import { h } from "./dom.js";
import { formatValue, formatWithUnit, unitLabel } from "./format.js";

export const LEVEL_NAMES = {
  1: "manual life safety", 2: "automatic life safety", 5: "critical equipment control",
  6: "minimum on/off", 8: "manual operator",
};
const DEFAULT_LEVEL = 8;
const STATUS_WORDS = {
  confirmed: "Confirmed", failed: "Failed", superseded: "Superseded",
  relinquished: "Relinquished", refused: "Refused", error: "No answer",
};

/** A fresh idempotency key (crypto.randomUUID needs a secure context; this does not). */
export function newKey() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function valueInput(point) {
  if (point.kind === "bool") {
    const box = h("input", { type: "checkbox", role: "switch", id: "command-value",
      testid: "command-value" });
    return { el: h("label", { class: "switch" }, box, h("span", {}, "On")), read: () => box.checked,
      focus: () => box.focus(), disable: (off) => { box.disabled = off; } };
  }
  if (point.kind === "number") {
    const input = h("input", { type: "number", step: "any", id: "command-value", required: true,
      testid: "command-value", min: point.min ?? undefined, max: point.max ?? undefined,
      inputmode: "decimal" });
    return { el: input, read: () => readNumber(input, point), focus: () => input.focus(),
      disable: (off) => { input.disabled = off; } };
  }
  const input = h("input", { type: "text", id: "command-value", required: true, maxlength: 1000,
    testid: "command-value" });
  return { el: input, read: () => input.value, focus: () => input.focus(),
    disable: (off) => { input.disabled = off; } };
}

function readNumber(input, point) {
  if (input.value.trim() === "" || Number.isNaN(input.valueAsNumber)) {
    throw new Error("Enter a number.");
  }
  const value = input.valueAsNumber;
  if (point.min !== null && point.min !== undefined && value < point.min) {
    throw new Error(`The lowest value is ${formatWithUnit(point.min, point.unit)}.`);
  }
  if (point.max !== null && point.max !== undefined && value > point.max) {
    throw new Error(`The highest value is ${formatWithUnit(point.max, point.unit)}.`);
  }
  return value;
}

function levelSelect(chosen = DEFAULT_LEVEL) {
  const select = h("select", { id: "command-priority", testid: "command-priority" });
  for (let level = 3; level <= 16; level++) {
    const name = LEVEL_NAMES[level];
    select.append(h("option", { value: level, selected: level === chosen },
      name ? `${level}: ${name}` : String(level)));
  }
  return select;
}

/** What came of a command, as the dialog shows it. */
export function describeOutcome(outcome, point) {
  const value = outcome.value === null ? "release" : formatWithUnit(outcome.value, point.unit);
  const effective = outcome.effective_priority === null
    ? `the relinquish default (${formatValue(outcome.effective)})`
    : `${formatWithUnit(outcome.effective, point.unit)} at level ${outcome.effective_priority}`;
  const retry = outcome.duplicate ? " (a retry of a command already made)" : "";
  return `${value} at level ${outcome.priority}: ${outcome.detail}. The point now holds ` +
    `${effective}${retry}.`;
}

function showResult(box, status, title, text, extra = {}) {
  box.hidden = false;
  box.className = `result r-${status}`;
  box.dataset.status = status;
  for (const [k, v] of Object.entries(extra)) box.dataset[k] = v;
  box.replaceChildren(h("strong", { testid: "command-status" }, title), " ",
    h("span", { testid: "command-detail" }, text));
}

/**
 * Open the dialog for a writable point. onDone(outcome) is called after every answer, so the
 * page can refresh the priority array. preset: { level, relinquish } to start from.
 */
export function openCommandDialog(ctx, point, onDone, preset = {}) {
  let key = newKey();
  const value = valueInput(point);
  const release = h("input", { type: "checkbox", id: "command-relinquish",
    testid: "command-relinquish",
    onchange: () => value.disable(release.checked) });
  const level = levelSelect(preset.level);
  const reason = h("textarea", { id: "command-reason", required: true, maxlength: 2000, rows: 2,
    testid: "command-reason", placeholder: "Why (kept in the audit log)" });
  const problem = h("p", { class: "form-error", role: "alert", testid: "command-error",
    hidden: true });
  const result = h("div", { class: "result", role: "status", testid: "command-result",
    hidden: true });
  const submit = h("button", { type: "submit", class: "primary", testid: "command-submit" },
    "Send");
  const close = h("button", { type: "button", testid: "command-cancel" }, "Close");
  const now = h("p", { class: "muted small", testid: "command-now" });
  const range = point.kind === "number" && (point.min !== null || point.max !== null)
    ? `${formatValue(point.min)} to ${formatValue(point.max)} ${unitLabel(point.unit)}` : "";
  const form = h("form", { method: "dialog", class: "stack", novalidate: true },
    h("h2", { id: "command-title" }, `Command ${point.name || point.id}`),
    h("p", { class: "muted small mono" }, point.id), now,
    h("label", { for: "command-value" }, `Value${point.unit ? ` (${unitLabel(point.unit)})` : ""}`),
    value.el,
    range ? h("p", { class: "muted small" }, `Valid: ${range}`) : null,
    h("label", { class: "inline" }, release, " Release my level instead (relinquish)"),
    h("label", { for: "command-priority" }, "Priority level"), level,
    h("label", { for: "command-reason" }, "Reason"), reason,
    problem, result,
    h("div", { class: "actions" }, close, submit));
  const dialog = h("dialog", { class: "dialog", testid: "command-dialog",
    "aria-labelledby": "command-title" }, form);
  document.body.append(dialog);
  dialog.addEventListener("close", () => dialog.remove());
  close.addEventListener("click", () => dialog.close());
  dialog.showModal();
  if (preset.relinquish) {
    release.checked = true;
    value.disable(true);
    reason.focus();
  } else {
    value.focus();
  }
  showNow(ctx, point, now);

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    problem.hidden = true;
    let body;
    try {
      body = {
        point: point.id,
        value: release.checked ? null : value.read(),
        priority: Number(level.value),
        reason: reason.value.trim(),
        idempotency_key: key,
      };
      if (!body.reason) throw new Error("Give a reason: it is kept in the audit log.");
    } catch (error) {
      problem.textContent = error.message;
      problem.hidden = false;
      return;
    }
    submit.disabled = true;
    showResult(result, "pending", "Sending…", "waiting for the device to confirm");
    try {
      const outcome = await ctx.api.post("/api/commands", body);
      showResult(result, outcome.status, STATUS_WORDS[outcome.status] || outcome.status,
        describeOutcome(outcome, point), { command: outcome.id });
      key = newKey(); // answered: the next send is a new command
      ctx.announce(`Command ${outcome.status}`);
      if (onDone) onDone(outcome);
      showNow(ctx, point, now);
    } catch (error) {
      if (error instanceof ApiProblem) {
        showResult(result, "refused", error.title, error.detail, { kind: error.kind });
        key = newKey();
        ctx.announce(`Command refused: ${error.title}`);
        if (onDone) onDone(null);
      } else {
        showResult(result, "error", "No answer",
          "The server did not answer; the command may still be carried out. Send again to " +
          "retry: it takes effect once.");
      }
    } finally {
      submit.disabled = false;
    }
  });
  return dialog;
}

async function showNow(ctx, point, el) {
  try {
    const array = await ctx.api.get(`/api/points/${encodeURIComponent(point.id)}/priority`);
    const level = array.effective_priority;
    el.textContent = level === null
      ? `Now: ${formatWithUnit(array.effective, point.unit)} (relinquish default)`
      : `Now: ${formatWithUnit(array.effective, point.unit)} at level ${level}` +
        (array.levels[level - 1] ? ` (${array.levels[level - 1].actor})` : "");
  } catch (error) {
    el.textContent = error instanceof ApiProblem ? `${error.title}` : "";
  }
}
