// Building DOM nodes. Every string becomes a text node or an attribute value: nothing
// from the API is ever parsed as HTML.

const SVG_NS = "http://www.w3.org/2000/svg"; // an XML namespace name, not a location

function setAttributes(el, attrs) {
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") {
      el.addEventListener(name.slice(2), value);
    } else if (name === "dataset") {
      Object.assign(el.dataset, value);
    } else if (name === "testid") {
      el.setAttribute("data-testid", value);
    } else {
      el.setAttribute(name, value === true ? "" : String(value));
    }
  }
}

function appendChildren(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** An HTML element: h("a", {href: "#/", testid: "nav-site"}, "Site"). */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  setAttributes(el, attrs);
  appendChildren(el, children);
  return el;
}

/** An SVG element, same shape as h(). */
export function svg(tag, attrs, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  setAttributes(el, attrs);
  appendChildren(el, children);
  return el;
}

/** Replace an element's children. */
export function fill(el, ...children) {
  el.replaceChildren();
  appendChildren(el, children);
  return el;
}

/** A hash link to a route of the app; parts are encoded so any id is safe in it. */
export function routeHref(...parts) {
  return "#/" + parts.map((p) => encodeURIComponent(String(p))).join("/");
}

/** A page that cannot be shown: an unknown id, say (shown like an API problem). */
export class PageProblem extends Error {
  constructor(title, detail) {
    super(detail);
    this.title = title;
    this.detail = detail;
  }
}

/** A small "loading" placeholder, and an error panel for a failed load. */
export function loading(label = "Loading…") {
  return h("p", { class: "muted", role: "status" }, label);
}

export function errorPanel(error, testid = "error") {
  const title = error && error.title ? error.title : "Something went wrong";
  const detail = error && error.detail ? error.detail : String(error && error.message || error);
  return h("div", { class: "panel error", role: "alert", testid },
    h("strong", {}, title), " ", h("span", {}, detail));
}
