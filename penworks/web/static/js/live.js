// The live feed: one WebSocket to /api/live for the whole app. Pages watch points, alarms
// and events; this module keeps the server's subscription equal to what the pages watch,
// reconnects when the socket drops, and hands each message to the pages that asked for it.
//
// Protocol (penworks/api/routes/live.py): the first message is {"type": "auth", "token"};
// the server answers "ready"; "subscribe" / "unsubscribe" add and remove points, alarms and
// events (answered by "subscription"); the server sends "observations" (items: point, ts,
// value, quality), "alarm" (a transition with its "alarm" snapshot), "alarm_flood", "event"
// (subject, data), "status" (dropped counts, also the heartbeat), "pong" and "error".

const RECONNECT_MS = [500, 1000, 2000, 5000, 10000, 15000];
const CHUNK = 500; // points per subscribe message
const CLOSE_AUTH = 4401; // the token was refused: refresh it, then try again
const CLOSE_REVOKED = 4403; // the session or user was revoked: sign in again

export class LiveFeed extends EventTarget {
  constructor(session) {
    super();
    this.session = session;
    this.socket = null;
    this.state = "closed"; // closed | connecting | open
    this.watchers = new Set();
    this.counts = new Map(); // point id -> how many watchers follow it
    this.alarms = 0;
    this.events = 0;
    this.latest = new Map(); // point id -> newest item seen, for late watchers
    this.attempt = 0;
    this.timer = null;
    this.seq = 0;
    this.dropped = 0;
    this.stopped = true;
  }

  /** Open the feed (after sign-in). */
  start() {
    this.stopped = false;
    if (!this.socket) this.#connect();
  }

  /** Close the feed (sign-out); watchers stay registered for the next start. */
  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    if (this.socket) this.socket.close(1000, "signed out");
    this.socket = null;
    this.latest.clear();
    this.#setState("closed");
  }

  /**
   * Follow points (ids), alarms and/or events until `signal` aborts (or the returned
   * function is called). handler: { observation(item), alarm(msg), flood(msg), event(msg) }.
   */
  watch({ points = [], alarms = false, events = false }, handler, signal) {
    if (signal && signal.aborted) return () => {}; // its page is gone already
    const watcher = { points: new Set(points), alarms, events, handler };
    this.watchers.add(watcher);
    const added = [];
    for (const id of watcher.points) {
      const n = this.counts.get(id) || 0;
      this.counts.set(id, n + 1);
      if (n === 0) added.push(id);
    }
    this.#sendChange("subscribe", added, {
      alarms: alarms && this.alarms++ === 0,
      events: events && this.events++ === 0,
    });
    for (const id of watcher.points) {
      const known = this.latest.get(id);
      if (known && handler.observation) queueMicrotask(() => handler.observation(known));
    }
    const unwatch = () => this.#unwatch(watcher);
    if (signal) signal.addEventListener("abort", unwatch, { once: true });
    return unwatch;
  }

  #unwatch(watcher) {
    if (!this.watchers.delete(watcher)) return;
    const removed = [];
    for (const id of watcher.points) {
      const n = this.counts.get(id) - 1;
      if (n > 0) {
        this.counts.set(id, n);
      } else {
        this.counts.delete(id);
        this.latest.delete(id);
        removed.push(id);
      }
    }
    const flags = {
      alarms: watcher.alarms && --this.alarms === 0,
      events: watcher.events && --this.events === 0,
    };
    this.#sendChange("unsubscribe", removed, flags);
  }

  #sendChange(type, points, { alarms, events }) {
    if (this.state === "closed" || !this.socket) return; // sent in full at the next connect
    if (alarms || events) this.#send({ type, alarms, events });
    for (let i = 0; i < points.length; i += CHUNK) {
      this.#send({ type, id: `${type}-${++this.seq}`, points: points.slice(i, i + CHUNK) });
    }
  }

  #connect() {
    const token = this.session.token();
    if (!token || this.stopped) return;
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    const socket = new WebSocket(`${scheme}//${location.host}/api/live`);
    this.socket = socket;
    this.#setState("connecting");
    socket.addEventListener("open", () => {
      socket.send(JSON.stringify({ type: "auth", token }));
      this.#sendChange("subscribe", [...this.counts.keys()], {
        alarms: this.alarms > 0, events: this.events > 0,
      });
    });
    socket.addEventListener("message", (event) => this.#receive(event.data));
    socket.addEventListener("close", (event) => this.#closed(socket, event.code));
  }

  async #closed(socket, code) {
    if (socket !== this.socket) return;
    this.socket = null;
    this.#setState("closed");
    if (this.stopped) return;
    if (code === CLOSE_REVOKED) {
      this.session.expired();
      return;
    }
    if (code === CLOSE_AUTH && !(await this.session.refresh())) {
      this.session.expired();
      return;
    }
    const wait = RECONNECT_MS[Math.min(this.attempt++, RECONNECT_MS.length - 1)];
    this.timer = setTimeout(() => this.#connect(), wait);
  }

  #send(message) {
    if (this.socket && this.socket.readyState === WebSocket.OPEN) {
      this.socket.send(JSON.stringify(message));
    }
  }

  #receive(text) {
    let message;
    try {
      message = JSON.parse(text);
    } catch {
      return;
    }
    switch (message.type) {
      case "ready": // signed in: the server answers subscriptions and streams from now on
        this.attempt = 0;
        this.#setState("open");
        break;
      case "observations":
        for (const item of message.items || []) this.#observation(item);
        break;
      case "observation":
        this.#observation(message);
        break;
      case "alarm":
        this.#fan((w) => w.alarms && w.handler.alarm, message);
        break;
      case "alarm_flood":
        this.#fan((w) => w.alarms && w.handler.flood, message);
        break;
      case "event":
        this.#fan((w) => w.events && w.handler.event, message);
        break;
      case "status":
        this.dropped = Number(message.dropped) || this.dropped;
        this.dispatchEvent(new CustomEvent("status", { detail: message }));
        break;
      case "error":
        console.warn("live feed:", message.problem || message);
        this.dispatchEvent(new CustomEvent("problem", { detail: message }));
        break;
      default:
        break; // subscription, pong: nothing to hand on
    }
  }

  #observation(item) {
    if (!this.counts.has(item.point)) return;
    const known = this.latest.get(item.point);
    if (known && Date.parse(known.ts) > Date.parse(item.ts)) return; // overtaken by a newer one
    this.latest.set(item.point, item);
    for (const watcher of this.watchers) {
      if (watcher.points.has(item.point) && watcher.handler.observation) {
        watcher.handler.observation(item);
      }
    }
  }

  #fan(pick, message) {
    for (const watcher of this.watchers) {
      const fn = pick(watcher);
      if (fn) fn.call(watcher.handler, message);
    }
  }

  #setState(state) {
    if (this.state === state) return;
    this.state = state;
    this.dispatchEvent(new Event("state"));
  }
}
