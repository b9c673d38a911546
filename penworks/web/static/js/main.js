// The app: the shell (navigation, who is signed in, the live feed's state), the hash router,
// and what every page receives (ctx). Pages live in views/, one module each.

import { Api } from "./api.js";
import { errorPanel, fill, h, PageProblem } from "./dom.js";
import { setTimeZone } from "./format.js";
import { LiveFeed } from "./live.js";
import { SiteIndex } from "./model.js";
import { ROLE_NAMES, Session } from "./session.js";
import * as alarms from "./views/alarms.js";
import * as building from "./views/building.js";
import * as energy from "./views/energy.js";
import * as equipment from "./views/equipment.js";
import * as floor from "./views/floor.js";
import * as login from "./views/login.js";
import * as point from "./views/point.js";
import * as site from "./views/site.js";
import * as space from "./views/space.js";
import * as system from "./views/system.js";

// Smart apps with a page of their own, at #/apps/<app id>, shown while the app runs.
const APP_VIEWS = { energy };
const apps = {
  render(ctx, params, root) {
    const view = APP_VIEWS[params.id];
    if (!view) throw new PageProblem("No such app page", `no app ${params.id} has a page here`);
    return view.render(ctx, params, root);
  },
};
const VIEWS = { login, "": site, building, floor, space, equipment, point, alarms, system, apps };
const SECTION = { "": "site", building: "site", floor: "site", space: "site",
  equipment: "site", point: "site", alarms: "alarms", system: "system" };
const BADGE_DELAY_MS = 500;

const api = new Api();
const session = new Session(api);
const live = new LiveFeed(session);
const main = document.getElementById("main");
const announcer = document.getElementById("announcer");

const ctx = {
  api,
  session,
  live,
  site: null,
  navigate(hash) {
    if (location.hash === hash) route();
    else location.hash = hash;
  },
  announce(text) {
    announcer.textContent = "";
    requestAnimationFrame(() => {
      announcer.textContent = text;
    });
  },
  may: (action) => session.may(action),
};

let current = null; // { controller } of the page on screen
let signInMessage = "";

