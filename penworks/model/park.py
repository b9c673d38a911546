"""A park of buildings made from one: copies of a building under ids of their own.

`park_site(site, count)` gives a site of `count` buildings, the first being the site's own
building and the others copies of it (b15, b16, ... for Building 15), every full id, topic and
reference moved to the copy's id. Every device point is bound to MQTT, one topic per
equipment or space, so that one load generator (`penworks sim --park N`) can stand for the
devices of every building, whatever protocols the original building's devices speak:

    <building>/<floor>/<holder>/data     {"ts": ..., "<point local id>": value, ...}
    <building>/<floor>/<holder>/set      commands, {"<point local id>": value}

Points the site binds to MQTT already keep their topics (moved to the copy's id).
Health and schedule points keep their bindings: the platform serves them itself.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from penworks.core import PointKind
from penworks.model.schema import SiteDef

_DEVICE_CONNECTORS = frozenset({"modbus", "bacnet", "opcua"})
_NUMBERED = re.compile(r"^([a-z_]*?)(\d+)$")


@dataclass(frozen=True, slots=True)
class Feed:
    """One topic the park's devices publish on, and the points it carries."""

    topic: str
    fields: tuple[tuple[str, PointKind, float, float], ...]  # (JSON key, kind, low, high)


def building_ids(first: str, count: int) -> list[str]:
    """b15 -> b15, b16, ...; an id without a number gets _2, _3, ..."""
    if count < 1:
        raise ValueError("a park needs at least one building")
    match = _NUMBERED.match(first)
    if match is None:
        return [first] + [f"{first}_{i}" for i in range(2, count + 1)]
    stem, number = match.group(1), int(match.group(2))
    width = len(match.group(2))
    return [f"{stem}{number + i:0{width}d}" for i in range(count)]


def park_site(site: SiteDef, count: int) -> SiteDef:
    """`site` (templates applied, one building) as a park of `count` such buildings."""
    if len(site.buildings) != 1:
        raise ValueError(f"a park is made from a site of one building, not {len(site.buildings)}")
    original = site.buildings[0].model_dump(mode="json", exclude_none=True)
    buildings = []
    for number, new_id in enumerate(building_ids(original["id"], count), start=1):
        copy = _moved(original, original["id"], new_id)
        if number > 1:
            copy["name"] = f"{original.get('name') or original['id']} ({new_id})"
        _bind_to_mqtt(copy, [new_id])
        buildings.append(copy)
    data = site.model_dump(mode="json", exclude_none=True)
    data.update(buildings=buildings, templates={}, include=[])
    return SiteDef.model_validate(data)


def feeds(site: SiteDef) -> list[Feed]:
    """The topics of a park site's device points, for a load generator to publish on."""
    found: dict[str, list[tuple[str, PointKind, float, float]]] = {}
    for point in _points(site.model_dump(mode="json", exclude_none=True)):
        binding = point.get("binding") or {}
        if binding.get("connector") != "mqtt":
            continue
        key = str(binding.get("path", "$")).removeprefix("$.")
        limits = point.get("limits") or {}
        low = float(limits.get("min", 0.0))
        high = float(limits.get("max", low + 100.0))
        found.setdefault(binding["topic"], []).append(
            (key, PointKind(point.get("kind", "number")), low, high)
        )
    return [Feed(topic, tuple(fields)) for topic, fields in found.items()]


def _moved(node: Any, old: str, new: str) -> Any:
    """Every id, topic and reference under `old` moved to `new`."""
    if isinstance(node, dict):
        return {key: _moved(value, old, new) for key, value in node.items()}
    if isinstance(node, list):
        return [_moved(value, old, new) for value in node]
    if isinstance(node, str):
        if node == old:
            return new
        for sep in (".", "/"):
            if node.startswith(old + sep):
                return new + node[len(old) :]
    return node


def _bind_to_mqtt(node: dict[str, Any], path: list[str]) -> None:
    """Device points (Modbus, BACnet, OPC UA) onto their holder's MQTT topic."""
    topic = "/".join(path)
    for point in node.get("points", []):
        binding = point.get("binding")
        if binding is None or binding.get("connector") not in _DEVICE_CONNECTORS:
            continue
        mqtt: dict[str, Any] = {
            "connector": "mqtt",
            "topic": f"{topic}/data",
            "path": f"$.{point['id']}",
            "ts_path": "$.ts",
        }
        if point.get("writable"):
            mqtt.update(command_topic=f"{topic}/set", command_key=point["id"])
        point["binding"] = mqtt
    for key in ("floors", "spaces", "equipment", "parts"):
        for child in node.get(key, []):
            _bind_to_mqtt(child, [*path, child["id"]])


def _points(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        yield from node.get("points", [])
        for key in ("buildings", "floors", "spaces", "equipment", "parts"):
            for child in node.get(key, []):
                yield from _points(child)
