"""Building 15 as a whole: people, weather, scenarios and every system, stepped together.

`Building.advance_to(when)` steps simulated time in fixed steps of STEP_S seconds: people
move, scenarios start and end, then each system steps in order (the order is the physics:
air before the sensors that read it, every load before the meters that sum them). The same
seed and start always give the same building, however fast the wall clock runs.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from penworks.core import utc
from penworks.core.repeats import repeated
from penworks.sim.devices import SimDevice
from penworks.sim.people import People
from penworks.sim.scenarios import Injection, ScenarioKind, Scenarios
from penworks.sim.truth import GroundTruth
from penworks.sim.weather import Weather
from penworks.sim.world import PowerLedger, System, World

SITE_TZ = ZoneInfo("Asia/Shanghai")
STEP_S = 30.0


class Building:
    def __init__(
        self,
        start: datetime,
        systems: Sequence[System],
        *,
        seed: int = 15,
        truth: GroundTruth | None = None,
    ) -> None:
        self.now = utc(start)
        self.seed = seed
        self.weather = Weather(seed)
        self.people = People(seed, SITE_TZ)
        self.systems = list(systems)
        self.truth = truth
        self.scenarios = Scenarios(self._targets())
        self.scenarios.record(self._on_scenario)
        if truth is not None:
            self.scenarios.record(truth.scenario)
        self.shared: dict[str, float | bool | str] = {}
        self._devices = [d for s in self.systems for d in s.devices()]
        twice = repeated(d.name for d in self._devices)
        if twice:
            raise ValueError(f"device names must be unique; repeated: {', '.join(twice)}")
        self.people.advance(self.now)
        self._step(0.0)  # settle: readings for the first instant, no time passes

    def devices(self) -> list[SimDevice]:
        return list(self._devices)

    def device(self, name: str) -> SimDevice:
        for device in self._devices:
            if device.name == name:
                return device
        raise KeyError(f"no device {name!r}")

    def system(self, name: str) -> System:
        for system in self.systems:
            if system.name == name:
                return system
        raise KeyError(f"no system {name!r}")

    def advance_to(self, when: datetime) -> None:
        """Step from the current instant up to `when` in fixed steps."""
        step = timedelta(seconds=STEP_S)
        while self.now + step <= when:
            self.now += step
            self._step(STEP_S)

    def inject(
        self,
        kind: ScenarioKind | str,
        target: str,
        start: datetime | None = None,
        duration_s: float | None = None,
        **params: object,
    ) -> Injection:
        """Schedule a scenario (now, unless a start is given)."""
        return self.scenarios.inject(kind, target, start or self.now, duration_s, **params)

    def _step(self, dt: float) -> None:
        moves = self.people.advance(self.now)
        self.scenarios.step(self.now)
        local = self.now.astimezone(SITE_TZ)
        world = World(
            now=self.now,
            local=local,
            dt=dt,
            weather=self.weather.at(local),
            people=self.people,
            moves=moves,
            scenarios=self.scenarios,
            rng=random.Random(f"{self.seed}:{self.now.isoformat()}"),
            power=PowerLedger(),
            shared=self.shared,
        )
        for system in self.systems:
            system.step(world)
        if self.truth is not None:
            self.truth.occupancy(self.now, self.people)

    def _targets(self) -> dict[ScenarioKind, list[str]]:
        targets: dict[ScenarioKind, set[str]] = {
            ScenarioKind.MEETING_NO_SHOW: set(self.people.meeting_rooms())
        }
        for system in self.systems:
            for kind, places in system.scenario_targets().items():
                targets.setdefault(kind, set()).update(places)
        return {kind: sorted(places) for kind, places in targets.items()}

    def _on_scenario(self, event: str, injection: Injection) -> None:
        if event == "start" and injection.kind is ScenarioKind.MEETING_NO_SHOW:
            self.people.no_show(injection.target, self.now)
