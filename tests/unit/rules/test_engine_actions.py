"""What rules do: commands, notices and events on edges, alarm suppression, inputs found by
placeholders in every zone, and triggers on time."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest

from penworks.core import CommandRejected
from penworks.model import SiteModel
from penworks.rules.alarm_types import AlarmPriority
from tests.unit.rules.rule_support import (
    R301,
    R301_LIGHTS,
    R301_SP,
    SMALL_OFFICE,
    T0,
    Rig,
    eventually,
    running,
)

R302 = "b15.f3.r302.zone_air_temp"
R302_SP = "b15.f3.r302.vav.setpoint"

ZONES = """\
rules:
  - id: zone_too_warm
    for_each: {brick: Zone_Air_Temperature_Sensor}
    inputs:
      setpoint: {brick: Zone_Air_Temperature_Setpoint, within: "{space}"}
      occupied: {schedule: office_hours}
    when: "value > setpoint + 3"
    alarm: {priority: medium, message: "{point} is {value:.1f} (setpoint {setpoint:.1f})"}
    suppress_when: "not occupied"
    on_active:
      - command:
          select: {brick: Lighting_Level_Command, within: "{space}"}
          value: "min(100, value * 2)"
          priority: 11
      - notify:
          subject: "{name} too warm"
          body: "{value:.1f} in {space}"
          priority: high
          roles: [engineer]
      - event: {name: zone_hot, data: {temp: value, over: "value - setpoint", fixed: 1}}
    on_clear:
      - command:
          select: {brick: Lighting_Level_Command, within: "{space}"}
          value: null
          reason: "{space} cool again"
"""


@pytest.fixture(scope="module")
def model() -> SiteModel:
    return SiteModel.load(SMALL_OFFICE)


@pytest.fixture
def rig(model: SiteModel, tmp_path: Path) -> Rig:
    rig = Rig(model)
    rig.engine.replace(rig.load(tmp_path, ZONES))
    return rig


async def test_inputs_found_by_placeholder_in_every_zone(rig: Rig) -> None:
    assert rig.engine.rule("zone_too_warm").instances == 13
    async with running(rig):
        for point, value in ((R301_SP, 24.0), (R302_SP, 26.0), (R301, 28.0), (R302, 28.0)):
            await rig.publish(point, value)
        await rig.settled()
        assert rig.alarms.active() == {f"zone_too_warm:{R301}": True}
        await rig.publish(R302_SP, 24.5)  # r302's own setpoint, read through its input
        await rig.settled()
    assert rig.alarms.active() == {f"zone_too_warm:{R301}": True, f"zone_too_warm:{R302}": True}
    assert rig.alarms.changes[0].message == f"{R301} is 28.0 (setpoint 24.0)"
    assert [n.subject for n in rig.notices.sent] == [
        "Office 301 air temperature too warm",
        "Office 302 air temperature too warm",
    ]


async def test_actions_run_on_the_edges_only(rig: Rig) -> None:
    events = rig.bus.subscribe("event.rule.>", name="test-events")
    async with running(rig):
        await rig.publish(R301_SP, 24.0)
        await rig.publish(R301, 28.0)
        await rig.publish(R301, 29.0)  # still active: no new actions
        await rig.settled()
        await rig.publish(R301, 26.0)
        await rig.settled()
    assert rig.commands.sent == [
        (R301_LIGHTS, 56.0, 11, "zone_too_warm", f"rule zone_too_warm active ({R301})"),
        (R301_LIGHTS, None, 12, "zone_too_warm", "b15.f3.r301 cool again"),
    ]
    [notice] = rig.notices.sent
    assert notice.body == "28.0 in b15.f3.r301"
    assert notice.priority is AlarmPriority.HIGH
    assert notice.roles == ("engineer",)
    assert notice.area == "b15.f3"
    assert notice.key == f"zone_too_warm:{R301}"
    assert notice.ts == T0
    [(subject, message)] = await events.batch(10)
    assert subject == "event.rule.zone_too_warm"
    assert message == {
        "rule": "zone_too_warm",
        "name": "zone_hot",
        "key": f"zone_too_warm:{R301}",
        "point": R301,
        "active": True,
        "ts": T0.isoformat(),
        "data": {"temp": 28.0, "over": 4.0, "fixed": 1},
    }
    assert rig.engine.stats().actions == 4
    await events.close()


async def test_a_failing_action_is_counted_and_the_next_one_runs(rig: Rig) -> None:
    rig.commands.fail_with = CommandRejected("above the point's limit")
    async with running(rig):
        await rig.publish(R301_SP, 24.0)
        await rig.publish(R301, 28.0)
        await rig.settled()
    status = rig.engine.rule("zone_too_warm")
    assert status.errors == 1
    assert status.last_error == "CommandRejected: above the point's limit"
    assert rig.engine.stats().action_errors == 1
    assert len(rig.notices.sent) == 1  # the notice after the failed command still went out


async def test_suppression_by_design_follows_the_schedule(rig: Rig) -> None:
    async with running(rig):
        await rig.publish(R301_SP, 24.0)
        await rig.publish(R301, 28.0)
        rig.schedules.on["office_hours"] = False
        await rig.advance(minutes=1)  # the schedule poll sees it
        await rig.settled()
        rig.schedules.on["office_hours"] = True
        await rig.advance(minutes=1)
        await rig.settled()
    assert [(c.active, c.suppressed) for c in rig.alarms.changes] == [
        (True, False),
        (True, True),
        (True, False),
    ]
    assert len(rig.commands.sent) == 1  # suppression is not an edge


async def test_missing_sinks_fail_the_action_not_the_rule(model: SiteModel, tmp_path: Path) -> None:
    rig = Rig(model)
    rig.engine = type(rig.engine)(
        model, rig.bus, rig.clock, alarms=None, commands=None, notify=None, schedules=rig.schedules
    )
    rig.engine.replace(rig.load(tmp_path, ZONES))
    async with running(rig):
        await rig.publish(R301_SP, 24.0)
        await rig.publish(R301, 28.0)
        await rig.settled()
    status = rig.engine.rule("zone_too_warm")
    assert status.active == 1
    assert status.errors == 2
    assert status.last_error == "on_active[1]: no notifier is configured"


TIMED = """\
rules:
  - id: morning_check
    inputs: {occupied: {schedule: office_hours}}
    when: occupied
    at: ["09:30", "18:00"]
    on_active: [{event: {name: open}}]
    on_clear: [{event: {name: closed}}]
  - id: every_five
    inputs: {oat: {point: b15.roof.roof.ahu1.outside_air_temp}}
    when: "oat > 30"
    every: 5m
