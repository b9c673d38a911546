"""Alarm floods per area: start above 10 in 10 minutes, visible suppression, end below 5."""

from __future__ import annotations

from datetime import timedelta

import pytest

from penworks.bus import MemoryBus
from penworks.rules.alarm_settings import AlarmSettings
from penworks.rules.alarm_types import AlarmPriority, AlarmState, Suppression, TransitionCause
from penworks.rules.alarms import AlarmBook
from penworks.store import MemoryJournal
from tests.unit.connectors.support import take
from tests.unit.rules.alarm_support import AREA, T0, ManualClock, alarm_id, condition, make_book

MINUTE = timedelta(minutes=1)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def book(clock: ManualClock) -> AlarmBook:
    return make_book(clock)


async def raise_ten(book: AlarmBook, clock: ManualClock) -> None:
    """Ten medium alarms in the area, one a minute from T0: no flood yet."""
    for n in range(10):
        clock.at = T0 + n * MINUTE
        await book.condition(condition(clock, alarm_id(n)))
    assert book.floods() == []


async def test_the_eleventh_alarm_in_ten_minutes_starts_a_flood(
    book: AlarmBook, clock: ManualClock
) -> None:
    await raise_ten(book, clock)
    clock.at = T0 + 9.5 * MINUTE
    await book.condition(condition(clock, alarm_id(10)))
    held = book.get(alarm_id(10))
    assert (held.state, held.suppressed_by, held.active, held.annunciated_at) == (
        AlarmState.SUPPRESSED,
        Suppression.FLOOD,
        True,
        None,
    )
    [flood] = book.floods()
    assert (flood.area, flood.since, flood.count, flood.suppressed, flood.suppressed_total) == (
        AREA,
        clock.now(),
        11,
        (alarm_id(10),),
        1,
    )
    history = await book.history(alarm_id(10))
    assert (history[0].from_state, history[0].to_state, history[0].cause) == (
        AlarmState.NORMAL,
        AlarmState.SUPPRESSED,
        TransitionCause.FLOOD,
    )
    assert all(book.get(alarm_id(n)).state is AlarmState.UNACK_ACTIVE for n in range(10))


async def test_urgent_alarms_and_other_areas_still_annunciate(
    book: AlarmBook, clock: ManualClock
) -> None:
    await raise_ten(book, clock)
    await book.condition(condition(clock, alarm_id(10)))
    await book.condition(condition(clock, "fire:x", priority=AlarmPriority.CRITICAL))
    await book.condition(condition(clock, "leak:x", priority=AlarmPriority.HIGH))
    await book.condition(condition(clock, "low:x", priority=AlarmPriority.LOW))
    await book.condition(condition(clock, "elsewhere:x", area="b15.f1"))
    assert book.get("fire:x").state is AlarmState.UNACK_ACTIVE
    assert book.get("leak:x").state is AlarmState.UNACK_ACTIVE
    assert book.get("low:x").suppressed_by is Suppression.FLOOD
    assert book.get("elsewhere:x").state is AlarmState.UNACK_ACTIVE
    [flood] = book.floods()
    assert flood.count == 14
    assert flood.suppressed == (alarm_id(10), "low:x")


async def test_flood_ends_below_five_and_releases_what_is_still_active(
    book: AlarmBook, clock: ManualClock
) -> None:
    await raise_ten(book, clock)  # raised at 0..9 minutes
    for n, at in ((10, 9.5), (11, 9.6), (12, 9.7)):
        clock.at = T0 + at * MINUTE
        await book.condition(condition(clock, alarm_id(n)))
    clock.at = T0 + 12 * MINUTE
    await book.condition(condition(clock, alarm_id(12), active=False))  # cleared meanwhile
    assert book.get(alarm_id(12)).state is AlarmState.NORMAL
    assert book.floods()[0].suppressed == (alarm_id(10), alarm_id(11))
    # 13 raised; below 5 once the one raised at 8 minutes leaves the window at 18
    clock.at = T0 + 18 * MINUTE - timedelta(seconds=1)
    await book.tick()
    assert book.floods()[0].count == 5
    clock.at = T0 + 18 * MINUTE
    await book.tick()
    assert book.floods() == []
    for n in (10, 11):
        view = book.get(alarm_id(n))
        assert (view.state, view.suppressed_by, view.annunciated_at) == (
            AlarmState.UNACK_ACTIVE,
            None,
            clock.now(),
        )
        latest = (await book.history(alarm_id(n), limit=1))[0]
        assert (latest.from_state, latest.cause) == (AlarmState.SUPPRESSED, TransitionCause.FLOOD)
    assert book.get(alarm_id(12)).state is AlarmState.NORMAL
    assert book.kpis().floods_24h == 1


async def test_released_alarms_do_not_start_the_next_flood(
    book: AlarmBook, clock: ManualClock
) -> None:
    await raise_ten(book, clock)
    for n in range(10, 20):  # ten held back at 9 minutes
        await book.condition(condition(clock, alarm_id(n)))
    assert len(book.floods()[0].suppressed) == 10
    clock.at = T0 + 19 * MINUTE
    await book.tick()
    assert book.floods() == []
    assert all(book.get(alarm_id(n)).state is AlarmState.UNACK_ACTIVE for n in range(10, 20))
    await book.condition(condition(clock, alarm_id(20)))  # a new one: the window has 1
    assert book.get(alarm_id(20)).state is AlarmState.UNACK_ACTIVE
    assert book.floods() == []


async def test_flood_is_journaled_and_published(clock: ManualClock) -> None:
    bus, journal = MemoryBus(), MemoryJournal()
    sub = bus.subscribe("event.alarm_flood", name="test")
    book = AlarmBook(clock, journal, bus)
    await raise_ten(book, clock)
    await book.condition(condition(clock, alarm_id(10)))
    clock.at += 20 * MINUTE
    await book.tick()
    [(_, start), (_, end)] = await take(sub, 2)
    assert isinstance(start, dict)
    assert isinstance(end, dict)
    assert (start["type"], start["event"], start["area"], start["count"]) == (
        "flood",
        "start",
        AREA,
        11,
    )
    assert start["suppressed"] == [alarm_id(10)]
    assert (end["event"], end["ended"], end["suppressed"], end["suppressed_total"]) == (
        "end",
        clock.now().isoformat(),
        [alarm_id(10)],
        1,
    )
    records = await journal.query("alarm_flood", key=AREA, newest_first=False)
    assert [r.data["event"] for r in records] == ["start", "end"]
    await bus.close()


async def test_the_suppressed_priority_is_a_setting(clock: ManualClock) -> None:
    book = make_book(clock, flood_suppresses_at_or_below="low")
    await raise_ten(book, clock)
    await book.condition(condition(clock, alarm_id(10)))
    await book.condition(condition(clock, "low:x", priority=AlarmPriority.LOW))
    assert book.get(alarm_id(10)).state is AlarmState.UNACK_ACTIVE
    assert book.get("low:x").suppressed_by is Suppression.FLOOD
    assert AlarmSettings().flood_suppresses_at_or_below is AlarmPriority.MEDIUM