/** "#/floor/b15.f3?layer=alarms" -> { name: "floor", id: "b15.f3", query }. */
function parseHash(hash) {
  const text = hash.replace(/^#\/?/, "");
  const at = text.indexOf("?");
  const path = at >= 0 ? text.slice(0, at) : text;
  const query = new URLSearchParams(at >= 0 ? text.slice(at + 1) : "");
  const [name = "", ...rest] = path.split("/");
  const id = rest.length ? decodeURIComponent(rest.join("/")) : "";
  return { name: decodeURIComponent(name), id, query };
}

async function route() {
  const parsed = parseHash(location.hash);
  if (!session.signedIn && parsed.name !== "login") {
    const next = location.hash && location.hash !== "#/" ? location.hash : "";
    location.replace(next ? `#/login?next=${encodeURIComponent(next)}` : "#/login");
    return;
  }
  if (session.signedIn && parsed.name === "login") {
    location.replace(parsed.query.get("next") || "#/");
    return;
  }
  await show(parsed);
}

async function show(parsed) {
  if (current) current.controller.abort();
  const controller = new AbortController();
  current = { controller };
  const view = VIEWS[parsed.name];
  markSection(parsed.name === "apps" ? `app-${parsed.id}` : SECTION[parsed.name]);
  main.dataset.view = view ? parsed.name || "site" : "unknown";
  main.dataset.ready = "false";
  main.dataset.route = location.hash || "#/";
  fill(main, h("p", { class: "muted", role: "status" }, "Loading…"));
  const page = h("div", { class: "page" });
  try {
    if (!view) throw new PageProblem("No such page", location.hash);
    const params = { id: parsed.id, query: parsed.query, signal: controller.signal,
      message: parsed.name === "login" ? takeSignInMessage() : "" };
    await view.render(ctx, params, page);
  } catch (error) {
    if (controller.signal.aborted || (error && error.name === "AbortError")) return;
    page.replaceChildren(errorPanel(error, "page-error"));
  }
  if (controller.signal.aborted) return;
  fill(main, page);
  main.dataset.ready = "true";
  const heading = main.querySelector("h1");
  document.title = heading ? `${heading.textContent} · Penworks` : "Penworks";
  if (document.activeElement === document.body || !main.contains(document.activeElement)) {
    (main.querySelector("[autofocus]") || main).focus({ preventScroll: true });
  }
}

function takeSignInMessage() {
  const text = signInMessage;
  signInMessage = "";
  return text;
}

function markSection(section) {
  for (const link of document.querySelectorAll("#nav a")) {
    if (link.dataset.section === section) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
}

// The shell: who is signed in, the live feed, the unacknowledged alarm count.

function showUser() {
  const user = session.user;
  const signedIn = Boolean(user);
  document.getElementById("nav").hidden = !signedIn;
  document.getElementById("who").hidden = !signedIn;
  document.querySelector('[data-testid="nav-system"]').hidden = !session.may("system");
  if (!signedIn) return;
  document.getElementById("who-name").textContent = user.displayName || user.username;
  const role = ROLE_NAMES[user.role] || user.role;
  const tenant = user.tenant && ctx.site ? ` · ${ctx.site.tenantName(user.tenant)}` : "";
  document.getElementById("who-role").textContent = `${role}${tenant}`;
}

function showLiveState() {
  const badge = document.getElementById("live-status");
  badge.dataset.state = live.state;
  badge.textContent = { open: "live", connecting: "connecting", closed: "offline" }[live.state];
}

/** The links to the pages of the apps that run now (GET /api/apps); none when it fails. */
async function showApps() {
  let running = new Set();
  try {
    running = new Set((await api.get("/api/apps")).filter((a) => a.running).map((a) => a.id));
  } catch {
    // no app links: their pages still answer at their routes
  }
  for (const link of document.querySelectorAll("#nav a[data-app]")) {
    link.hidden = !session.signedIn || !APP_VIEWS[link.dataset.app]
      || !running.has(link.dataset.app);
  }
}

let badgeTimer = null;
let alarmWatch = null;

function refreshAlarmBadge() {
  clearTimeout(badgeTimer);
  badgeTimer = setTimeout(async () => {
    const badge = document.getElementById("alarm-badge");
    try {
      const open = await api.get("/api/alarms", { unacknowledged: true });
      badge.textContent = String(open.length);
      badge.hidden = open.length === 0;
      badge.title = `${open.length} unacknowledged`;
    } catch {
      badge.hidden = true;
    }
  }, BADGE_DELAY_MS);
}

async function signedIn() {
  ctx.site = await SiteIndex.load(api);
  setTimeZone(ctx.site.site.timezone);
  showUser();
  live.start();
  alarmWatch = new AbortController();
  live.watch({ alarms: true }, { alarm: refreshAlarmBadge, flood: refreshAlarmBadge },
    alarmWatch.signal);
  refreshAlarmBadge();
  showApps();
}

/** Back to the sign-in page; after an expired session, back to this page once signed in. */
function signedOut(message, comeBack) {
  if (alarmWatch) alarmWatch.abort();
  live.stop();
  ctx.site = null;
  signInMessage = message;
  showUser();
  const here = location.hash;
  const next = comeBack && here && !here.startsWith("#/login") && here !== "#/" ? here : "";
  document.getElementById("alarm-badge").hidden = true;
  for (const link of document.querySelectorAll("#nav a[data-app]")) link.hidden = true;
  ctx.navigate(next ? `#/login?next=${encodeURIComponent(next)}` : "#/login");
}

ctx.signedIn = signedIn;

session.addEventListener("expired",
  () => signedOut("Your session has ended. Please sign in again.", true));
session.addEventListener("signedout", () => signedOut("", false));
live.addEventListener("state", showLiveState);
document.getElementById("sign-out").addEventListener("click", () => session.signOut());
window.addEventListener("hashchange", route);

async function boot() {
  if (await session.resume()) {
    try {
      await signedIn();
    } catch (error) {
      fill(main, errorPanel(error, "page-error"));
      return;
    }
  }
  showLiveState();
  await route();
}

boot();
