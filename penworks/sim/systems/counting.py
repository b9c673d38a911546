"""Counting: people counters over the building's entrances.

A stereo-vision counter stands at each entrance of layout.ENTRANCES: the main and side
doors of the lobby ('b15/f1/lobby/counter_main', 'counter_side', MQTT) and the door from
the car park ('b15/b1/carpark/counter'). Each counts the people crossing it (world.moves
through that entrance): in (into the building: from the street, or from the car park into
the lift lobby), out, and the occupancy since its nightly reset at 03:00 (in less out,
never below zero). A counter misses a few crossings (1-3 %, its own rate, seeded): people
walking side by side.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date

from penworks.sim.devices import DeviceType, PointSpec, SimDevice
from penworks.sim.layout import ENTRANCES
from penworks.sim.people import CARPARK, OUTSIDE, Move
from penworks.sim.scenarios import ScenarioKind
from penworks.sim.systems.spaces_common import mqtt_device
from penworks.sim.world import World

RESET_HOUR = 3
MISS_RATE = (0.01, 0.03)
# Where each counter stands, and the side of it that is outside.
_SITES: dict[str, tuple[tuple[str, str], str, str]] = {
    "main": (("f1", "lobby"), "counter_main", OUTSIDE),
    "side": (("f1", "lobby"), "counter_side", OUTSIDE),
    "carpark": (("b1", "carpark"), "counter", CARPARK),
}

PEOPLE_COUNTER = DeviceType(
    "PC-3D stereo people counter",
    "mqtt",
    (
        PointSpec("in_count", description="People counted in (cumulative)", default=0),
        PointSpec("out_count", description="People counted out (cumulative)", default=0),
        PointSpec("occupancy", description="In less out since 03:00", default=0),
    ),
    vendor="Countwise",
)


@dataclass(slots=True)
class _Counter:
    entrance: str
    device: SimDevice
    outer: str  # the place on the outside of the entrance
    miss_rate: float
    ins: int = 0
    outs: int = 0
    occupancy: int = 0


class Counting:
    name = "counting"

    def __init__(self, seed: int) -> None:
        self.seed = seed
        rates = random.Random(f"{seed}:counting")
        self._counters: dict[str, _Counter] = {}
        for entrance in ENTRANCES:
            where, device, outer = _SITES[entrance]
            label = f"People counter {entrance}"
            self._counters[entrance] = _Counter(
                entrance,
                mqtt_device(where, device, label, PEOPLE_COUNTER),
                outer,
                rates.uniform(*MISS_RATE),
            )
        self._misses = random.Random(f"{seed}:counting:misses")
        self._reset_on: date | None = None

    def devices(self) -> list[SimDevice]:
        return [c.device for c in self._counters.values()]

    def scenario_targets(self) -> dict[ScenarioKind, list[str]]:
        return {}

    def miss_rate(self, entrance: str) -> float:
        return self._counters[entrance].miss_rate

    def step(self, world: World) -> None:
        if world.local.hour >= RESET_HOUR and self._reset_on != world.local.date():
            self._reset_on = world.local.date()
            for counter in self._counters.values():
                counter.occupancy = 0
        for move in world.moves:
            if move.entrance in self._counters:
                self._count(self._counters[move.entrance], move)
        for c in self._counters.values():
            c.device.set("in_count", c.ins)
            c.device.set("out_count", c.outs)
            c.device.set("occupancy", c.occupancy)

    def _count(self, counter: _Counter, move: Move) -> None:
        if self._misses.random() < counter.miss_rate:
            return
        if move.origin == counter.outer:
            counter.ins += 1
            counter.occupancy += 1
        elif move.to == counter.outer:
            counter.outs += 1
            counter.occupancy = max(0, counter.occupancy - 1)
