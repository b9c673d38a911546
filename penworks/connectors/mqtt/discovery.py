"""What a scan makes of the payloads it sees: one DiscoveredPoint per JSON leaf, with hints.

Hints are data: key-name words and unit symbols mapped to Brick classes and units.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator

from penworks.connectors.base import DiscoveredPoint
from penworks.connectors.mqtt.jsonpath import format_path
from penworks.core import PointKind, Value

MAX_DEPTH = 8
MAX_ITEMS = 32  # array items looked at, per array
MAX_LEAVES = 256  # leaves taken from one payload

# (words of which any, words of which all must appear) -> Brick class; first match wins.
BRICK_BY_WORDS: tuple[tuple[frozenset[str], frozenset[str], str], ...] = tuple(
    (frozenset(any_of.split()), frozenset(all_of.split()), brick)
    for any_of, all_of, brick in (
        ("temp temperature", "setpoint", "Temperature_Setpoint"),
        ("temp temperature", "sp", "Temperature_Setpoint"),
        ("setpoint sp", "", "Setpoint"),
        ("temp temperature", "", "Temperature_Sensor"),
        ("co2", "", "CO2_Sensor"),
        ("humidity rh hum", "", "Humidity_Sensor"),
        ("energy kwh wh", "", "Energy_Sensor"),
        ("power kw watts", "", "Electric_Power_Sensor"),
        ("occupied occupancy presence occ", "", "Occupancy_Sensor"),
        ("lux illuminance lx", "", "Illuminance_Sensor"),
        ("voltage volt volts", "", "Voltage_Sensor"),
        ("current amps ampere", "", "Current_Sensor"),
        ("pressure", "", "Pressure_Sensor"),
        ("flow", "", "Flow_Sensor"),
        ("voc tvoc", "", "TVOC_Sensor"),
        ("co", "", "CO_Sensor"),
    )
)

BRICK_BY_UNIT: dict[str, str] = {
    "degC": "Temperature_Sensor",
    "degF": "Temperature_Sensor",
    "K": "Temperature_Sensor",
    "kW": "Electric_Power_Sensor",
    "W": "Electric_Power_Sensor",
    "kWh": "Energy_Sensor",
    "Wh": "Energy_Sensor",
    "MWh": "Energy_Sensor",
    "lx": "Illuminance_Sensor",
    "%RH": "Humidity_Sensor",
    "Pa": "Pressure_Sensor",
    "kPa": "Pressure_Sensor",
    "V": "Voltage_Sensor",
    "A": "Current_Sensor",
}

# The last word of a key, when it names a unit: temp_c, power_kw, co2_ppm.
UNIT_BY_SUFFIX: dict[str, str] = {
    "c": "degC",
    "degc": "degC",
    "celsius": "degC",
    "f": "degF",
    "degf": "degF",
    "pct": "%",
    "percent": "%",
    "ppm": "ppm",
    "kw": "kW",
    "w": "W",
    "kwh": "kWh",
    "wh": "Wh",
    "lux": "lx",
    "lx": "lx",
    "pa": "Pa",
    "kpa": "kPa",
    "v": "V",
}

UNIT_KEYS = frozenset({"unit", "units", "uom"})
GENERIC_NAMES = frozenset({"value", "val", "state", "reading", "data", "$"})
TIME_WORDS = frozenset({"ts", "time", "timestamp", "datetime", "date"})

_SEPARATORS = re.compile(r"[^A-Za-z0-9]+")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z][a-z]{2,})")  # zoneAirTemp, but not kWh or co2


def words(name: str) -> list[str]:
    """Lower-case words of a key: 'zoneAirTemp' and 'zone_air_temp' give zone, air, temp."""
    return [word.lower() for part in _SEPARATORS.split(name) for word in _CAMEL.split(part) if word]


def _has(found: list[str], hint: str) -> bool:
    """Whether a word is the hint, or starts with it when the hint is long (temperature: temp)."""
    return any(w == hint or (len(hint) >= 4 and w.startswith(hint)) for w in found)


def suggest_brick(name: str, unit: str | None = None) -> str | None:
    """A Brick class that a key name (or failing that its unit) suggests, if any."""
    found = words(name)
    for any_of, all_of, brick in BRICK_BY_WORDS:
        if any(_has(found, h) for h in any_of) and all(_has(found, h) for h in all_of):
            return brick
    return BRICK_BY_UNIT.get(unit) if unit is not None else None


def unit_from_name(name: str) -> str | None:
    """The unit a key's last word names (temp_c -> degC), if it names one."""
    found = words(name)
    return UNIT_BY_SUFFIX.get(found[-1]) if len(found) > 1 else None


def leaves(doc: object) -> Iterator[tuple[tuple[str | int, ...], Value, str | None]]:
    """(steps, value, unit from a sibling 'unit' key) of each number, bool and text leaf."""
    for count, leaf in enumerate(_walk(doc, (), None, 0), start=1):
        yield leaf
        if count >= MAX_LEAVES:
            return


def _walk(
    node: object, steps: tuple[str | int, ...], unit: str | None, depth: int
) -> Iterator[tuple[tuple[str | int, ...], Value, str | None]]:
    if isinstance(node, bool | int | str) or (isinstance(node, float) and math.isfinite(node)):
        yield steps, node, unit
    elif depth >= MAX_DEPTH:
        return
    elif isinstance(node, dict):
        units = (v for k, v in node.items() if k in UNIT_KEYS and isinstance(v, str))
        sibling_unit = next(units, None)
        for key, value in node.items():
            if key not in UNIT_KEYS:
                yield from _walk(value, (*steps, key), sibling_unit, depth + 1)
    elif isinstance(node, list):
        for i, item in enumerate(node[:MAX_ITEMS]):
            yield from _walk(item, (*steps, i), None, depth + 1)


def discover(connector: str, topic: str, doc: object) -> list[DiscoveredPoint]:
    """The points one decoded payload offers."""
    found = []
    for steps, value, sibling_unit in leaves(doc):
        name = _leaf_name(topic, steps)
        unit = sibling_unit or unit_from_name(name)
        path = format_path(steps)
        extra = {"topic": topic, "path": path}
        if set(words(name)) & TIME_WORDS:
            extra["hint"] = "timestamp"
        found.append(
            DiscoveredPoint(
                connector=connector,
                address=f"{topic} {path}",
                name=name,
                kind=_kind(value),
                unit=unit,
                suggested_brick=None if "hint" in extra else suggest_brick(name, unit),
                sample=value,
                extra=extra,
            )
        )
    return found


def _leaf_name(topic: str, steps: tuple[str | int, ...]) -> str:
    """The last key of the path; the topic's last level for a bare value or a generic key."""
    keys = [s for s in steps if isinstance(s, str)]
    name = keys[-1] if keys else "$"
    if name.lower() in GENERIC_NAMES:
        return topic.rsplit("/", 1)[-1]
    return name


def _kind(value: Value) -> str:
    if isinstance(value, bool):
        return PointKind.BOOL.value
    if isinstance(value, int | float):
        return PointKind.NUMBER.value
    return PointKind.TEXT.value
