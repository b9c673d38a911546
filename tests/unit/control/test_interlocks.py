"""Interlocks on Building 15: a fire alarm in a zone unlocks its doors, recalls the lifts and
stops the air handlers serving it, at priority 1, and nothing less urgent may undo that."""

from __future__ import annotations

from datetime import timedelta

import pytest

from penworks.control import (
    ActorKind,
    CommandStatus,
    ControlConfig,
    ControlService,
    InterlockAction,
    InterlockDef,
    Refusal,
)
from penworks.core import Quality
from penworks.model import SiteModel
from penworks.model.select import PointSelector
from penworks.store import MemoryJournal
from tests.unit.control.support import (
    OPERATOR,
    SYSTEM,
    Harness,
    ManualClock,
    eventually,
    running,
)

F2_ZONE, F3_ZONE = "b15.f2.fire_zone", "b15.f3.fire_zone"
F2_DOOR, F3_DOOR = "b15.f2.door_f2.locked", "b15.f3.door_f3.locked"
LIFTS = "b15.roof.lift_room.lift_group.fire_recall_command"
AHU2 = "b15.roof.roof.ahu2.supply_fan.start_stop"  # BACnet: keeps a priority array
PAU_F2 = "b15.roof.roof.fresh_air_f2.supply_fan.start_stop"
ZONES = [f"b15.{floor}.fire_zone" for floor in ("b1", "f1", "f2", "f3", "f4", "roof")]
F2_TARGETS = {F2_DOOR: False, LIFTS: True, AHU2: False, PAU_F2: False}

FIRE = InterlockDef(
    id="fire_response",
    description="fire in a zone: doors unlocked, lifts recalled, its air handlers stopped",
    for_each=PointSelector(brick="Alarm", match="b15.*.fire_zone"),
    active_when="value == 'alarm'",
    actions=[
        InterlockAction(
            select=PointSelector(within="{floor}", match="*.door_*.locked"), value=False
        ),
        InterlockAction(select=PointSelector(point=LIFTS), value=True),
        InterlockAction(
            select=PointSelector(
                brick="Start_Stop_Command", serving="{floor}", equipment_brick="Air_Handling_Unit"
            ),
            value=False,
        ),
    ],
    retry=timedelta(seconds=30),
)
CONFIG = ControlConfig(confirm_timeout_s=2.0, interlocks=[FIRE])


def _level1(h: Harness) -> dict[str, object]:
    """The points level 1 holds, with their values."""
    found = {}
    for point in (F2_DOOR, F3_DOOR, LIFTS, AHU2, PAU_F2):
        entry = h.service.priority_array(point).levels[0]
        if entry is not None:
            found[point] = entry.value
    return found


async def _interlock_outcomes(h: Harness, count: int) -> list[dict[str, object]]:
    """The next `count` audit events of interlock commands."""
    found: list[dict[str, object]] = []
    while len(found) < count:
        event = await h.event()
        if event["actor_kind"] == "interlock":
            found.append(event)
    return found


async def test_the_fire_interlock_has_an_instance_per_zone(building15: SiteModel) -> None:
    async with running(building15, CONFIG) as h:
        statuses = {s.trigger: s for s in h.service.interlocks()}
    assert sorted(statuses) == sorted(
        p.id for p in building15.points() if p.id.endswith(".fire_zone")
    )
    f2 = statuses[F2_ZONE]
    assert f2.active is None
    assert {t.point: t.value for t in f2.targets} == F2_TARGETS
    assert all(t.priority == 1 for t in f2.targets)
    assert f2.to_json()["interlock"] == "fire_response"


