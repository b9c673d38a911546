// How values, units and times read on screen. Times are shown in the site's time zone
// (set once the model is loaded), as YYYY-MM-DD HH:MM:SS, whatever the browser's locale.

const UNITS = {
  degC: "°C", degF: "°F", "%RH": "% RH", "W/m2": "W/m²", "ug/m3": "µg/m³", m3: "m³",
  "m3/h": "m³/h", "m3/s": "m³/s", m2: "m²", "%obs/m": "% obs/m",
};

let stamp = makeStamp(undefined); // in the site's zone once known; the browser's until then

function makeStamp(timeZone) {
  try {
    return new Intl.DateTimeFormat("en-GB", {
      timeZone, year: "numeric", month: "2-digit", day: "2-digit",
      hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23",
    });
  } catch {
    return makeStamp(undefined); // a zone this browser does not know
  }
}

export function setTimeZone(timeZone) {
  stamp = makeStamp(timeZone || undefined);
}

function parts(date) {
  const out = {};
  for (const p of stamp.formatToParts(date)) out[p.type] = p.value;
  return out;
}

/** "2025-03-01 20:00:05" in the site's zone; "" for no time. */
export function formatTime(ts) {
  if (!ts) return "";
  const date = ts instanceof Date ? ts : new Date(ts);
  if (Number.isNaN(date.getTime())) return String(ts);
  const p = parts(date);
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}:${p.second}`;
}

/** A short time for chart axes: "20:05" within a day, "03-01 20:00" beyond. */
export function formatAxisTime(ms, spanMs) {
  const p = parts(new Date(ms));
  if (spanMs <= 2 * 3600e3) return `${p.hour}:${p.minute}:${p.second}`;
  if (spanMs <= 36 * 3600e3) return `${p.hour}:${p.minute}`;
  return `${p.month}-${p.day} ${p.hour}:${p.minute}`;
}

export function unitLabel(unit) {
  return unit ? UNITS[unit] || unit : "";
}

function decimals(value) {
  const size = Math.abs(value);
  if (size >= 1000) return 0;
  if (size >= 100) return 1;
  return 2;
}

/** A number as it reads: at most two decimals, fewer for large values, no grouping. */
export function formatNumber(value) {
  if (Number.isInteger(value)) return String(value);
  return Number(value.toFixed(decimals(value))).toString();
}

/** A point's value as text: "21.4", "on", "off", "—" for none; text cut at `longest`. */
export function formatValue(value, longest = Infinity) {
  if (value === null || value === undefined) return "—";
  if (typeof value === "boolean") return value ? "on" : "off";
  if (typeof value === "number") return formatNumber(value);
  const text = String(value);
  return text.length > longest ? `${text.slice(0, longest - 1)}…` : text;
}

/** The value with its unit: "21.4 °C". */
export function formatWithUnit(value, unit) {
  const text = formatValue(value);
  const label = unitLabel(unit);
  return label && typeof value === "number" ? `${text} ${label}` : text;
}

/** "1 alarm", "3 alarms". */
export function plural(count, noun) {
  return `${count} ${noun}${count === 1 ? "" : "s"}`;
}

/** "1 h 30 min" for a number of seconds. */
export function formatDuration(seconds) {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  const days = Math.floor(s / 86400);
  const hours = Math.floor((s % 86400) / 3600);
  const minutes = Math.floor((s % 3600) / 60);
  return [days && `${days} d`, hours && `${hours} h`, minutes && `${minutes} min`]
    .filter(Boolean).join(" ") || "0 min";
}

/** "Zone_Air_Temperature_Sensor" -> "Zone Air Temperature Sensor". */
export function brickLabel(brick) {
  return brick ? brick.replaceAll("_", " ") : "";
}

export const PRIORITY_NAMES = ["critical", "high", "medium", "low"];

export const STATE_LABELS = {
  normal: "Normal",
  unack_active: "Unacknowledged, active",
  ack_active: "Acknowledged, active",
  unack_rtn: "Unacknowledged, returned",
  shelved: "Shelved",
  suppressed: "Suppressed",
  out_of_service: "Out of service",
};
