"""Commands that are stored: written, read back, superseded, relinquished, failed."""

from __future__ import annotations

import asyncio

from penworks.control import CommandStatus, ControlConfig, PointPolicy
from penworks.model import SiteModel
from penworks.model.select import PointSelector
from penworks.store import MemoryJournal
from tests.unit.control.support import (
    LIGHTS,
    OPERATOR,
    RULE,
    SCHEDULE,
    SETPOINT,
    T0,
    eventually,
    running,
)

QUICK = ControlConfig(confirm_timeout_s=0.2)  # for commands expected to fail the read-back


def _policy(**fields: object) -> ControlConfig:
    policy = PointPolicy(id="setpoints", select=PointSelector(point=SETPOINT), **fields)
    return ControlConfig(confirm_timeout_s=2.0, policies=[policy])


async def test_a_command_is_written_read_back_audited_and_published(office: SiteModel) -> None:
    journal = MemoryJournal()
    async with running(office, journal=journal) as h:
        outcome = await h.command(22.5, reason="too cold in 301")
        assert outcome.status is CommandStatus.CONFIRMED, outcome.detail
        assert "read back 22.5" in outcome.detail
        assert (outcome.effective, outcome.effective_priority) == (22.5, 8)
        assert h.port.writes() == [("write", SETPOINT, 22.5, 8)]
        assert h.port.reads == 1  # prompted once, for polled protocols
        event = await h.event()
        records = await journal.query("audit", key=SETPOINT)
    assert event["id"] == outcome.id
    assert event["status"] == "confirmed"
    assert (event["actor_kind"], event["actor"], event["reason"]) == (
        "operator",
        "li.wei",
        "too cold in 301",
    )
    assert (event["value"], event["priority"], event["effective"]) == (22.5, 8, 22.5)
    assert len(records) == 1
    assert records[0].data == event
    assert records[0].ts == T0


async def test_the_array_shows_each_level_and_who_wrote_it(office: SiteModel) -> None:
    async with running(office) as h:
        await h.command(24.0, 8)
        await h.command(20.0, 12, RULE)
        snapshot = h.service.priority_array(SETPOINT)
    assert snapshot.writable
    assert (snapshot.effective, snapshot.effective_priority) == (24.0, 8)
    operator_level, rule_level = snapshot.levels[7], snapshot.levels[11]
    assert operator_level is not None
    assert operator_level.actor == OPERATOR
    assert rule_level is not None
    assert (rule_level.actor, rule_level.value) == (RULE, 20.0)
    assert sum(1 for level in snapshot.levels if level is not None) == 2
    assert snapshot.to_json()["levels"][11]["actor"] == "zone_too_warm"


async def test_a_less_urgent_command_is_stored_but_superseded(office: SiteModel) -> None:
    async with running(office) as h:
        await h.command(24.0, 8)
        outcome = await h.command(20.0, 12, RULE)
        assert outcome.status is CommandStatus.SUPERSEDED
        assert "level 8 (operator:li.wei) holds the point" in outcome.detail
        assert (outcome.effective, outcome.effective_priority) == (24.0, 8)
        assert h.port.writes() == [("write", SETPOINT, 24.0, 8)]  # nothing more written


async def test_relinquish_falls_to_the_next_level(office: SiteModel) -> None:
    async with running(office) as h:
        await h.command(24.0, 8)
        await h.command(20.0, 12, RULE)
        outcome = await h.command(None, 8)
        assert outcome.status is CommandStatus.RELINQUISHED, outcome.detail
        assert (outcome.effective, outcome.effective_priority) == (20.0, 12)
        assert h.port.writes()[-1] == ("write", SETPOINT, 20.0, 12)
        last = await h.command(None, 12, RULE)
        assert last.status is CommandStatus.RELINQUISHED
        assert (last.effective, last.effective_priority) == (None, None)
        # No relinquish default: the device goes back to its own control.
        assert h.port.writes()[-1] == ("relinquish", SETPOINT, None, 12)