async def test_a_fire_alarm_commands_and_holds_the_zone(building15: SiteModel) -> None:
    async with running(building15, CONFIG) as h:
        await h.port.report(F2_ZONE, "alarm")
        events = await _interlock_outcomes(h, 4)
        assert {e["point"]: e["value"] for e in events} == F2_TARGETS
        assert {e["status"] for e in events} == {"confirmed"}
        assert {e["priority"] for e in events} == {1}
        assert all("b15.f2.fire_zone is 'alarm'" in str(e["reason"]) for e in events)
        assert all(e["actor"] == "fire_response" for e in events)
        assert _level1(h) == F2_TARGETS
        status = next(s for s in h.service.interlocks() if s.trigger == F2_ZONE)
        assert status.active
        assert status.value == "alarm"
        assert status.since is not None

        # Nothing less urgent may undo it: not the operator, not a relinquish, not level 1.
        for value, priority, actor in ((True, 8, OPERATOR), (None, 8, OPERATOR), (True, 1, SYSTEM)):
            refused = await h.command(value, priority, actor, point=F2_DOOR)
            assert refused.refusal is Refusal.INTERLOCK, refused.detail
            assert "interlock fire_response" in refused.detail
            assert "trigger b15.f2.fire_zone" in refused.detail
        snapshot = h.service.priority_array(F2_DOOR)
        assert [hold.interlock for hold in snapshot.holds] == ["fire_response"]
        # The door of another floor is not held.
        assert (await h.command(True, 8, point=F3_DOOR)).status is CommandStatus.CONFIRMED
        assert h.service.stats()["points_held"] == 4


async def test_when_the_alarm_ends_the_levels_are_relinquished(building15: SiteModel) -> None:
    async with running(building15, CONFIG) as h:
        await h.command(True, 8, point=F2_DOOR)  # the operator's level stays underneath
        await h.port.report(F2_ZONE, "alarm")
        await eventually(lambda: len(_level1(h)) == 4)
        await eventually(lambda: h.service.stats()["readbacks_waiting"] == 0)
        h.port.calls.clear()
        await h.port.report(F2_ZONE, "quiet")
        await eventually(lambda: _level1(h) == {})
        await eventually(lambda: h.service.stats().get("relinquished", 0) == 4)
        assert h.service.priority_array(F2_DOOR).effective is True  # back to the operator's
        assert ("write", F2_DOOR, True, 8) in h.port.calls
        assert ("relinquish", LIFTS, None, 1) in h.port.calls
        assert h.service.priority_array(F2_DOOR).holds == ()
        assert (await h.command(False, 8, point=F2_DOOR)).status is CommandStatus.CONFIRMED
        status = next(s for s in h.service.interlocks() if s.trigger == F2_ZONE)
        assert status.active is False
        assert h.service.stats()["interlock_deactivations"] == 1


async def test_shared_points_are_held_until_the_last_zone_clears(building15: SiteModel) -> None:
    async with running(building15, CONFIG) as h:
        await h.port.report(F2_ZONE, "alarm")
        await h.port.report(F3_ZONE, "alarm")
        await eventually(lambda: F3_DOOR in _level1(h) and len(_level1(h)) == 5)
        await h.port.report(F2_ZONE, "quiet")
        await eventually(lambda: F2_DOOR not in _level1(h) and PAU_F2 not in _level1(h))
        assert _level1(h) == {F3_DOOR: False, LIFTS: True, AHU2: False}
        refused = await h.command(False, 8, point=LIFTS)
        assert refused.refusal is Refusal.INTERLOCK
        assert "trigger b15.f3.fire_zone" in refused.detail
        await h.port.report(F3_ZONE, "quiet")
        await eventually(lambda: _level1(h) == {})


async def test_a_device_with_its_own_priority_array_keeps_one_level(
    building15: SiteModel,
) -> None:
    async with running(building15, CONFIG) as h:
        await h.command(True, 8, point=AHU2)
        await h.port.report(F2_ZONE, "alarm")
        await eventually(lambda: AHU2 in _level1(h))
        await eventually(lambda: ("relinquish", AHU2, None, 8) in h.port.calls)
        await h.port.report(F2_ZONE, "quiet")
        await eventually(lambda: ("relinquish", AHU2, None, 1) in h.port.calls)
    assert h.port.writes(AHU2) == [
        ("write", AHU2, True, 8),
        ("write", AHU2, False, 1),  # the new level first,
        ("relinquish", AHU2, None, 8),  # then the old one goes
        ("write", AHU2, True, 8),
        ("relinquish", AHU2, None, 1),
    ]


@pytest.mark.parametrize("value", ["pre-alarm", "fault", "quiet"])
async def test_other_states_do_not_activate(building15: SiteModel, value: str) -> None:
    async with running(building15, CONFIG) as h:
        await h.port.report(F2_ZONE, value)
        await eventually(lambda: h.service.stats()["observations"] >= 1)
        status = next(s for s in h.service.interlocks() if s.trigger == F2_ZONE)
        assert status.active is False
        assert (await h.command(True, 8, point=F2_DOOR)).status is CommandStatus.CONFIRMED


