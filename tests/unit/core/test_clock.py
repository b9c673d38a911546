from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta

import pytest

from penworks.core import RealClock, SimClock
from penworks.core.clock import sleep_or_wake


def test_sim_clock_runs_speed_times_faster_than_the_wall() -> None:
    start = datetime(2026, 7, 1, tzinfo=UTC)
    clock = SimClock(start, speed=600)
    wall0 = time.monotonic()
    t0 = clock.now()
    time.sleep(0.05)
    t1 = clock.now()
    wall = time.monotonic() - wall0
    elapsed = (t1 - t0).total_seconds()
    assert t0 >= start
    assert elapsed == pytest.approx(wall * 600, rel=0.25)


async def test_sim_clock_sleep_is_scaled() -> None:
    clock = SimClock(datetime(2026, 7, 1, tzinfo=UTC), speed=1000)
    before = clock.now()
    await clock.sleep(60)  # 60 simulated seconds = 0.06 s of wall time
    assert clock.now() - before >= timedelta(seconds=60)


def test_sim_clock_refuses_naive_start_and_bad_speed() -> None:
    with pytest.raises(ValueError, match="aware"):
        SimClock(datetime(2026, 7, 1))  # noqa: DTZ001
    with pytest.raises(ValueError, match="speed"):
        SimClock(datetime(2026, 7, 1, tzinfo=UTC), speed=0)


def test_real_clock_is_utc() -> None:
    assert RealClock().now().tzinfo is UTC


async def test_sleep_or_wake_returns_early_when_woken() -> None:
    clock = SimClock(datetime(2026, 3, 2, tzinfo=UTC), speed=1.0)
    wake = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.call_later(0.01, wake.set)
    began = loop.time()
    await sleep_or_wake(clock, 3600, wake)
    assert loop.time() - began < 60  # woken, not an hour later
    assert wake.is_set()  # the caller decides when to clear it


async def test_sleep_or_wake_sleeps_the_clock_without_a_wake() -> None:
    clock = SimClock(datetime(2026, 3, 2, tzinfo=UTC), speed=1000.0)
    before = clock.now()
    await sleep_or_wake(clock, 5.0, asyncio.Event())
    assert clock.now() - before >= timedelta(seconds=5)
