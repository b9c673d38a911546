"""The energy app in control of Building 15's twin through the whole platform (in lockstep,
fixed-schedule local controls): empty rooms are set back and dark, occupied ones dimmed to
the target, the air handlers follow occupancy, an operator's command wins, lights left on
in an empty room become an alarm with its waste, and comfort is judged per space."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from penworks.apps.energy.app import EnergyApp
from penworks.apps.energy.strategies import ControlSettings
from penworks.config import (
    DEFAULT_SITE,
    ApiConfig,
    AppConfig,
    PlatformConfig,
    site_automation,
    site_sharing,
)
from penworks.control import Actor, ActorKind, CommandRequest, CommandStatus
from penworks.loopback import Lockstep, platform_on_twin, running
from penworks.model import SiteModel
from penworks.runtime import Platform
from penworks.sim.scenarios import ScenarioKind
from penworks.sim.twin import Controls, building15

# Tuesday 14 July 2026, 06:00 in Shanghai: offices fill from about 08:00.
START = datetime(2026, 7, 13, 22, 0, tzinfo=UTC)
OFFICE = "b15.f3.r301"
AHU2 = "b15.roof.roof.ahu2"
OPERATOR = Actor(ActorKind.OPERATOR, "li.wei")


@dataclass
class Run:
    platform: Platform
    lockstep: Lockstep
    app: EnergyApp

    def value(self, point: str) -> Any:
        assert self.app.controller is not None
        return self.app.controller.values.get(point)

    def sent(self, point: str) -> Any:
        assert self.app.controller is not None
        return self.app.controller.sent.get(point, "unset")

    async def until(self, hours: float) -> None:
        await self.lockstep.run_until(START + timedelta(hours=hours), 60)


@pytest.fixture(scope="module")
def model() -> SiteModel:
    return SiteModel.load(DEFAULT_SITE)


@pytest.fixture
async def run(model: SiteModel, tmp_path: Path) -> AsyncIterator[Run]:
    building = building15(START, controls=Controls.FIXED)
    # Lights left on in an office nobody uses today, from 09:00 to 12:00.
    building.inject(ScenarioKind.LEFT_ON, "f4/s402", START + timedelta(hours=3), 3 * 3600)
    config = PlatformConfig(
        site=DEFAULT_SITE,
        data_dir=tmp_path,
        api=ApiConfig(port=0),
        automation=site_automation(DEFAULT_SITE),
        access=site_sharing(DEFAULT_SITE),
        apps={"energy": AppConfig()},
    )
    platform, lockstep = platform_on_twin(config, building, model)
    async with running(platform):
        hosted = platform.apps.hosted["energy"]
        assert isinstance(hosted.app, EnergyApp)
        yield Run(platform, lockstep, hosted.app)


async def test_the_app_runs_the_building_and_an_operator_wins(run: Run) -> None:
    """One simulated morning (a twin run is the costly part): each stage checks its own."""
    await run.until(1)  # 07:00: nobody yet
    assert run.value(f"{OFFICE}.light.occupied") is False
    assert run.sent(f"{OFFICE}.light.level") == 0.0  # the schedule has them on: off
    settings = ControlSettings()
    setbacks = (None, settings.setback_cooling_c, settings.after_hours_cooling_c)
    assert run.sent(f"{OFFICE}.vav.occupied_cooling_setpoint") in setbacks

    # 10:00: an operator switches the lights of another office on at level 8
    await run.until(4)
    control = run.platform.automation.control
    other = "b15.f3.r302.light.level"
    outcome = await control.submit(
        CommandRequest(point=other, value=100.0, priority=8, actor=OPERATOR, reason="a demo")
    )
    assert outcome.status is CommandStatus.CONFIRMED

    await run.until(5)  # 11:00: the office is in use
    assert run.value(f"{OFFICE}.light.occupied") is True
    assert run.sent(f"{OFFICE}.vav.occupied_cooling_setpoint") is None  # let go: comfort
    level = run.value(f"{OFFICE}.light.level")
    assert isinstance(level, int | float)
    assert 10 <= level < 100  # dimmed with daylight
    assert run.value(f"{OFFICE}.light.illuminance") == pytest.approx(500, abs=150)
    assert run.value(f"{AHU2}.occupancy_command") == 2  # occupied while people are in
    assert run.app.controller is not None
    used = {s["id"]: s["commands"] for s in run.app.controller.state()["strategies"]}
    assert used["setback"] > 0
    assert used["lighting"] > 0
    assert used["optimal_start"] > 0
    # the app kept deciding below level 8: the operator's level holds the other office
    snapshot = control.priority_array(other)
    assert snapshot.effective == 100.0
    assert snapshot.effective_priority == 8
    assert run.value(other) == 100

    # comfort per space from the hours sampled so far
    comfort = run.app.comfort_json(set(run.app.plant.zones))
    office = {s["space"]: s for s in comfort["spaces"]}[OFFICE]
    assert office["class"] in ("comfortable", "warm", "cool", "poor_air")
    assert office["pmv"] is not None
    assert -3 < office["pmv"] < 3
    assert office["hours_occupied"] >= 2
    assert comfort["summary"]["occupied_zone_hours"] > 10

    # 13:00: the lights left on in an empty room since 09:00 are an alarm with their waste
    await run.until(7)
    anomalies = [a for a in run.app.anomalies() if a.kind == "left_on"]
    left = [a for a in anomalies if a.subject == "b15.f4.s402"]
    assert left, [a.subject for a in anomalies]
    assert left[0].waste_kwh > 0
    assert left[0].cost > 0
    alarm = run.platform.automation.alarms.get("app.energy.left_on:b15.f4.s402.light.level")
    assert alarm is not None, "the left-on anomaly raised no alarm"