async def test_a_bad_value_of_the_trigger_keeps_the_state(building15: SiteModel) -> None:
    async with running(building15, CONFIG) as h:
        await h.port.report(F2_ZONE, "alarm")
        await eventually(lambda: len(_level1(h)) == 4)
        await h.port.report(F2_ZONE, "quiet", Quality.BAD)
        await eventually(
            lambda: (
                next(s for s in h.service.interlocks() if s.trigger == F2_ZONE).error is not None
            )
        )
        assert len(_level1(h)) == 4
        assert h.service.priority_array(F2_DOOR).holds


async def test_a_failed_interlock_write_is_retried_while_active(building15: SiteModel) -> None:
    clock = ManualClock()
    async with running(building15, CONFIG, clock=clock) as h:
        h.port.fail = "controller offline"
        await h.port.report(F2_ZONE, "alarm")
        await eventually(lambda: h.service.stats().get("failed", 0) == 4)
        await eventually(lambda: clock.sleeping() == 4)  # every slot waits for its retry
        assert len(_level1(h)) == 4  # stored all the same, and held
        h.port.fail = None
        clock.advance(30)
        await eventually(lambda: h.service.stats().get("confirmed", 0) == 4)
        assert h.service.stats()["interlock_retries"] == 4


async def test_holds_come_back_after_a_restart_until_the_trigger_is_seen(
    building15: SiteModel,
) -> None:
    journal = MemoryJournal()
    async with running(building15, CONFIG, journal=journal) as h:
        await h.port.report(F2_ZONE, "alarm")
        await eventually(lambda: h.service.stats().get("confirmed", 0) == 4)
    async with running(building15, CONFIG, journal=journal, restore=True) as h:
        assert _level1(h) == F2_TARGETS
        refused = await h.command(True, 8, point=F2_DOOR)
        assert refused.refusal is Refusal.INTERLOCK
        assert h.port.calls == []  # nothing rewritten until the trigger is seen
        await h.port.report(F2_ZONE, "quiet")
        await eventually(lambda: F2_DOOR not in _level1(h) and PAU_F2 not in _level1(h))
        assert (await h.command(True, 8, point=F2_DOOR)).status is CommandStatus.CONFIRMED
        # The lifts and AHU-2 serve other zones too: any of them may have been in alarm.
        assert _level1(h) == {LIFTS: True, AHU2: False}
        refused = await h.command(False, 8, point=LIFTS)
        assert "not yet seen: b15.b1.fire_zone" in refused.detail
        for zone in ZONES:
            await h.port.report(zone, "quiet")
        await eventually(lambda: _level1(h) == {})


async def test_a_restart_during_the_fire_writes_the_levels_again(building15: SiteModel) -> None:
    journal = MemoryJournal()
    async with running(building15, CONFIG, journal=journal) as h:
        await h.port.report(F2_ZONE, "alarm")
        await eventually(lambda: h.service.stats().get("confirmed", 0) == 4)
    async with running(building15, CONFIG, journal=journal, restore=True) as h:
        await h.port.report(F2_ZONE, "alarm")
        await eventually(lambda: len(h.port.writes()) == 4)
        assert {c[1]: c[2] for c in h.port.writes()} == F2_TARGETS


async def test_levels_of_an_interlock_no_longer_configured_are_released(
    building15: SiteModel,
) -> None:
    journal = MemoryJournal()
    async with running(building15, CONFIG, journal=journal) as h:
        await h.port.report(F2_ZONE, "alarm")
        await eventually(lambda: h.service.stats().get("confirmed", 0) == 4)
    async with running(building15, ControlConfig(), journal=journal, restore=True) as h:
        await eventually(lambda: _level1(h) == {})
        assert {c[1] for c in h.port.calls if c[0] == "relinquish"} >= {LIFTS, F2_DOOR}


def test_the_interlock_actor_is_named_after_the_interlock(building15: SiteModel) -> None:
    service = ControlService(
        building15, _NoBus(), ManualClock(), MemoryJournal(), CONFIG, lambda _: None
    )
    assert {s.interlock for s in service.interlocks()} == {"fire_response"}
    assert ActorKind.INTERLOCK in CONFIG.permissions


class _NoBus:
    """Never used: the test only builds the service."""

    async def publish(self, subject: str, message: object) -> None:
        raise AssertionError("nothing is published")
