// Who is signed in: the token pair in memory and in sessionStorage (gone with the tab),
// refreshed before it expires; the user from /api/auth/me.

import { ApiProblem } from "./api.js";

const STORAGE_KEY = "penworks.session";
const EARLY_S = 60; // refresh this long before the access token expires...
const EARLY_SHARE = 0.2; // ...or this share of its life, whichever is shorter
const RETRY_MS = 10000; // after a refresh that failed for want of a network

// What each role may do, as the server defines it; used only to show or hide controls when
// /api/auth/me does not list the actions (the server decides every request).
const ROLE_ACTIONS = {
  admin: ["read", "command", "alarms", "system", "users", "tenant_users"],
  operator: ["read", "command", "alarms", "system"],
  security_officer: ["read", "command", "alarms"],
  energy_manager: ["read", "command", "alarms"],
  tenant_admin: ["read", "command", "alarms", "tenant_users"],
  tenant_user: ["read", "command"],
  viewer: ["read"],
};

export const ROLE_NAMES = {
  admin: "Administrator",
  operator: "Operator",
  security_officer: "Security officer",
  energy_manager: "Energy manager",
  tenant_admin: "Tenant administrator",
  tenant_user: "Tenant user",
  viewer: "Viewer",
};

function loadStored() {
  try {
    const stored = JSON.parse(sessionStorage.getItem(STORAGE_KEY) || "null");
    return stored && stored.access_token && stored.refresh_token ? stored : null;
  } catch {
    return null;
  }
}

export class Session extends EventTarget {
  constructor(api) {
    super();
    this.api = api;
    this.tokens = loadStored();
    this.user = null;
    this.timer = null;
    this.refreshing = null;
    this.refreshError = null;
    api.useAuth({
      token: () => this.token(),
      refresh: () => this.refresh(),
      expired: () => this.expired(),
    });
  }

  get signedIn() {
    return this.tokens !== null && this.user !== null;
  }

  token() {
    return this.tokens ? this.tokens.access_token : null;
  }

  /** Resume a session of this tab (after a reload); false when there is none. */
  async resume() {
    if (!this.tokens) return false;
    if (Date.now() >= this.tokens.expires_at - 5000 && !(await this.refresh())) return false;
    this.#schedule();
    try {
      await this.#loadUser();
      return true;
    } catch {
      return false; // a 401 has already ended the session
    }
  }

  async signIn(username, password) {
    const form = new URLSearchParams({ grant_type: "password", username, password });
    const pair = await this.api.request("POST", "/api/auth/token", { form, auth: false });
    this.#keep(pair);
    await this.#loadUser();
  }

  /** Exchange the refresh token for a new pair; one exchange at a time. */
  refresh() {
    if (!this.tokens) return Promise.resolve(false);
    if (!this.refreshing) {
      const refresh_token = this.tokens.refresh_token;
      this.refreshing = this.api
        .request("POST", "/api/auth/refresh", { json: { refresh_token }, auth: false })
        .then((pair) => {
          this.#keep(pair);
          this.dispatchEvent(new Event("token"));
          return true;
        })
        .catch((error) => {
          this.refreshError = error;
          return false;
        })
        .finally(() => {
          this.refreshing = null;
        });
    }
    return this.refreshing;
  }

  /** The server no longer accepts the session (401): forget it and ask for a sign-in. */
  expired() {
    if (!this.tokens && !this.user) return;
    this.#forget();
    this.dispatchEvent(new Event("expired"));
  }

  async signOut() {
    const tokens = this.tokens;
    this.#forget();
    if (tokens) {
      try {
        await this.api.request("POST", "/api/auth/logout", {
          json: { refresh_token: tokens.refresh_token }, auth: false, bearer: tokens.access_token,
        });
      } catch {
        // Signed out here either way; the refresh token expires on its own.
      }
    }
    this.dispatchEvent(new Event("signedout"));
  }

  /** Whether the user's role allows an action ("command", "alarms", "system", ...). */
  may(action) {
    if (!this.user) return false;
    const actions = Array.isArray(this.user.actions)
      ? this.user.actions
      : ROLE_ACTIONS[this.user.role] || [];
    return actions.includes(action);
  }

  async #loadUser() {
    const me = await this.api.get("/api/auth/me");
    const user = me.user || me; // {user: {...}, actions, park_wide}
    this.user = {
      username: user.username,
      displayName: user.display_name || "",
      role: user.role,
      tenant: user.tenant || null,
      actions: Array.isArray(me.actions) ? me.actions : null,
      parkWide: me.park_wide ?? !user.tenant,
    };
    this.dispatchEvent(new Event("user"));
  }

  #keep(pair) {
    const expiresIn = Number(pair.expires_in) || 900;
    this.tokens = {
      access_token: pair.access_token,
      refresh_token: pair.refresh_token,
      expires_in: expiresIn,
      expires_at: Date.now() + expiresIn * 1000,
    };
    sessionStorage.setItem(STORAGE_KEY, JSON.stringify(this.tokens));
    this.#schedule();
  }

  #schedule() {
    clearTimeout(this.timer);
    if (!this.tokens) return;
    const early = Math.min(EARLY_S, this.tokens.expires_in * EARLY_SHARE) * 1000;
    const wait = Math.max(1000, this.tokens.expires_at - early - Date.now());
    this.timer = setTimeout(() => this.#refreshInTime(), wait);
  }

  async #refreshInTime() {
    if (await this.refresh()) return;
    const refused = this.refreshError instanceof ApiProblem;
    if (refused || !this.tokens || Date.now() >= this.tokens.expires_at) {
      this.expired();
    } else {
      this.timer = setTimeout(() => this.#refreshInTime(), RETRY_MS); // the server was away
    }
  }

  #forget() {
    clearTimeout(this.timer);
    this.tokens = null;
    this.user = null;
    sessionStorage.removeItem(STORAGE_KEY);
  }
}
