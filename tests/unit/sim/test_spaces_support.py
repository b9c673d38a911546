"""What the spaces systems' tests share: the systems, worlds made by hand, a recorded day.

No tests here: `working_day()` runs all eight systems through a Wednesday once per session
(about 3 s) and records what the other modules check; `world_at` builds a single World for
checks of one decision (a blind's policy, a dimming level).
"""

from __future__ import annotations

import functools
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from penworks.core import Value, utc
from penworks.sim.building import SITE_TZ, Building
from penworks.sim.people import OUTSIDE, Move, People
from penworks.sim.scenarios import Scenarios
from penworks.sim.systems.blinds import Blinds
from penworks.sim.systems.counting import Counting
from penworks.sim.systems.elevators import Elevators
from penworks.sim.systems.environment import Environment
from penworks.sim.systems.lighting import Lighting
from penworks.sim.systems.meeting import Meeting
from penworks.sim.systems.positioning import Positioning
from penworks.sim.systems.screens import Screens
from penworks.sim.weather import WeatherSample
from penworks.sim.world import System, World
from tests.unit.sim.probing import Passive

SEED = 15
WEDNESDAY = datetime(2026, 7, 15, tzinfo=SITE_TZ)  # a working day in summer
SNAPSHOT_EVERY = 10  # steps between full snapshots of every device in the recorded day


def spaces_systems(seed: int = SEED) -> list[System]:
    """The eight systems in the building's step order."""
    return [
        Lighting(seed),
        Blinds(seed),
        Environment(seed),
        Elevators(seed),
        Counting(seed),
        Positioning(seed),
        Meeting(seed),
        Screens(seed),
    ]


def at(day: datetime, hour: float) -> datetime:
    """A local instant on a day, hour with its fraction."""
    return day + timedelta(hours=hour)


class Probe(Passive):
    """A system that does what a test needs each step (set shared readings, record)."""

    name = "probe"

    def __init__(self, act: Callable[[World], None]) -> None:
        self._act = act

    def step(self, world: World) -> None:
        self._act(world)


def world_at(
    local: datetime,
    *,
    solar: float = 0.0,
    daily_mean: float = 25.0,
    people_at: dict[str, int] | None = None,
    shared: dict[str, float | bool | str] | None = None,
    scenarios: Scenarios | None = None,
    dt: float = 30.0,
    people: People | None = None,
) -> World:
    """One World made by hand: chosen weather, people placed by count."""
    crowd = people or People(SEED, SITE_TZ)
    crowd.count.clear()
    crowd.count.update(people_at or {})
    return World(
        now=utc(local),
        local=local,
        dt=dt,
        weather=WeatherSample(daily_mean, 60.0, solar, daily_mean),
        people=crowd,
        moves=[],
        scenarios=scenarios or Scenarios(),
        rng=random.Random(0),
        shared={} if shared is None else shared,
    )


@dataclass
class Step:
    local: datetime
    people: dict[str, int]  # place -> people there
    lights: dict[str, tuple[float, bool, str]]  # place -> level, occupied, mode
    cars: list[tuple[float, int, str]]  # Position, CurrentFloor, DoorState
    loads: dict[str, float]  # kW per system
    light_kw: dict[str, float]  # what each light controller's power point says
    moves: list[Move]


@dataclass
class Day:
    building: Building
    steps: list[Step] = field(default_factory=list)
    snapshots: list[tuple[Step, dict[str, dict[str, Value]], dict[str, str]]] = field(
        default_factory=list
    )  # (step, device values, where each tag is: tag -> place, for everyone inside)

    def system(self, name: str) -> System:
        return self.building.system(name)

    def moves(self) -> list[Move]:
        return [m for s in self.steps for m in s.moves]


@functools.cache
def working_day() -> Day:
    """All eight systems through a Wednesday from midnight to midnight, recorded."""
    systems = spaces_systems()
    devices = [d for s in systems for d in s.devices()]
    lights = systems[0].devices()
    cars = [d for d in systems[3].devices() if d.name != "lift_group"]
    steps: list[Step] = []
    snapshots: list[tuple[Step, dict[str, dict[str, Value]], dict[str, str]]] = []

    def record(world: World) -> None:
        people = {p: n for p, n in world.people.count.items() if n > 0}
        step = Step(
            local=world.local,
            people=people,
            lights={
                str(d.location): (
                    float(d.get("level")),
                    bool(d.get("occupied")),
                    str(d.get("mode")),
                )
                for d in lights
            },
            cars=[
                (float(c.get("Position")), int(c.get("CurrentFloor")), str(c.get("DoorState")))
                for c in cars
            ],
            loads=world.power.by("system"),
            light_kw={str(d.location): float(d.get("power")) / 1000 for d in lights},
            moves=list(world.moves),
        )
        steps.append(step)
        if len(steps) % SNAPSHOT_EVERY == 0:
            values = {d.name: dict(d.values) for d in devices}
            by_id = world.people.by_id
            tags = {by_id[p].tag: w for p, w in world.people.where.items() if w != OUTSIDE}
            snapshots.append((step, values, tags))

    building = Building(WEDNESDAY, [*systems, Probe(record)], seed=SEED)
    building.advance_to(WEDNESDAY + timedelta(days=1))
    return Day(building, steps, snapshots)
