"""Catching up from history: a restarted energy app keeps consumption, its baseline and the
arrivals it learnt, by replaying what history holds through the live code."""

from __future__ import annotations

import asyncio
import math
from datetime import datetime, time, timedelta

from penworks.apps.energy.app import EnergyApp
from penworks.apps.energy.catchup import replay
from penworks.config import AppConfig
from penworks.core import Observation, Value
from penworks.model import SiteModel
from tests.unit.api.fakes import MemoryHistory
from tests.unit.apps.support import BUILDING15, hosting
from tests.unit.control.support import T0

MAIN = "b15.b1.elec.main_meter.energy_import"
OUTDOOR = "b15.roof.roof.weather.temp"
SCHEDULE = "b15.office_hours"
R201 = "b15.f2.r201"
PRESENCE = f"{R201}.vav.occupancy"
DAYS = 9


async def test_replay_feeds_in_time_order_and_samples_what_was_held() -> None:
    start = datetime(2026, 3, 1, 0, 0, tzinfo=T0.tzinfo)
    a = [Observation("a", start + timedelta(seconds=s), float(s)) for s in (0, 90, 150)]
    b = [Observation("b", start + timedelta(seconds=s), s > 60) for s in (30, 120)]
    fed: list[str] = []
    sampled: list[tuple[datetime, dict[str, Value]]] = []
    done = await replay(
        [a, b],
        start + timedelta(seconds=240),
        timedelta(seconds=60),
        lambda o: fed.append(f"{o.point}{(o.ts - start).seconds}"),
        lambda values, when: sampled.append((when, dict(values))),
    )
    assert fed == ["a0", "b30", "a90", "b120", "a150"]
    assert [when - start for when, _ in sampled] == [
        timedelta(seconds=s) for s in (0, 60, 120, 180)
    ]
    assert [v for _, v in sampled] == [
        {"a": 0.0},
        {"a": 0.0, "b": False},
        {"a": 90.0, "b": True},
        {"a": 150.0, "b": True},
    ]
    assert (done.observations, done.samples, done.first) == (5, 4, start)
    assert (await replay([[], []], start, timedelta(seconds=60), print, print)).first is None


def history_before(now: datetime) -> MemoryHistory:
    """DAYS of a main meter, the outdoor temperature, the schedule and r201's presence:
    hourly readings, office hours 08-18 local (UTC+8) with people at 08:30 on working days."""
    history = MemoryHistory()
    rows = []
    start = (now - timedelta(days=DAYS)).replace(minute=0, second=0, microsecond=0)
    kwh = 1000.0
    for h in range(DAYS * 24):
        ts = start + timedelta(hours=h)
        local = ts + timedelta(hours=8)
        working = local.weekday() < 5 and 8 <= local.hour < 18
        outdoor = 10.0 + 5.0 * math.sin(2 * math.pi * (local.hour - 9) / 24)
        kwh += (80.0 if working else 30.0) + 2.0 * outdoor
        rows += [
            Observation(MAIN, ts, kwh),
            Observation(OUTDOOR, ts, outdoor),
            Observation(SCHEDULE, ts, working),
            Observation(PRESENCE, ts + timedelta(minutes=30), working),
        ]
    history.rows = {(o.point, o.ts): o for o in rows}
    return history


async def test_a_restarted_app_keeps_consumption_baseline_and_arrivals() -> None:
    model = SiteModel.load(BUILDING15)
    now = T0
    app = EnergyApp()
    async with hosting(model, {"energy": AppConfig()}, app, history=history_before(now)):
        await app.ready.wait()
    main = next(m for m in app.hierarchy.meters.values() if m.energy == MAIN)
    hourly = app.counters[main.id].hourly
    assert len(hourly) >= DAYS * 24 - 2  # every hour between the first and last reading
    assert all(kwh > 0 for kwh in hourly.values())
    analysis = app.analysis
    assert analysis is not None
    assert analysis.first_hour is not None
    assert analysis.first_hour < now - timedelta(days=8)
    assert main.id in analysis.baselines, analysis.baseline_errors
    controller = app.controller
    assert controller is not None
    arrivals = controller.memory.zone_arrival[R201]
    assert len(arrivals) >= 5
    assert set(arrivals.values()) == {time(8, 30)}


async def test_catch_up_can_be_turned_off() -> None:
    model = SiteModel.load(BUILDING15)
    app = EnergyApp()
    config = {"energy": AppConfig(settings={"catch_up_days": 0})}
    async with hosting(model, config, app, history=history_before(T0)):
        await app.ready.wait()
    assert all(not c.hourly for c in app.counters.values())


async def test_a_long_replay_gives_the_event_loop_turns() -> None:
    start = datetime(2026, 3, 1, 0, 0, tzinfo=T0.tzinfo)
    ticks = 0

    async def others() -> None:  # the rest of the platform, sharing the loop
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0)

    running = asyncio.create_task(others())
    await asyncio.sleep(0)
    seen: list[int] = []
    await replay(
        [[Observation("a", start, 1.0)]],
        start + timedelta(days=2),
        timedelta(seconds=60),
        lambda o: None,
        lambda values, when: seen.append(ticks),
    )
    running.cancel()
    assert len(seen) == 2 * 24 * 60
    assert seen[-1] > seen[0]  # others ran while weeks of history were replayed