async def test_relinquishing_everything_writes_the_relinquish_default(office: SiteModel) -> None:
    async with running(office, _policy(relinquish_default=21)) as h:
        assert h.service.priority_array(SETPOINT).effective == 21.0
        await h.command(24.0, 8)
        outcome = await h.command(None, 8)
        assert outcome.status is CommandStatus.RELINQUISHED, outcome.detail
        assert (outcome.effective, outcome.effective_priority) == (21.0, None)
        assert h.port.writes()[-1] == ("write", SETPOINT, 21.0, 16)


async def test_relinquishing_a_level_below_the_effective_one_writes_nothing(
    office: SiteModel,
) -> None:
    async with running(office) as h:
        await h.command(24.0, 8)
        await h.command(20.0, 14, SCHEDULE)
        outcome = await h.command(None, 14, SCHEDULE)
        assert outcome.status is CommandStatus.RELINQUISHED
        assert "already in effect; nothing written" in outcome.detail
        empty = await h.command(None, 14, SCHEDULE)
        assert "level 14 was already empty" in empty.detail
        assert len(h.port.writes()) == 1


async def test_the_same_value_again_is_already_in_effect(office: SiteModel) -> None:
    async with running(office) as h:
        await h.command(23.0, 8)
        again = await h.command(23.0, 8)
        assert again.status is CommandStatus.CONFIRMED
        assert "already in effect" in again.detail
        assert len(h.port.writes()) == 1


async def test_no_read_back_in_time_fails_saying_what_was_seen(office: SiteModel) -> None:
    async with running(office, QUICK) as h:
        h.port.reports[SETPOINT] = 21.0  # the device does not take the value
        outcome = await h.command(22.0, 8)
        assert outcome.status is CommandStatus.FAILED
        assert "not read back within 0.2 s" in outcome.detail
        assert "last seen 21.0" in outcome.detail
        level = h.service.priority_array(SETPOINT).levels[7]
        assert level is not None
        assert level.value == 22.0
        # The device is back: the same command writes again (the device state is unknown).
        del h.port.reports[SETPOINT]
        retry = await h.command(22.0, 8)
        assert retry.status is CommandStatus.CONFIRMED, retry.detail
        assert len(h.port.writes()) == 2


async def test_a_silent_device_fails_the_command(office: SiteModel) -> None:
    async with running(office, QUICK) as h:
        h.port.echo = False
        outcome = await h.command(22.0, 8)
    assert outcome.status is CommandStatus.FAILED
    assert "no observation of the point arrived" in outcome.detail


async def test_numbers_within_the_tolerance_confirm(office: SiteModel) -> None:
    async with running(office, QUICK) as h:
        h.port.reports[SETPOINT] = 22.004
        close = await h.command(22.0, 8)
        h.port.reports[SETPOINT] = 22.3
        far = await h.command(23.0, 8)
    assert close.status is CommandStatus.CONFIRMED
    assert far.status is CommandStatus.FAILED


async def test_the_prompted_read_can_confirm(office: SiteModel) -> None:
    async with running(office) as h:
        h.port.echo = False
        h.port.read_value[SETPOINT] = 22.0
        outcome = await h.command(22.0, 8)
    assert outcome.status is CommandStatus.CONFIRMED, outcome.detail


async def test_a_device_that_refuses_fails_and_the_level_stays(office: SiteModel) -> None:
    async with running(office, QUICK) as h:
        h.port.fail = "device out of service"
        outcome = await h.command(22.0, 8)
        snapshot = h.service.priority_array(SETPOINT)
    assert outcome.status is CommandStatus.FAILED
    assert "device out of service" in outcome.detail
    assert snapshot.effective == 22.0


