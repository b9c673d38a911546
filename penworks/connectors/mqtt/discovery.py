"""What a scan makes of the payloads it sees: one DiscoveredPoint per JSON leaf, with hints.

Brick classes and units are suggested by penworks.connectors.hints, shared by every protocol.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

from penworks.connectors.base import DiscoveredPoint
from penworks.connectors.hints import suggest_brick, unit_from_name, words
from penworks.connectors.mqtt.jsonpath import format_path
from penworks.core import PointKind, Value

MAX_DEPTH = 8
MAX_ITEMS = 32  # array items looked at, per array
MAX_LEAVES = 256  # leaves taken from one payload

UNIT_KEYS = frozenset({"unit", "units", "uom"})
GENERIC_NAMES = frozenset({"value", "val", "state", "reading", "data", "$"})
TIME_WORDS = frozenset({"ts", "time", "timestamp", "datetime", "date"})


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
