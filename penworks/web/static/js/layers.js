// The floor plan's layers: which points each needs (by Brick class) and how a room's
// readings become a colour class and a label. Colours are in app.css, by class.

import { formatNumber, PRIORITY_NAMES } from "./format.js";

export const TEMPERATURE = "Zone_Air_Temperature_Sensor";
export const OCCUPIED = "Occupancy_Sensor";
export const COUNT = "Occupancy_Count_Sensor";
export const CO2 = "CO2_Level_Sensor";
export const HUMIDITY = "Relative_Humidity_Sensor";

/** Every Brick class the plan follows (each also finds its subclasses on the server). */
export const BRICKS = [TEMPERATURE, OCCUPIED, COUNT, CO2, HUMIDITY];

// Comfort: good inside the first band, fair inside the second, poor outside both.
export const COMFORT = {
  temperature: { good: [20, 25], fair: [19, 26], unit: "°C" },
  co2: { good: [0, 1000], fair: [0, 1400], unit: "ppm" },
  humidity: { good: [30, 60], fair: [25, 70], unit: "% RH" },
};

// Alarm states that stand in front of an operator (shelved, suppressed and out of service
// alarms are hidden on purpose; normal ones are over).
export const STANDING = new Set(["unack_active", "ack_active", "unack_rtn"]);

const NO_DATA = { cls: "none", label: "no data" };

function numbers(samples) {
  return samples.map((s) => s.value).filter((v) => typeof v === "number" && Number.isFinite(v));
}

function mean(values) {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

function temperature(room) {
  const values = numbers(room.readings(TEMPERATURE));
  if (!values.length) return NO_DATA;
  const t = mean(values);
  const label = `${formatNumber(Math.round(t * 10) / 10)} °C`;
  if (t < 18) return { cls: "t-cold", label };
  if (t < 20) return { cls: "t-cool", label };
  if (t < 24) return { cls: "t-ok", label };
  if (t < 26) return { cls: "t-warm", label };
  return { cls: "t-hot", label };
}

function occupancy(room) {
  const counts = numbers(room.readings(COUNT));
  const flags = room.readings(OCCUPIED).map((s) => s.value).filter((v) => typeof v === "boolean");
  const occupied = flags.some(Boolean);
  if (counts.length) {
    const people = Math.max(...counts); // several counters see the same people: take the most
    if (people === 0 && occupied) return { cls: "o-low", label: "occupied" };
    const label = people === 1 ? "1 person" : `${formatNumber(people)} people`;
    if (people === 0) return { cls: "o-vacant", label: "vacant" };
    if (people <= 5) return { cls: "o-low", label };
    if (people <= 20) return { cls: "o-mid", label };
    return { cls: "o-high", label };
  }
  if (!flags.length) return NO_DATA;
  return occupied ? { cls: "o-low", label: "occupied" } : { cls: "o-vacant", label: "vacant" };
}

function grade(value, band) {
  const inside = ([low, high]) => value >= low && value <= high;
  if (inside(band.good)) return 0;
  return inside(band.fair) ? 1 : 2;
}

function comfort(room) {
  const checks = [
    ["temperature", numbers(room.readings(TEMPERATURE)), mean],
    ["co2", numbers(room.readings(CO2)), (v) => Math.max(...v)],
    ["humidity", numbers(room.readings(HUMIDITY)), mean],
  ];
  let worst = -1;
  let why = "";
  for (const [name, values, pick] of checks) {
    if (!values.length) continue;
    const value = pick(values);
    const band = COMFORT[name];
    const g = grade(value, band);
    if (g > worst) {
      worst = g;
      const shown = formatNumber(Math.round(value * 10) / 10);
      why = g === 0 ? "comfortable" : `${name === "co2" ? "CO₂" : name} ${shown} ${band.unit}`;
    }
  }
  if (worst < 0) return NO_DATA;
  return { cls: ["c-good", "c-fair", "c-poor"][worst], label: why };
}

function alarms(room) {
  const standing = room.alarms.filter((a) => STANDING.has(a.state));
  if (!standing.length) {
    const hidden = room.alarms.length;
    return { cls: "a-none", label: hidden ? `${hidden} hidden` : "no alarms" };
  }
  const ranks = standing.map((a) => PRIORITY_NAMES.indexOf(a.priority)).filter((i) => i >= 0);
  const worst = Math.min(...ranks);
  const name = PRIORITY_NAMES[worst] || "low";
  const label = standing.length === 1 ? `1 ${name} alarm` : `${standing.length} alarms, ${name}`;
  return { cls: `a-${name}`, label };
}

export const LAYERS = {
  temperature: {
    label: "Temperature",
    evaluate: temperature,
    legend: [["t-cold", "below 18 °C"], ["t-cool", "18–20 °C"], ["t-ok", "20–24 °C"],
      ["t-warm", "24–26 °C"], ["t-hot", "26 °C and above"], ["none", "no data"]],
  },
  occupancy: {
    label: "Occupancy",
    evaluate: occupancy,
    legend: [["o-vacant", "vacant"], ["o-low", "occupied, up to 5"], ["o-mid", "6–20 people"],
      ["o-high", "more than 20"], ["none", "no data"]],
  },
  comfort: {
    label: "Comfort",
    evaluate: comfort,
    legend: [["c-good", "comfortable: 20–25 °C, CO₂ ≤ 1000 ppm, 30–60 % RH"],
      ["c-fair", "fair: 19–26 °C, CO₂ ≤ 1400 ppm, 25–70 % RH"], ["c-poor", "poor"],
      ["none", "no data"]],
  },
  alarms: {
    label: "Alarm state",
    evaluate: alarms,
    legend: [["a-critical", "critical"], ["a-high", "high"], ["a-medium", "medium"],
      ["a-low", "low"], ["a-none", "no standing alarm"]],
  },
};

/** A room's live readings (by the Brick class it was found by) and its alarms. */
export class RoomState {
  constructor(space) {
    this.space = space;
    this.samples = new Map(); // brick -> Map(point id -> sample)
    this.alarmsById = new Map();
  }

  readings(brick) {
    const found = this.samples.get(brick);
    return found ? [...found.values()] : [];
  }

  /** Keep a sample; false when it is older than the one kept. */
  put(brick, sample) {
    if (!this.samples.has(brick)) this.samples.set(brick, new Map());
    const kept = this.samples.get(brick);
    const old = kept.get(sample.point);
    if (old && Date.parse(old.ts) > Date.parse(sample.ts)) return false;
    kept.set(sample.point, sample);
    return true;
  }

  get alarms() {
    return [...this.alarmsById.values()];
  }

  evaluate(layer) {
    return LAYERS[layer].evaluate(this);
  }
}
