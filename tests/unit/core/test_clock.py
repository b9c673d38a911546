from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest

from penworks.core import RealClock, SimClock


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
