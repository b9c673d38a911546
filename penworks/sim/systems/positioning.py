"""Positioning: BLE/UWB locator gateways report the tags in their space.

Everyone carries a tag (staff, guards and cleaners their own, visitors one issued at the
desk). A locator gateway in each zone, fan-coil room, plant room, electrical room, car park
and on the roof (MQTT 'b15/<floor>/<space>/rtls') reports how many tags it sees, their ids
(sorted, comma-separated, the first MAX_LISTED), how many are visitors' and which of them
report a low battery. A few staff tags (LOW_BATTERY_SHARE, seeded) have a low battery;
visitors' tags are charged at the desk. The gateways are PoE devices on the IT circuit.
"""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import date

from penworks.core import PointKind
from penworks.sim.devices import DeviceType, PointSpec, SimDevice
from penworks.sim.people import OUTSIDE, People
from penworks.sim.scenarios import ScenarioKind
from penworks.sim.systems.spaces_common import ROOMS, mqtt_device
from penworks.sim.world import World

MAX_LISTED = 50
LOW_BATTERY_SHARE = 0.03
GATEWAY_W = 6.0
OTHER_SPACES: tuple[tuple[str, str], ...] = (
    ("b1", "carpark"),
    ("b1", "plant"),
    ("b1", "elec"),
    ("roof", "roof"),
)

LOCATOR_GATEWAY = DeviceType(
    "LG-2 BLE/UWB locator gateway",
    "mqtt",
    (
        PointSpec("tag_count", description="Tags seen in the space", default=0),
        PointSpec(
            "tags",
            PointKind.TEXT,
            description=f"Tag ids seen, sorted, comma-separated (the first {MAX_LISTED})",
            default="",
        ),
        PointSpec("visitors", description="Visitors' tags seen", default=0),
        PointSpec(
            "low_battery", PointKind.TEXT, description="Tags seen with a low battery", default=""
        ),
    ),
    vendor="Trackwise",
)


class Positioning:
    name = "positioning"

    def __init__(self, seed: int) -> None:
        self.seed = seed
        spaces = [(r.floor, r.space) for r in ROOMS] + list(OTHER_SPACES)
        self._gateways = {
            f"{floor}/{space}": mqtt_device(
                (floor, space), "rtls", f"Locator gateway {floor}/{space}", LOCATOR_GATEWAY
            )
            for floor, space in spaces
        }
        self._tags: dict[str, set[str]] = defaultdict(set)  # place -> tags there
        self._at: dict[str, str] = {}  # person -> place
        self._low: dict[str, bool] = {}
        self._day: date | None = None
        per_floor: dict[str, int] = defaultdict(int)
        for place in self._gateways:
            per_floor[place.split("/", 1)[0]] += 1
        self._loads = {floor: n * GATEWAY_W / 1000 for floor, n in per_floor.items()}

    def devices(self) -> list[SimDevice]:
        return list(self._gateways.values())

    def scenario_targets(self) -> dict[ScenarioKind, list[str]]:
        return {}

    def low_battery(self, tag: str) -> bool:
        """Whether a tag's battery is low (seeded per tag; visitors' tags are fresh)."""
        if tag.startswith("v"):
            return False  # charged at the desk (and not remembered: new ones every day)
        low = self._low.get(tag)
        if low is None:
            low = random.Random(f"{self.seed}:battery:{tag}").random() < LOW_BATTERY_SHARE
            self._low[tag] = low
        return low

    def step(self, world: World) -> None:
        people = world.people
        if self._day != world.local.date():  # settle (and drop yesterday's visitors)
            self._day = world.local.date()
            changed = self._rebuild(people)
        else:
            changed = set()
            for move in world.moves:
                changed |= self._move(people, move.person, move.to)
        for place in changed:
            self._publish(place)
        for floor, kw in self._loads.items():
            world.power.draw(kw, "it", floor)

    def _rebuild(self, people: People) -> set[str]:
        stale = {p for p, tags in self._tags.items() if tags}
        self._tags.clear()
        self._at.clear()
        for person, where in people.where.items():
            self._move(people, person, where)
        return (stale | set(self._tags)) & set(self._gateways)

    def _move(self, people: People, person: str, to: str) -> set[str]:
        """Follow a person's tag; the places whose list changed."""
        who = people.by_id.get(person)
        if who is None:
            return set()
        before = self._at.pop(person, OUTSIDE)
        self._tags[before].discard(who.tag)
        if to != OUTSIDE:
            self._at[person] = to
            self._tags[to].add(who.tag)
        return {before, to} & self._gateways.keys()

    def _publish(self, place: str) -> None:
        tags = sorted(self._tags.get(place, ()))
        device = self._gateways[place]
        device.set("tag_count", len(tags))
        device.set("tags", ",".join(tags[:MAX_LISTED]))
        device.set("visitors", sum(t.startswith("v") for t in tags))
        device.set("low_battery", ",".join(t for t in tags if self.low_battery(t)))
