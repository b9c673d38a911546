"""Routing of alarms and notices to people and channels, retries, quiet hours, records."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import datetime, timedelta

import pytest

from penworks.core import StoreError
from penworks.rules.alarm_types import AlarmPriority, AlarmState
from penworks.rules.notify import Notifier
from penworks.rules.notify_channels import Channel
from penworks.rules.notify_config import RecipientDef
from penworks.rules.notify_events import Message
from penworks.rules.sinks import Notice
from penworks.store import JournalRecord, MemoryJournal
from tests.unit.rules.notify_support import (
    T0,
    FakeChannel,
    SteppingClock,
    config,
    event,
    fake_channels,
    handled,
    raised,
    running,
    settle,
)


async def records(journal: MemoryJournal, key: str | None = None) -> list[JournalRecord]:
    return await journal.query("notification", key=key, newest_first=False)


async def test_an_alarm_goes_to_the_role_holders_who_cover_its_area() -> None:
    async with running(SteppingClock()) as (notifier, feed, channels, journal):
        await handled(notifier, feed, raised(area="b15.f3.r301"))
        assert [ids for _, ids in channels["mail"].sent] == [("li.wei",)]  # not wang.fang (f5)
        assert [ids for _, ids in channels["hook"].sent] == [("li.wei",)]
        message = channels["mail"].sent[0][0]
        assert message.subject == "[HIGH] b15.f3.r301: Zone too warm"
        assert "zone_too_warm:b15.f3.r301.zone_air_temp" in message.body
        assert "2026-03-02 10:00:00 +0800" in message.body  # Shanghai time
        sent = await records(journal)
        assert {(r.data["channel"], r.data["status"], r.data["attempt"]) for r in sent} == {
            ("mail", "sent", 1),
            ("hook", "sent", 1),
        }
        assert all(r.key == "zone_too_warm:b15.f3.r301.zone_air_temp" for r in sent)
        assert notifier.stats()["sent"] == 2


async def test_routes_match_area_and_rule_and_people_are_told_once() -> None:
    async with running(SteppingClock()) as (notifier, feed, channels, _):
        medium = raised(area="b15.f5", priority=AlarmPriority.MEDIUM, alarm_id="zone_co2:b15.f5.x")
        await handled(notifier, feed, medium)
        assert [ids for _, ids in channels["mail"].sent] == [("wang.fang",)]  # floor5 only
        assert channels["hook"].sent == []
        other_rule = raised(area="b15.f5", priority=AlarmPriority.MEDIUM, alarm_id="pump:b15.f5.p")
        await handled(notifier, feed, other_rule)
        assert len(channels["mail"].sent) == 1  # floor5 takes zone_* rules only
        # Urgent (role) and floor5 (by name) both reach Wang Fang: one e-mail.
        await handled(notifier, feed, raised(area="b15.f5", alarm_id="zone_hot:b15.f5.y"))
        assert [ids for _, ids in channels["mail"].sent][1:] == [("wang.fang",)]


async def test_an_alarm_no_route_takes_is_recorded_as_unrouted() -> None:
    async with running(SteppingClock()) as (notifier, feed, channels, journal):
        await handled(notifier, feed, raised(priority=AlarmPriority.LOW))
        assert channels["mail"].sent == []
        assert channels["hook"].sent == []
        assert [r.data["status"] for r in await records(journal)] == ["unrouted"]
        assert notifier.stats()["unrouted"] == 1


async def test_returns_are_told_to_routes_that_ask_once_per_return() -> None:
    async with running(SteppingClock()) as (notifier, feed, channels, _):
        await handled(
            notifier,
            feed,
            raised(),
            event(AlarmState.UNACK_RTN, AlarmState.UNACK_ACTIVE),
            event(AlarmState.NORMAL, AlarmState.UNACK_RTN, user="li.wei"),  # ack: no return
        )
        assert channels["hook"].subjects() == [
            "[HIGH] b15.f3: Zone too warm",
            "[RETURNED] [HIGH] b15.f3: Zone too warm",
        ]


async def test_comments_and_shelving_tell_nobody() -> None:
    async with running(SteppingClock()) as (notifier, feed, channels, _):
        await handled(
            notifier,
            feed,
            event(AlarmState.ACK_ACTIVE, AlarmState.ACK_ACTIVE),
            event(AlarmState.SHELVED, AlarmState.ACK_ACTIVE),
            event(AlarmState.SUPPRESSED, AlarmState.NORMAL),
        )
        assert channels["hook"].sent == []
        assert channels["mail"].sent == []
        assert notifier.stats()["transitions"] == 3


def notice(**kw: object) -> Notice:
    fields: dict[str, object] = {
        "subject": "Chiller 2 start requested",
        "body": "Plant load above 80 % for 10 minutes.",
        "priority": AlarmPriority.MEDIUM,
        "area": "b15.f3",
        "ts": T0,
        "key": "plant_load:b15.roof.chiller2",
    }
    return Notice(**(fields | kw))  # type: ignore[arg-type]


async def test_a_notice_naming_roles_goes_to_them_on_every_channel() -> None:
    async with running(SteppingClock()) as (notifier, _, channels, journal):
        await notifier.notify(notice(roles=("facility_manager", "duty_engineer")))
        await settle()
        await notifier.wait_idle()
        assert [ids for _, ids in channels["mail"].sent] == [("li.wei", "zhang.min")]
        assert [ids for _, ids in channels["hook"].sent] == [("li.wei", "zhang.min")]
        assert channels["mail"].sent[0][0].subject == "Chiller 2 start requested"
        keys = {r.key for r in await records(journal)}
        assert keys == {"plant_load:b15.roof.chiller2"}


async def test_a_notice_naming_channels_uses_only_them() -> None:
    async with running(SteppingClock()) as (notifier, _, channels, _journal):
        await notifier.notify(notice(roles=("facility_manager",), channels=("hook",)))
        await notifier.notify(notice(priority=AlarmPriority.HIGH, channels=("hook",)))
        await settle()
        await notifier.wait_idle()
        assert channels["mail"].sent == []
        assert [ids for _, ids in channels["hook"].sent] == [("zhang.min",), ("li.wei",)]


async def test_a_notice_without_roles_follows_the_routes() -> None:
    async with running(SteppingClock()) as (notifier, _, channels, journal):
        await notifier.notify(notice(area="b15.f5", key="zone_humid:b15.f5.r501"))
        await notifier.notify(notice(priority=AlarmPriority.LOW, key=""))
        await settle()
        await notifier.wait_idle()
        assert [ids for _, ids in channels["mail"].sent] == [("wang.fang",)]
        assert [r.data["status"] for r in await records(journal, key="notice")] == ["unrouted"]


async def test_an_unknown_channel_in_a_notice_is_a_recorded_failure() -> None:
    async with running(SteppingClock()) as (notifier, _, _channels, journal):
        await notifier.notify(notice(roles=("director",), channels=("sms",)))
        await settle()
        await notifier.wait_idle()
        [record] = await records(journal)
        assert (record.data["status"], record.data["error"]) == ("failed", "unknown channel")


async def test_email_needs_an_address_and_says_so() -> None:
    async with running(SteppingClock()) as (notifier, _, channels, journal):
        await notifier.notify(notice(roles=("director",)))  # Chen Jie has no e-mail
        await settle()
        await notifier.wait_idle()
        assert channels["mail"].sent == []
        assert [ids for _, ids in channels["hook"].sent] == [("chen.jie",)]
        by_channel = {r.data["channel"]: r.data["status"] for r in await records(journal)}
        assert by_channel == {"mail": "skipped", "hook": "sent"}


async def test_failed_deliveries_are_retried_with_growing_waits() -> None:
    clock = SteppingClock()
    channels = fake_channels()
    channels["hook"].failures = 2
    async with running(clock, channels) as (notifier, feed, _, journal):
        await feed.queue.put(raised())
        await settle()
        assert channels["hook"].attempts == 1
        await clock.advance(9)
        assert channels["hook"].attempts == 1  # the first wait is 10 s
        await clock.advance(1)
        assert channels["hook"].attempts == 2
        await clock.advance(14)
        assert channels["hook"].attempts == 2  # then doubled, capped at 15 s
        await clock.advance(1)
        assert channels["hook"].attempts == 3
        async with asyncio.timeout(5):
            await notifier.wait_idle()
        hook = [r for r in await records(journal) if r.data["channel"] == "hook"]
        assert [(r.data["status"], r.data["attempt"]) for r in hook] == [
            ("retrying", 1),
            ("retrying", 2),
            ("sent", 3),
        ]
        assert hook[0].data["error"] == "receiver down"
        assert [r.ts - T0 for r in hook] == [
            timedelta(0),
            timedelta(seconds=10),
            timedelta(seconds=25),
        ]
        assert notifier.stats()["failed_attempts"] == 2
        assert notifier.stats()["sent"] == 2


async def test_retries_are_bounded_and_a_dead_channel_stops_nothing_else() -> None:
    clock = SteppingClock()
    channels = fake_channels()
    channels["hook"].failures = 100
    async with running(clock, channels) as (notifier, feed, _, journal):
        await feed.queue.put(raised())
        await settle()
        await clock.advance(60)
        async with asyncio.timeout(5):
            await notifier.wait_idle()
        assert channels["hook"].attempts == 3  # attempts: 3 in all
        assert len(channels["mail"].sent) == 1
        await feed.queue.put(raised(alarm_id="zone_hot:b15.f3.r302"))
        await settle()
        assert len(channels["mail"].sent) == 2  # still delivering
        hook = [r.data["status"] for r in await records(journal) if r.data["channel"] == "hook"]
        assert hook[:3] == ["retrying", "retrying", "failed"]
        assert notifier.stats()["failed"] >= 1


async def test_a_permanent_failure_is_not_retried() -> None:
    channels = fake_channels()
    channels["hook"].failures, channels["hook"].permanent = 1, True
    async with running(SteppingClock(), channels) as (notifier, feed, _, journal):
        await handled(notifier, feed, raised())
        assert channels["hook"].attempts == 1
        hook = [r.data for r in await records(journal) if r.data["channel"] == "hook"]
        assert [(d["status"], d["attempt"]) for d in hook] == [("failed", 1)]


class BrokenChannel(FakeChannel):
    async def send(self, message: Message, recipients: Sequence[RecipientDef]) -> str:
        raise RuntimeError("a bug in a channel")


async def test_a_channel_that_breaks_does_not_stop_the_notifier() -> None:
    channels = {"mail": BrokenChannel("mail", needs_address=True), "hook": FakeChannel("hook")}
    async with running(SteppingClock(), channels) as (notifier, feed, _, _journal):
        await handled(notifier, feed, raised(), raised(alarm_id="zone_hot:b15.f3.r302"))
        assert len(channels["hook"].sent) == 2
        assert notifier.stats()["errors"] == 2


async def test_quiet_hours_hold_less_urgent_messages_until_they_end() -> None:
    quiet = {"weekly": {"daily": ["00:00-07:00", "22:00-24:00"]}, "allow_priority_at_most": "high"}
    late = datetime.fromisoformat("2026-03-02T23:30:00+08:00")
    clock = SteppingClock(late)
    async with running(clock, cfg=config(quiet=quiet)) as (notifier, _, channels, journal):
        await notifier.notify(notice(roles=("director",), channels=("hook",), ts=late))
        await notifier.notify(
            notice(roles=("director",), channels=("hook",), priority=AlarmPriority.HIGH, ts=late)
        )
        await settle()
        assert [m.priority for m, _ in channels["hook"].sent] == [AlarmPriority.HIGH]
        [deferred] = [r for r in await records(journal) if r.data["status"] == "deferred"]
        assert deferred.data["until"] == "2026-03-03T07:00:00+08:00"
        await clock.advance(hours=7, minutes=29)
        assert len(channels["hook"].sent) == 1
        await clock.advance(minutes=1)
        assert len(channels["hook"].sent) == 2
        assert notifier.stats()["deferred"] == 1


async def test_a_held_alarm_acknowledged_meanwhile_is_not_sent_after_quiet_hours() -> None:
    quiet = {"weekly": {"daily": ["00:00-07:00", "22:00-24:00"]}}
    late = datetime.fromisoformat("2026-03-02T23:30:00+08:00")
    clock = SteppingClock(late)
    acked, waiting = "zone_co2:b15.f5.r501.co2", "zone_co2:b15.f5.r502.co2"
    async with running(clock, cfg=config(quiet=quiet)) as (notifier, feed, channels, journal):
        for alarm_id in (acked, waiting):
            medium = raised(alarm_id=alarm_id, area="b15.f5", priority=AlarmPriority.MEDIUM)
            await feed.queue.put(medium)
        await settle()
        assert channels["mail"].sent == []
        await clock.advance(hours=1)
        await feed.queue.put(
            event(AlarmState.ACK_ACTIVE, AlarmState.UNACK_ACTIVE, alarm_id=acked, area="b15.f5")
        )
        await clock.advance(hours=7)
        async with asyncio.timeout(5):
            await notifier.wait_idle()
        assert [m.key for m, _ in channels["mail"].sent] == [waiting]
        statuses = [(r.key, r.data["status"]) for r in await records(journal)]
        assert (acked, "cancelled") in statuses
        assert (waiting, "sent") in statuses
        assert notifier.stats()["cancelled"] == 1


class FailingJournal(MemoryJournal):
    async def append(self, records: Sequence[JournalRecord]) -> list[JournalRecord]:
        raise StoreError("disk full")


async def test_a_failing_journal_does_not_stop_deliveries() -> None:
    clock = SteppingClock()
    channels = fake_channels()
    typed: dict[str, Channel] = dict(channels)
    notifier = Notifier(clock, FailingJournal(), config(), typed)
    task = asyncio.create_task(notifier.run())
    try:
        await notifier.notify(notice(roles=("facility_manager",)))
        await settle()
        async with asyncio.timeout(5):
            await notifier.wait_idle()
        assert len(channels["mail"].sent) == 1
        assert notifier.stats()["journal_errors"] == 2
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    await notifier.close()
    assert channels["mail"].closed
    assert channels["hook"].closed
