"""Escalation: who else is told while an alarm stays unacknowledged, and what stops it."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import timedelta

import pytest

from penworks.rules.alarm_types import AlarmPriority, AlarmState
from penworks.rules.alarms import AlarmBook
from penworks.rules.notify import Notifier
from penworks.rules.notify_channels import Channel
from penworks.rules.notify_events import MessageKind
from penworks.rules.sinks import AlarmCondition
from penworks.store import MemoryJournal
from tests.unit.rules.notify_support import (
    HOT,
    T0,
    SteppingClock,
    config,
    event,
    fake_channels,
    handled,
    raised,
    running,
    settle,
)

ESCALATIONS = ("[ESCALATION 1]", "[ESCALATION 2]")


def escalations(subjects: list[str]) -> list[str]:
    return [s.split("]")[0] + "]" for s in subjects if s.startswith("[ESCALATION")]


async def test_an_unacknowledged_alarm_escalates_step_by_step() -> None:
    clock = SteppingClock()
    async with running(clock) as (notifier, feed, channels, journal):
        await handled(notifier, feed, raised())
        assert notifier.escalating() == [HOT]
        await clock.advance(minutes=14, seconds=59)
        assert escalations(channels["mail"].subjects()) == []
        await clock.advance(seconds=1)
        await notifier.wait_idle()
        # Step 1: the facility manager, on the route's channels.
        [(step1, people)] = [(m, ids) for m, ids in channels["mail"].sent if m.step == 1]
        assert people == ("zhang.min",)
        assert step1.kind is MessageKind.ESCALATION
        assert step1.subject == "[ESCALATION 1] [HIGH] b15.f3: Zone too warm"
        assert "Unacknowledged since 2026-03-02 10:00:00 +0800" in step1.body
        assert [ids for m, ids in channels["hook"].sent if m.step == 1] == [("zhang.min",)]
        await clock.advance(minutes=45)
        await notifier.wait_idle()
        # Step 2: Chen Jie by name, on the webhook only (the step's own channels).
        assert [ids for m, ids in channels["hook"].sent if m.step == 2] == [("chen.jie",)]
        assert [m for m, _ in channels["mail"].sent if m.step == 2] == []
        steps = [
            (r.ts - T0, r.data["step"], r.data["channel"])
            for r in await journal.query("notification", newest_first=False)
            if r.data["kind"] == "escalation"
        ]
        assert steps == [
            (timedelta(minutes=15), 1, "mail"),
            (timedelta(minutes=15), 1, "hook"),
            (timedelta(hours=1), 2, "hook"),
        ]
        await clock.advance(hours=5)
        assert len(channels["hook"].sent) == 3  # no repeats configured
        assert notifier.stats()["escalations"] == 2


@pytest.mark.parametrize(
    ("settled", "from_state"),
    [
        (AlarmState.ACK_ACTIVE, AlarmState.UNACK_ACTIVE),
        (AlarmState.SHELVED, AlarmState.UNACK_ACTIVE),
        (AlarmState.UNACK_RTN, AlarmState.UNACK_ACTIVE),
        (AlarmState.SUPPRESSED, AlarmState.UNACK_ACTIVE),
        (AlarmState.OUT_OF_SERVICE, AlarmState.UNACK_ACTIVE),
    ],
)
async def test_ack_shelving_return_or_suppression_stop_escalation(
    settled: AlarmState, from_state: AlarmState
) -> None:
    clock = SteppingClock()
    async with running(clock) as (notifier, feed, channels, _):
        await handled(notifier, feed, raised())
        await clock.advance(minutes=10)
        await handled(notifier, feed, event(settled, from_state, at=clock.now(), user="li.wei"))
        assert notifier.escalating() == []
        assert clock.sleeping() == 0  # the escalation timers are gone
        await clock.advance(hours=3)
        assert escalations(channels["mail"].subjects() + channels["hook"].subjects()) == []
        assert notifier.stats()["escalations_stopped"] == 1


async def test_the_last_step_repeats_as_configured() -> None:
    cfg = config()
    route = cfg.routes[0]
    assert route.escalation is not None
    repeating = route.escalation.model_copy(
        update={"repeat_every": timedelta(minutes=30), "repeat_times": 2}
    )
    cfg = cfg.model_copy(
        update={"routes": [route.model_copy(update={"escalation": repeating}), cfg.routes[1]]}
    )
    clock = SteppingClock()
    async with running(clock, cfg=cfg) as (notifier, feed, channels, journal):
        await handled(notifier, feed, raised())
        await clock.advance(hours=4)
        await notifier.wait_idle()
        assert [m.step for m, _ in channels["hook"].sent] == [None, 1, 2, 3, 4]
        assert [ids for _, ids in channels["hook"].sent][3:] == [("chen.jie",), ("chen.jie",)]
        times = [
            r.ts - T0
            for r in await journal.query("notification", newest_first=False)
            if r.data["channel"] == "hook" and r.data["kind"] == "escalation"
        ]
        assert times == [timedelta(minutes=m) for m in (15, 60, 90, 120)]


async def test_a_new_annunciation_starts_the_steps_again() -> None:
    clock = SteppingClock()
    async with running(clock) as (notifier, feed, channels, _):
        await handled(notifier, feed, raised())
        await clock.advance(minutes=10)
        await handled(
            notifier,
            feed,
            event(AlarmState.UNACK_RTN, AlarmState.UNACK_ACTIVE, at=clock.now()),
            event(AlarmState.UNACK_ACTIVE, AlarmState.UNACK_RTN, at=clock.now()),
        )
        await clock.advance(minutes=10)  # 20 min after the first: step 1 would be due
        assert escalations(channels["mail"].subjects()) == []
        await clock.advance(minutes=5)
        await notifier.wait_idle()
        assert escalations(channels["mail"].subjects()) == ["[ESCALATION 1]"]


async def test_routes_without_escalation_start_no_timers() -> None:
    clock = SteppingClock()
    async with running(clock) as (notifier, feed, channels, _):
        await handled(notifier, feed, raised(area="b15.f5", priority=AlarmPriority.MEDIUM))
        assert [ids for _, ids in channels["mail"].sent] == [("wang.fang",)]
        assert notifier.escalating() == []
        assert clock.sleeping() == 0


async def test_the_alarm_books_transitions_drive_the_notifier() -> None:
    clock = SteppingClock()
    journal = MemoryJournal()
    book = AlarmBook(clock, journal)
    channels = fake_channels()
    typed: dict[str, Channel] = dict(channels)
    notifier = Notifier(clock, journal, config(), typed)
    listener = book.listen()
    task = asyncio.create_task(notifier.run(listener))
    rule, _, point = HOT.partition(":")
    try:
        await book.condition(
            AlarmCondition(HOT, rule, point, "b15.f3", AlarmPriority.HIGH, "Zone too warm",
                           True, clock.now(), 29.5)
        )  # fmt: skip
        await settle()
        await notifier.wait_idle()
        [(message, people)] = channels["mail"].sent
        assert message.subject == "[HIGH] b15.f3: Zone too warm"
        assert message.alarm is not None
        assert message.alarm.value == 29.5
        assert people == ("li.wei",)
        await clock.advance(minutes=5)
        await book.acknowledge(HOT, "li.wei", "on my way")
        await settle()
        assert notifier.escalating() == []
        await clock.advance(hours=2)
        assert escalations(channels["mail"].subjects()) == []
        assert notifier.stats()["transitions"] == 2
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        listener.close()
