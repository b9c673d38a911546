"""Alarm KPIs on a crafted week: rates, peaks, standing, stale, offenders, floods."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from penworks.rules.alarm_kpis import AlarmGuidance, Offender, kpis_to_json
from penworks.rules.alarm_types import AlarmPriority
from penworks.rules.alarms import AlarmBook
from tests.unit.rules.alarm_support import T0, ManualClock, alarm_id, condition, make_book

NOW = T0 + timedelta(days=10)
H, D, M, S = timedelta(hours=1), timedelta(days=1), timedelta(minutes=1), timedelta(seconds=1)
P = AlarmPriority
F9 = "b15.f9"


async def at(clock: ManualClock, when: timedelta) -> None:
    clock.at = NOW - when


async def blip(book: AlarmBook, clock: ManualClock, ago: timedelta, alarm: str, p: P) -> None:
    """Active `ago` before NOW, cleared two minutes later, never acknowledged."""
    await at(clock, ago)
    await book.condition(condition(clock, alarm, True, priority=p))
    clock.advance(120)
    await book.condition(condition(clock, alarm, False, priority=p))


@pytest.fixture
async def book() -> AlarmBook:
    clock = ManualClock()
    book = make_book(clock)
    await at(clock, 10 * D)
    await book.condition(condition(clock, "d:p", True, priority=P.MEDIUM))
    clock.advance(60)
    await book.acknowledge("d:p", "li.wei")
    await blip(book, clock, 6.5 * D, "a:p", P.HIGH)
    await blip(book, clock, 3 * D, "b:p", P.LOW)
    await at(clock, 2 * D)
    await book.condition(condition(clock, "c:p", True, priority=P.CRITICAL))
    await blip(book, clock, 1.5 * D, "a:p", P.HIGH)
    await blip(book, clock, 5.5 * H, "a:p", P.HIGH)
    for n in range(11):  # a flood in f9: 10 annunciate, the 11th is held
        await at(clock, 3 * H - n * 10 * S)
        await book.condition(condition(clock, alarm_id(n, F9), area=F9))
    await at(clock, 3 * H - 660 * S)
    await book.tick()  # the flood ends; the 11th annunciates now
    await blip(book, clock, 2.5 * H, "a:p", P.HIGH)
    await at(clock, 2.5 * H - 5 * M)
    await book.condition(condition(clock, "b:p", True, priority=P.LOW))
    await at(clock, 1 * H)
    await book.condition(condition(clock, "e:p", True, priority=P.LOW))
    await book.shelve("e:p", "li.wei", 2 * H, "being fixed")
    await blip(book, clock, 0.5 * H, "a:p", P.HIGH)
    await at(clock, 0.4 * H)
    await book.condition(condition(clock, "f:p", False))
    await book.set_out_of_service("f:p", "zhao.lei", True, "removed sensor")
    await at(clock, 0.3 * H)
    await book.condition(condition(clock, "g:p", True, suppressed=True))
    await at(clock, timedelta(0))
    return book


async def test_rates_per_hour_and_per_day(book: AlarmBook) -> None:
    kpis = book.kpis(NOW)
    hourly = [b.count for b in kpis.hourly]
    assert len(hourly) == 24
    assert kpis.hourly[-1].end == NOW
    assert kpis.hourly[0].start == NOW - D
    assert {i: n for i, n in enumerate(hourly) if n} == {18: 1, 20: 1, 21: 12, 22: 1, 23: 1}
    assert kpis.hourly_average == pytest.approx(16 / 24)
    assert kpis.hourly_peak == 12
    assert kpis.peak_10min == 10
    assert [b.count for b in kpis.daily] == [1, 0, 0, 1, 1, 1, 16]
    assert kpis.daily[0].start == NOW - 7 * D
    assert kpis.daily_average == pytest.approx(20 / 7)


async def test_standing_stale_and_held_counts(book: AlarmBook) -> None:
    kpis = book.kpis(NOW)
    assert kpis.standing == {"critical": 1, "high": 0, "medium": 12, "low": 1}
    assert kpis.standing_total == 14
    assert (kpis.stale, kpis.stale_alarms) == (2, ("c:p", "d:p"))
    assert kpis.unacknowledged == 14
    assert (kpis.shelved, kpis.suppressed, kpis.out_of_service, kpis.chattering) == (1, 1, 1, 0)
    assert kpis.suppressed_by == {"design": 1}


async def test_top_offenders_and_floods(book: AlarmBook) -> None:
    kpis = book.kpis(NOW)
    assert kpis.top_offenders[:3] == (
        Offender("a:p", 5),
        Offender("b:p", 2),
        Offender(alarm_id(0, F9), 1),
    )
    assert len(kpis.top_offenders) == 10
    assert kpis.top_share_percent == pytest.approx(75.0)
    assert kpis.floods_24h == 1
    assert kpis.flooding_areas == ()
    assert kpis.flood_time_percent == pytest.approx(100 * 560 / 86400)
    assert kpis.guidance == AlarmGuidance()
    assert (kpis.guidance.per_hour_acceptable, kpis.guidance.per_hour_manageable) == (6, 12)
    assert (kpis.guidance.per_day_acceptable, kpis.guidance.per_day_manageable) == (150, 300)


async def test_the_window_moves_on(book: AlarmBook) -> None:
    before = book.kpis(NOW)
    later = book.kpis(NOW + 8 * D)
    assert sum(b.count for b in later.daily) == 0
    assert later.top_offenders == ()
    assert later.floods_24h == 0
    assert later.flood_time_percent == 0
    assert later.stale == 14  # nothing cleared meanwhile
    assert book.kpis(NOW) == before  # asking about another instant forgets nothing


async def test_kpis_as_json(book: AlarmBook) -> None:
    data = json.loads(json.dumps(kpis_to_json(book.kpis(NOW))))
    assert data["at"] == NOW.isoformat()
    assert data["hourly"][-1] == {
        "start": (NOW - H).isoformat(),
        "end": NOW.isoformat(),
        "count": 1,
    }
    assert data["top_offenders"][0] == {"alarm_id": "a:p", "count": 5}
    assert data["standing"]["medium"] == 12
    assert data["guidance"]["per_day_manageable"] == 300
