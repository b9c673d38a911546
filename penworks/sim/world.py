"""What every system of the twin sees at a step, and what it leaves for the others.

A `World` is handed to each system in turn, in a fixed order. It carries the instant (UTC
and local), the step length, the weather, the people (presence and this step's moves),
the scenarios in force, the electrical loads the systems draw (the power system meters
them last) and the shared readings systems publish for each other (a zone's temperature
for the environment sensors, the fire panel's alarms for the lifts and the air handlers).
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from penworks.sim.devices import SimDevice
from penworks.sim.people import Move, People
from penworks.sim.scenarios import ScenarioKind, Scenarios
from penworks.sim.weather import WeatherSample


@dataclass(frozen=True, slots=True)
class Load:
    """Electric power drawn (kW; negative: generated) on a circuit of the building."""

    kw: float
    system: str  # hvac, lighting, plug, lifts, ev, water, security, it, pv
    floor: str  # b1, f1, ..., roof
    tenant: str | None = None


@dataclass(slots=True)
class PowerLedger:
    """The loads of one step; the power system turns them into meter readings."""

    loads: list[Load] = field(default_factory=list)

    def draw(self, kw: float, system: str, floor: str, tenant: str | None = None) -> None:
        self.loads.append(Load(kw, system, floor, tenant))

    def total(self) -> float:
        return sum(load.kw for load in self.loads)

    def by(self, key: str) -> dict[str, float]:
        """kW per system, floor or tenant."""
        out: dict[str, float] = defaultdict(float)
        for load in self.loads:
            name = getattr(load, key)
            if name is not None:
                out[name] += load.kw
        return dict(out)


@dataclass(slots=True)
class World:
    now: datetime  # UTC, aware
    local: datetime  # site time, aware
    dt: float  # seconds simulated by this step
    weather: WeatherSample
    people: People
    moves: list[Move]  # the moves of this step, oldest first
    scenarios: Scenarios
    rng: random.Random  # for this step's noise; systems keep their own for their state
    power: PowerLedger = field(default_factory=PowerLedger)
    # Readings systems share: 'f3/r301.temp', 'fire.alarm.f3', 'f3/r301.co2' ... by convention
    # '<place>.<quantity>' for places and '<system>.<what>' for building-wide facts.
    shared: dict[str, float | bool | str] = field(default_factory=dict)

    @property
    def hour(self) -> float:
        """Local hour of the day with its fraction."""
        return self.local.hour + self.local.minute / 60 + self.local.second / 3600

    @property
    def working_day(self) -> bool:
        return self.local.weekday() < 5


class System(Protocol):
    """One vertical system of the building: its devices and how they behave."""

    name: str

    def devices(self) -> list[SimDevice]:
        """Every device of the system (fixed for the life of the twin)."""
        ...

    def step(self, world: World) -> None:
        """Advance by world.dt: read commands from devices, update physics, set readings."""
        ...

    def scenario_targets(self) -> dict[ScenarioKind, list[str]]:
        """The scenarios this system acts out, and where they can happen."""
        ...
