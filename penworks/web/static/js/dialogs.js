// A modal form dialog: fields, a submit that calls the server, the problem it answers with
// shown in the dialog; closed on success.

import { ApiProblem } from "./api.js";
import { h } from "./dom.js";

/**
 * fields: [{ name, label, el }] (el an input, select or textarea with a name); submit(values)
 * returns a promise; done(result) runs after success. Answers the dialog element.
 */
export function formDialog({ title, testid, fields, submitLabel, submit, done, intro }) {
  const problem = h("p", { class: "form-error", role: "alert", testid: `${testid}-error`,
    hidden: true });
  const send = h("button", { type: "submit", class: "primary", testid: `${testid}-submit` },
    submitLabel);
  const cancel = h("button", { type: "button", testid: `${testid}-cancel` }, "Cancel");
  const titleId = `${testid}-title`;
  const form = h("form", { method: "dialog", class: "stack", novalidate: true },
    h("h2", { id: titleId }, title), intro || null,
    fields.flatMap((f) => [f.label ? h("label", { for: f.el.id }, f.label) : null, f.el]),
    problem, h("div", { class: "actions" }, cancel, send));
  const dialog = h("dialog", { class: "dialog", testid, "aria-labelledby": titleId }, form);
  document.body.append(dialog);
  dialog.addEventListener("close", () => dialog.remove());
  cancel.addEventListener("click", () => dialog.close());
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const values = Object.fromEntries(fields.map((f) => [f.name,
      f.el.type === "checkbox" ? f.el.checked : f.el.value]));
    const missing = fields.find((f) => f.el.required && !String(values[f.name]).trim());
    if (missing) {
      problem.textContent = `${missing.label} is required.`;
      problem.hidden = false;
      missing.el.focus();
      return;
    }
    send.disabled = true;
    problem.hidden = true;
    try {
      const result = await submit(values);
      dialog.close();
      if (done) done(result);
    } catch (error) {
      problem.textContent = error instanceof ApiProblem
        ? `${error.title}${error.detail ? `: ${error.detail}` : ""}`
        : "The server did not answer; try again.";
      problem.hidden = false;
    } finally {
      send.disabled = false;
    }
  });
  dialog.showModal();
  const first = fields[0];
  if (first) first.el.focus();
  return dialog;
}

/** A dialog that only shows something, with a Close button. */
export function infoDialog({ title, testid, body }) {
  const close = h("button", { type: "button", testid: `${testid}-close` }, "Close");
  const titleId = `${testid}-title`;
  const dialog = h("dialog", { class: "dialog wide", testid, "aria-labelledby": titleId },
    h("div", { class: "stack" }, h("h2", { id: titleId }, title), body,
      h("div", { class: "actions" }, close)));
  document.body.append(dialog);
  dialog.addEventListener("close", () => dialog.remove());
  close.addEventListener("click", () => dialog.close());
  dialog.showModal();
  close.focus();
  return dialog;
}
