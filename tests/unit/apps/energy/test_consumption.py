"""Consumption from cumulative kWh: resets, rollovers, backwards runs, gaps, and totals."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from penworks.apps.energy.consumption import (
    consumption,
    daily,
    daily_profile,
    eui,
    grouped,
    peak_demand,
    split,
    weekly_profile,
)
from penworks.apps.energy.quality import QualitySettings

T0 = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)  # a Monday
SETTINGS = QualitySettings(register_max_kwh=1000.0, reset_near_zero_kwh=5.0)


def at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def run(*readings: tuple[float, float]) -> tuple[dict[datetime, float], list[str]]:
    counter = consumption("m.energy", [(at(h), v) for h, v in readings], SETTINGS)
    return counter.hourly, [f.kind for f in counter.flags]


def test_steady_readings_give_hourly_kwh() -> None:
    hourly, flags = run((0, 100), (1, 110), (2, 125))
    assert hourly == {at(0): 10.0, at(1): 15.0}
    assert flags == []


def test_a_rollover_near_the_maximum_goes_on_counting() -> None:
    hourly, flags = run((0, 990), (1, 998), (2, 3))
    assert hourly[at(1)] == pytest.approx(5.0)  # 998 -> 1000 -> 3
    assert flags == ["rollover"]


def test_a_reset_to_near_zero_starts_again() -> None:
    hourly, flags = run((0, 500), (1, 510), (2, 2), (3, 6))
    assert hourly == {at(0): 10.0, at(1): 2.0, at(2): 4.0}
    assert flags == ["reset"]


def test_a_meter_running_backwards_is_flagged_and_not_counted() -> None:
    hourly, flags = run((0, 500), (1, 480), (2, 490), (3, 505))
    assert hourly == {at(0): 0.0, at(1): 0.0, at(2): 5.0}  # counted again above 500 only
    assert flags == ["backwards"]
    assert all(v >= 0 for v in hourly.values())


def test_a_tiny_drop_is_noise() -> None:
    hourly, flags = run((0, 500), (1, 499.98), (2, 501))
    assert flags == []
    assert sum(hourly.values()) == pytest.approx(1.0)


def test_a_short_gap_is_split_linearly() -> None:
    hourly, flags = run((0, 100), (0.5, 105), (2.5, 125))  # 2 h gap: at the limit
    assert flags == []
    assert hourly[at(0)] == pytest.approx(10.0)  # 5 + half an hour of 20 kWh over 2 h
    assert hourly[at(1)] == pytest.approx(10.0)
    assert hourly[at(2)] == pytest.approx(5.0)


def test_a_long_gap_is_flagged_missing_and_not_interpolated() -> None:
    counter = consumption("m.energy", [(at(0), 100), (at(1), 110), (at(6), 160), (at(7), 170)],
                          SETTINGS)  # fmt: skip
    assert counter.hourly == {at(0): 10.0, at(6): 10.0}
    [gap] = counter.flags
    assert (gap.kind, gap.point, gap.start, gap.end, gap.kwh) == (
        "gap",
        "m.energy",
        at(1),
        at(6),
        50,
    )
    assert "5.0 h" in gap.detail


def test_invalid_and_repeated_readings() -> None:
    counter = consumption("p", [(at(0), 1.0), (at(1), float("nan")), (at(1), 3.0), (at(1), 4.0)],
                          SETTINGS)  # fmt: skip
    assert [f.kind for f in counter.flags] == ["invalid"]
    assert counter.hourly == {at(0): 2.0}


def test_split_over_hour_boundaries() -> None:
    assert split(at(0.5), at(2.5), 4.0) == {at(0): 1.0, at(1): 2.0, at(2): 1.0}


def test_daily_grouped_and_peak() -> None:
    a = {at(h): 2.0 for h in range(48)}
    b = {at(h): 1.0 for h in range(24)}
    assert list(daily(a).values()) == [48.0, 48.0]
    assert grouped({"a": a, "b": b, "c": b}, {"a": "f2", "b": "f2", "c": None}, at(0), at(24)) == {
        "f2": 72.0
    }
    a[at(30)] = 9.0
    assert peak_demand(a) == (at(30), 9.0)
    assert peak_demand({}) is None


def test_energy_use_intensity() -> None:
    # 1000 m2 using 10 kWh every hour for a year: 87.6 kWh/m2/a
    assert eui(10 * 24 * 365 / 4, 1000.0, at(0), at(24 * 365 / 4)) == pytest.approx(87.6)
    with pytest.raises(ValueError, match="served area"):
        eui(1.0, 0.0, at(0), at(1))


def test_daily_and_weekly_profiles() -> None:
    week = {at(h): float(h % 24) + (10.0 if (h // 24) % 7 >= 5 else 0.0) for h in range(24 * 14)}
    day = daily_profile(week)
    assert day[0] == pytest.approx(10 * 2 / 7)  # weekends add 10 on 2 of 7 days
    assert day[23] == pytest.approx(23 + 10 * 2 / 7)
    weekly = weekly_profile(week)
    assert len(weekly) == 168
    assert weekly[3] == 3.0  # Monday 03:00
    assert weekly[5 * 24 + 3] == 13.0  # Saturday 03:00