"""


async def test_time_triggers_evaluate_at_their_times(model: SiteModel, tmp_path: Path) -> None:
    rig = Rig(model)
    rig.schedules.on["office_hours"] = False
    rig.engine.replace(rig.load(tmp_path, TIMED))
    async with running(rig):
        start = {r.id: r.evaluations for r in rig.engine.rules()}
        assert start == {"every_five": 1, "morning_check": 1}  # once when added
        await rig.advance(minutes=4)
        assert rig.engine.rule("every_five").evaluations == 1
        await rig.advance(minutes=1)  # 09:05 local: a multiple of 5 minutes
        assert rig.engine.rule("every_five").evaluations == 2
        await rig.advance(minutes=24, seconds=59)
        assert rig.engine.rule("morning_check").evaluations == 1
        rig.schedules.on["office_hours"] = True  # seen at 09:30 (trigger) and by the poll
        await rig.advance(seconds=1)
        assert rig.engine.rule("morning_check").evaluations >= 2
        assert rig.engine.instances("morning_check")[0].active
        assert rig.engine.instances("morning_check")[0].since == T0 + timedelta(minutes=30)
        # 09:10 ... 09:25 were passed in one jump of the clock: they fired once, not four times
        assert rig.engine.rule("every_five").evaluations == 4
        await eventually(lambda: rig.engine.stats().pending_work == 0)


async def test_an_at_trigger_fires_again_the_next_day(model: SiteModel, tmp_path: Path) -> None:
    rig = Rig(model)
    rig.engine.replace(rig.load(tmp_path, TIMED))
    async with running(rig):
        before = rig.engine.rule("morning_check").evaluations
        await rig.advance(minutes=30)  # 09:30
        await rig.advance(hours=8, minutes=30)  # 18:00
        await rig.advance(hours=15, minutes=30)  # 09:30 the next day
        assert rig.engine.rule("morning_check").evaluations == before + 3


class SlowCommands:
    """A command path that holds commands for r301 until released (a read-back wait)."""

    def __init__(self) -> None:
        self.release = asyncio.Event()
        self.sent: list[tuple[str, object]] = []

    async def command(
        self, point: str, value: object, priority: int, *, source: str, reason: str
    ) -> None:
        if point == R301_LIGHTS:
            await self.release.wait()
        self.sent.append((point, value))


async def test_a_slow_command_holds_up_only_its_own_instance(rig: Rig, tmp_path: Path) -> None:
    slow = SlowCommands()
    rig.engine = type(rig.engine)(
        rig.model,
        rig.bus,
        rig.clock,
        alarms=rig.alarms,
        commands=slow,
        notify=rig.notices,
        schedules=rig.schedules,
    )
    rig.engine.replace(rig.load(tmp_path, ZONES))
    async with running(rig):
        for point, value in ((R301_SP, 24.0), (R302_SP, 24.0), (R301, 28.0)):
            await rig.publish(point, value)
        await rig.publish(R301, 26.0)  # cleared while its command still waits
        await rig.publish(R302, 28.0)  # observations are still handled meanwhile
        await eventually(lambda: ("b15.f3.r302.lights.level", 56.0) in slow.sent)
        assert slow.sent == [("b15.f3.r302.lights.level", 56.0)]
        assert [c.active for c in rig.alarms.changes] == [True, False, True]
        slow.release.set()
        await rig.settled()
    r301 = [value for point, value in slow.sent if point == R301_LIGHTS]
    assert r301 == [56.0, None]  # the relinquish never overtook the command


AREAS = """\
rules:
  - id: co2_high
    for_each: {brick: Zone_CO2_Level_Sensor, within: b15.f3}
    inputs:
      setpoint: {brick: Zone_Air_Temperature_Setpoint, within: "{space}"}
    when: "value > 1000"
    alarm: {priority: low, message: "{value} ppm (setpoint {setpoint})", area: "{space}"}
  - id: co2_by_setpoint
    for_each: {brick: Zone_CO2_Level_Sensor, within: b15.f3}
    inputs:
      setpoint: {brick: Zone_Air_Temperature_Setpoint, within: "{space}"}
    when: "value > 1000"
    alarm: {priority: low, message: "{value}", area: "{setpoint}"}
"""


async def test_alarm_areas_and_unknown_names_in_messages(model: SiteModel, tmp_path: Path) -> None:
    rig = Rig(model)
    rig.engine.replace(rig.load(tmp_path, AREAS))
    async with running(rig):
        await rig.publish("b15.f3.r302.zone_co2", 1200)
        await rig.settled()
    by_rule = {c.rule: c for c in rig.alarms.changes}
    assert by_rule["co2_high"].area == "b15.f3.r302"
    assert by_rule["co2_high"].message == "1200 ppm (setpoint ?)"  # not read yet
    assert by_rule["co2_by_setpoint"].area == "b15.f3"  # unknown: the anchor's floor
