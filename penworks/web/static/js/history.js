// History for charts: which aggregate a window calls for, and the samples of a point over it.

export const RANGES = [
  ["1h", "1 hour", 3600],
  ["6h", "6 hours", 6 * 3600],
  ["24h", "24 hours", 24 * 3600],
  ["7d", "7 days", 7 * 86400],
  ["30d", "30 days", 30 * 86400],
];

const RAW_UP_TO_S = 2 * 3600; // windows this short come raw...
const RAW_LIMIT = 5000; // ...unless they hold more values than this
const TARGET_POINTS = 400; // an aggregated window is split into about this many intervals
const INTERVALS_S = [10, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400];

/** How to ask for a window of `spanS` seconds of a point of `kind`: { agg, interval }. */
export function plan(kind, spanS) {
  if (spanS <= RAW_UP_TO_S || kind === "text") return { agg: "raw", interval: null };
  const wanted = spanS / TARGET_POINTS;
  const interval = INTERVALS_S.find((s) => s >= wanted) || INTERVALS_S[INTERVALS_S.length - 1];
  return { agg: kind === "number" ? "avg" : "last", interval };
}

/** The server's now (its clock may be simulated, and run fast): the end of a default
 * history window. */
export async function serverNow(api, pointId, signal) {
  const answer = await api.get(`/api/points/${encodeURIComponent(pointId)}/history`,
    { limit: 1 }, signal);
  return Date.parse(answer.end);
}

/** Samples of `point` in [start, end) (Dates) as { t (ms), v (number), value, quality }. */
export async function loadSeries(api, point, start, end, signal) {
  const spanS = (end - start) / 1000;
  let { agg, interval } = plan(point.kind, spanS);
  const path = `/api/points/${encodeURIComponent(point.id)}/history`;
  const ask = (query) => api.get(path, {
    start: start.toISOString(), end: end.toISOString(), ...query,
  }, signal);
  let answer = await ask(agg === "raw" ? { limit: RAW_LIMIT } : { agg, interval });
  if (answer.truncated && agg === "raw" && point.kind !== "text") {
    ({ agg, interval } = plan(point.kind, Math.max(spanS, RAW_UP_TO_S + 1)));
    answer = await ask({ agg, interval });
  }
  return {
    agg: answer.agg,
    intervalS: answer.interval_s,
    truncated: answer.truncated,
    values: answer.values.map(toSample),
  };
}

export function toSample(s) {
  const value = s.value;
  let v = null;
  if (typeof value === "number") v = value;
  else if (typeof value === "boolean") v = value ? 1 : 0;
  return { t: Date.parse(s.ts), v, value, quality: s.quality };
}