async def test_a_relinquish_whose_write_fails_still_empties_the_level(office: SiteModel) -> None:
    async with running(office) as h:
        await h.command(24.0, 8)
        await h.command(20.0, 12, RULE)
        h.port.fail = "device busy"
        outcome = await h.command(None, 8)
        snapshot = h.service.priority_array(SETPOINT)
    assert outcome.status is CommandStatus.FAILED
    assert "level 8 emptied" in outcome.detail
    assert "device busy" in outcome.detail
    assert (snapshot.effective, snapshot.effective_priority) == (20.0, 12)


async def test_no_confirmation_when_the_policy_says_so(office: SiteModel) -> None:
    async with running(office, _policy(confirm=False)) as h:
        h.port.echo = False
        outcome = await h.command(22.0, 8)
    assert outcome.status is CommandStatus.CONFIRMED
    assert "no read-back: policy" in outcome.detail


async def test_a_later_value_before_the_read_back_supersedes_the_first(office: SiteModel) -> None:
    async with running(office) as h:
        h.port.echo = False
        first = asyncio.create_task(h.command(22.0, 8))
        await eventually(lambda: len(h.port.writes()) == 1)
        second = asyncio.create_task(h.command(23.0, 8))
        await eventually(lambda: len(h.port.writes()) == 2)
        replaced = await first
        await h.port.report(SETPOINT, 23.0)
        confirmed = await second
    assert replaced.status is CommandStatus.SUPERSEDED
    assert confirmed.id in replaced.detail
    assert confirmed.status is CommandStatus.CONFIRMED


async def test_commands_to_one_point_wait_for_each_other_others_do_not(
    office: SiteModel,
) -> None:
    async with running(office) as h:
        gate = asyncio.Event()
        h.port.gate = gate
        first = asyncio.create_task(h.command(22.0, 8))
        same_point = asyncio.create_task(h.command(24.0, 12, RULE))
        await eventually(lambda: len(h.port.writes()) == 1)
        h.port.gate = None  # the first write still waits; later ones go straight through
        other = await h.command(40.0, 8, point=LIGHTS)
        assert other.status is CommandStatus.CONFIRMED
        assert not first.done()
        assert not same_point.done()
        gate.set()
        assert (await first).status is CommandStatus.CONFIRMED
        assert (await same_point).status is CommandStatus.SUPERSEDED


async def test_stats_count_what_happened(office: SiteModel) -> None:
    async with running(office) as h:
        await h.command(22.0, 8)
        await h.command(20.0, 12, RULE)
        await h.command(22.0, 4)
        stats = h.service.stats()
    assert stats["submitted"] == 3
    assert stats["confirmed"] == 1
    assert stats["superseded"] == 1
    assert stats["refused"] == 1
    assert stats["refused_permission"] == 1
    assert stats["observations"] >= 1


async def test_releasing_what_nothing_holds_leaves_a_device_alone(office: SiteModel) -> None:
    async with running(office) as h:
        outcome = await h.command(None, 10)  # an app letting go at start, of nothing
        assert outcome.status is CommandStatus.RELINQUISHED, outcome.detail
        assert "nothing to release; nothing written" in outcome.detail
        assert h.port.writes() == []
        await h.command(23.0, 10)
        released = await h.command(None, 10)  # what it held is released at the device
        assert released.status is CommandStatus.RELINQUISHED, released.detail
        assert h.port.writes()[-1] == ("relinquish", SETPOINT, None, 10)


async def test_a_device_with_levels_of_its_own_is_released_even_of_nothing_known(
    office: SiteModel,
) -> None:
    # Such a device may still hold a level an earlier run wrote: it is cleared.
    config = ControlConfig(confirm_timeout_s=2.0, device_priority_connectors=["mqtt"])
    async with running(office, config) as h:
        outcome = await h.command(None, 10)
        assert outcome.status is CommandStatus.RELINQUISHED, outcome.detail
        assert h.port.writes() == [("relinquish", SETPOINT, None, 10)]
