"""One rule written by class and place covers every floor of Building 15: a fire zone in
alarm raises a critical alarm for its floor and commands that floor's doors and the fans
that serve it."""

from __future__ import annotations

from pathlib import Path

import pytest

from penworks.model import SiteModel
from penworks.rules.alarm_types import AlarmPriority
from tests.unit.rules.rule_support import REPO, Rig, running

FIRE = """\
rules:
  - id: fire_response
    description: A fire zone in alarm opens its floor's doors and stops the air it is served
    for_each: {brick: Alarm, match: "*.fire_zone"}
    when: "value in ('alarm', 'pre-alarm')"
    clear_when: "value in ('quiet', 'normal')"
    alarm: {priority: critical, message: "Fire zone {point}: {value}"}
    on_active:
      - command: {select: {match: "*.door_*.locked", within: "{floor}"}, value: false, priority: 3}
      - command:
          select: {match: "*.supply_fan.start_stop", serving: "{floor}"}
          value: false
          priority: 3
    on_clear:
      - command: {select: {match: "*.door_*.locked", within: "{floor}"}, value: null, priority: 3}
      - command:
          select: {match: "*.supply_fan.start_stop", serving: "{floor}"}
          value: null
          priority: 3
"""


@pytest.fixture(scope="module")
def building15() -> SiteModel:
    return SiteModel.load(REPO / "sites" / "building15.yaml")


async def test_one_rule_covers_every_floor(building15: SiteModel, tmp_path: Path) -> None:
    rig = Rig(building15)
    rig.engine.replace(rig.load(tmp_path, FIRE))
    assert rig.engine.rule("fire_response").instances == 6
    async with running(rig):
        await rig.publish("b15.f2.fire_zone", "quiet")
        await rig.publish("b15.f3.fire_zone", "pre-alarm")
        await rig.settled()
        await rig.publish("b15.f3.fire_zone", "alarm")  # still active: nothing new
        await rig.publish("b15.f3.fire_zone", "quiet")
        await rig.settled()
    [raised, cleared] = rig.alarms.changes
    assert (raised.alarm_id, raised.area, raised.priority) == (
        "fire_response:b15.f3.fire_zone",
        "b15.f3",
        AlarmPriority.CRITICAL,
    )
    assert raised.message == "Fire zone b15.f3.fire_zone: pre-alarm"
    assert not cleared.active
    assert [(point, value, priority) for point, value, priority, _, _ in rig.commands.sent] == [
        ("b15.f3.door_f3.locked", False, 3),
        ("b15.roof.roof.ahu2.supply_fan.start_stop", False, 3),
        ("b15.roof.roof.fresh_air_f3.supply_fan.start_stop", False, 3),
        ("b15.f3.door_f3.locked", None, 3),
        ("b15.roof.roof.ahu2.supply_fan.start_stop", None, 3),
        ("b15.roof.roof.fresh_air_f3.supply_fan.start_stop", None, 3),
    ]
