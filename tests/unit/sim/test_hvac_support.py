"""Helpers for the HVAC tests: the four systems, a stand-in fire panel, a recorder.

Not a test module itself (it holds no tests); its name keeps it among this group's files.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from penworks.sim.building import SITE_TZ
from penworks.sim.systems.fcu import Fcu
from penworks.sim.systems.hvac_air import HvacAir
from penworks.sim.systems.hvac_water import HvacWater
from penworks.sim.systems.ventilation import Ventilation
from penworks.sim.world import System, World
from tests.unit.sim.probing import Passive

FRIDAY_IN_JULY = datetime(2026, 7, 17, tzinfo=SITE_TZ)  # a hot working day, then a weekend
WEDNESDAY_IN_JANUARY = datetime(2026, 1, 14, tzinfo=SITE_TZ)


def at(day: datetime, hour: float) -> datetime:
    return day + timedelta(hours=hour)


def hvac_systems(seed: int = 7) -> list[System]:
    return [HvacAir(seed), HvacWater(seed), Ventilation(seed), Fcu(seed)]


@dataclass
class FirePanel(Passive):
    """Stands in for the fire system: 'fire.alarm' between two instants (UTC-aware)."""

    alarm_from: datetime | None = None
    alarm_until: datetime | None = None
    name: str = "fire"

    def step(self, world: World) -> None:
        on = (
            self.alarm_from is not None
            and self.alarm_until is not None
            and self.alarm_from <= world.now < self.alarm_until
        )
        world.shared["fire.alarm"] = on
        world.shared["fire.floors"] = "f1" if on else ""


Row = dict[str, Any]


@dataclass
class Recorder(Passive):
    """Stepped last: keeps a row per step of what `take` reads from the world."""

    take: Callable[[World], Row]
    rows: list[Row] = field(default_factory=list)
    name: str = "recorder"

    def step(self, world: World) -> None:
        row = self.take(world)
        row["now"] = world.now
        row["hour"] = world.hour
        row["working"] = world.working_day
        self.rows.append(row)

    def between(self, start: datetime, end: datetime) -> list[Row]:
        return [r for r in self.rows if start <= r["now"] < end]
