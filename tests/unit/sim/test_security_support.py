"""Helpers for the security and life-safety tests: a probe that watches the building step by step.

Not a test module itself (it holds no tests); its name keeps it among this group's files.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from penworks.sim.building import SITE_TZ, Building
from penworks.sim.devices import SimDevice
from penworks.sim.scenarios import ScenarioKind
from penworks.sim.world import System, World

MONDAY = datetime(2025, 3, 3, tzinfo=SITE_TZ)  # a working day, in March
SATURDAY = datetime(2025, 3, 8, tzinfo=SITE_TZ)


def at(day: datetime, hour: float) -> datetime:
    return day + timedelta(hours=hour)


@dataclass
class Probe:
    """A system stepped after the ones under test: it calls `look` with each step's world."""

    look: Callable[[World], None]
    name: str = "probe"
    seen: int = field(default=0)

    def devices(self) -> list[SimDevice]:
        return []

    def step(self, world: World) -> None:
        self.seen += 1
        self.look(world)

    def scenario_targets(self) -> dict[ScenarioKind, list[str]]:
        return {}


def building(
    systems: Sequence[System], start: datetime, *, seed: int = 15, probe: Probe | None = None
) -> Building:
    return Building(start, [*systems, *([probe] if probe else [])], seed=seed)


def run_until(b: Building, when: datetime, check: Callable[[], None] | None = None) -> None:
    """Step to `when`, calling `check` after every step."""
    while b.now < when:
        b.advance_to(b.now + timedelta(seconds=30))
        if check is not None:
            check()
