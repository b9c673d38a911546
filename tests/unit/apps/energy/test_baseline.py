"""Baselines: a synthetic building's known load is recovered; day-type bins for short data;
plant running beyond the schedule found from the data; unusable and excluded hours;
Guideline 14 statistics by hand; local time of the bins."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from penworks.apps.energy.baseline import (
    Baseline,
    Conditions,
    FitStats,
    evaluate,
    fit,
    guideline_14,
    lag1_autocorrelation,
    segments,
    time_of_week,
    working_days,
)
from penworks.apps.energy.consumption import Hourly

SHANGHAI = ZoneInfo("Asia/Shanghai")
MONDAY = datetime(2026, 3, 1, 16, tzinfo=UTC)  # Monday 2 March 2026, 00:00 in Shanghai
NOISE = 3.0  # kWh, standard deviation of the synthetic meter's noise
HOUR = timedelta(hours=1)


def truth(c: Conditions) -> float:
    """The synthetic building: base load, schedule, people, cooling above 20 C when occupied
    and above 25 C when not (knots of the model, so it can be matched exactly)."""
    cooling = 4.0 * max(c.outdoor_c - 20.0, 0.0) * c.occupied
    night = 1.5 * max(c.outdoor_c - 25.0, 0.0) * (1.0 - c.occupied)
    return 30.0 + 40.0 * c.occupied + 0.1 * c.people + cooling + night


def weather(hours: list[datetime], seed: int) -> dict[datetime, Conditions]:
    """Weekday schedule 08:00-18:00 local (half an hour at 18:00), a daily temperature
    swing around a random daily mean, people while occupied."""
    rng = np.random.default_rng(seed)
    day_mean: dict[object, float] = {}
    out: dict[datetime, Conditions] = {}
    for h in hours:
        local = h.astimezone(SHANGHAI)
        if local.date() not in day_mean:
            day_mean[local.date()] = float(rng.normal(21.0, 5.0))
        weekday = local.weekday() < 5
        occupied = (1.0 if 8 <= local.hour < 18 else 0.5 if local.hour == 18 else 0.0) * weekday
        temp = day_mean[local.date()] + 6.0 * math.sin(2 * math.pi * (local.hour - 9) / 24)
        people = occupied * float(rng.uniform(100.0, 300.0))
        out[h] = Conditions(temp, occupied, people)
    return out


def building(
    start: datetime, hours: int, seed: int, scale: float = 1.0
) -> tuple[Hourly, dict[datetime, Conditions], Hourly]:
    """Metered kWh (scaled truth plus noise), conditions and the noise-free truth."""
    span = [start + i * HOUR for i in range(hours)]
    conditions = weather(span, seed)
    noise = np.random.default_rng(seed + 1000).normal(0.0, NOISE, hours)
    true = {h: truth(conditions[h]) for h in span}
    metered = {h: scale * true[h] + float(e) for h, e in zip(span, noise, strict=True)}
    return metered, conditions, true


def noise_cv(energy: Hourly) -> float:
    return 100.0 * NOISE / (sum(energy.values()) / len(energy))


TRAIN_HOURS = 9 * 168  # nine weeks


@pytest.fixture(scope="module")
def trained() -> tuple[Baseline, Hourly]:
    energy, conditions, _ = building(MONDAY, TRAIN_HOURS, seed=1)
    return fit(energy, conditions, name="main", tz=SHANGHAI), energy


def test_the_fit_recovers_a_known_building(trained: tuple[Baseline, Hourly]) -> None:
    baseline, energy = trained
    stats = baseline.stats
    assert baseline.bins == 168
    assert baseline.knots == (10.0, 15.0, 20.0, 25.0, 30.0)
    assert stats.n == TRAIN_HOURS
    assert 20 < stats.p < 200
    assert stats.cv_rmse_hourly == pytest.approx(noise_cv(energy), rel=0.1)
    assert abs(stats.nmbe_hourly) < 0.05
    assert stats.monthly_basis == "monthly"  # nine weeks: March, April and early May
    assert stats.r2 > 0.95
    assert abs(stats.rho) < 0.1  # the noise is independent
    assert stats.meets_guideline_14()
    assert (baseline.start, baseline.end) == (MONDAY, MONDAY + TRAIN_HOURS * HOUR)


def test_predictions_on_unseen_hours_are_close(trained: tuple[Baseline, Hourly]) -> None:
    baseline, _ = trained
    later = MONDAY + TRAIN_HOURS * HOUR
    energy, conditions, true = building(later, 2 * 168, seed=2)
    predicted = baseline.predict(conditions)
    assert set(predicted) == set(conditions)
    error = np.array([predicted[h] - true[h] for h in true])
    assert math.sqrt(float(np.mean(error**2))) < 0.5 * NOISE
    assert abs(float(error.mean())) < 0.2
    stats = evaluate(baseline, energy, conditions)
    assert stats.p == 0
    assert stats.n == 2 * 168
    assert stats.monthly_basis == "daily"
    assert stats.cv_rmse_hourly == pytest.approx(noise_cv(energy), rel=0.15)
    assert abs(stats.nmbe_hourly) < 1.0


def test_a_few_days_fit_with_day_type_bins() -> None:
    energy, conditions, _ = building(MONDAY + 2 * 24 * HOUR, 6 * 24, seed=3)  # Wed to Mon
    baseline = fit(energy, conditions, name="main", tz=SHANGHAI)
    assert baseline.bins == 48
    assert len(baseline.levels) == 48  # working and weekend days both seen
    assert baseline.stats.monthly_basis == "daily"
    assert baseline.stats.cv_rmse_hourly < 2 * noise_cv(energy)
    assert baseline.stats.meets_guideline_14()


def test_an_untrained_bin_takes_the_mean_of_its_day_type() -> None:
    # Two working days and a weekend, flat weather; no training hour at 03:00 on working days.
    energy, conditions, _ = building(MONDAY + 3 * 24 * HOUR, 4 * 24, seed=4)  # Thu to Sun
    conditions = {h: Conditions(22.0, c.occupied, c.people) for h, c in conditions.items()}
    night = {h for h in energy if h.astimezone(SHANGHAI).hour == 3}
    working = {h for h in night if h.astimezone(SHANGHAI).weekday() < 5}
    baseline = fit(energy, conditions, name="main", tz=SHANGHAI, exclude=working)
    assert baseline.bins == 48
    assert 3 not in baseline.levels  # working days, 03:00
    assert 27 in baseline.levels  # weekend, 03:00
    wednesday = [MONDAY + (2 * 24 + i) * HOUR for i in range(24)]
    same = Conditions(22.0, 1.0, 0.0)  # the same conditions at every hour of a working day
    predicted = baseline.predict(dict.fromkeys(wednesday, same))
    others = [predicted[h] for h in wednesday if h.astimezone(SHANGHAI).hour != 3]
    assert predicted[wednesday[3]] == pytest.approx(sum(others) / len(others))


def early_plant(
    start: datetime, hours: int, seed: int
) -> tuple[Hourly, dict[datetime, Conditions], Hourly]:
    """The synthetic building whose plant starts at 06:00 on working days, two hours before
    the schedule: fans and pumps (60 kWh) and cooling (6 kWh per K above 20 C) run fully
    from then on and at the schedule's share once it is on."""
    _, conditions, _ = building(start, hours, seed)
    noise = np.random.default_rng(seed + 2000).normal(0.0, NOISE, hours)
    true = {}
    for h, c in conditions.items():
        local = h.astimezone(SHANGHAI)
        mode = 1.0 if local.weekday() < 5 and local.hour in (6, 7) else c.occupied
        plant = mode * (60.0 + 6.0 * max(c.outdoor_c - 20.0, 0.0))
        night = (1.0 - mode) * 1.5 * max(c.outdoor_c - 25.0, 0.0)
        true[h] = 30.0 + 40.0 * c.occupied + 0.1 * c.people + plant + night
    metered = {h: true[h] + float(e) for h, e in zip(true, noise, strict=True)}
    return metered, conditions, true


def test_plant_running_before_the_schedule_gets_the_occupied_slopes() -> None:
    energy, conditions, true = early_plant(MONDAY, 2 * 168, seed=11)
    baseline = fit(energy, conditions, name="main", tz=SHANGHAI)
    assert baseline.bins == 48
    # 06:00 and 07:00 on working days run in occupied mode; nights and weekends do not.
    assert {6, 7} <= baseline.occupied_bins <= set(range(6, 19))
    assert baseline.to_json()["occupied_bins"] == sorted(baseline.occupied_bins)
    assert baseline.stats.cv_rmse_hourly == pytest.approx(noise_cv(energy), rel=0.15)
    # Without the noise the model holds this building, start-up hours included: another
    # week's hours, in weather of their own, come within 50 Wh (the ridge's pull). With the
    # unoccupied slopes at 06:00 and 07:00 they were up to 5 kWh off.
    exact = fit(true, conditions, name="main", tz=SHANGHAI)
    _, unseen, later = early_plant(MONDAY + 2 * 168 * HOUR, 168, seed=12)
    predicted = exact.predict(unseen)
    assert max(abs(predicted[h] - later[h]) for h in later) < 0.05


def test_cold_nights_below_a_steep_line_are_not_occupied_mode() -> None:
    # The first weekend's nights are near 10 C; the straight line of kWh on temperature,
    # steep from the occupied hours, runs below their 30 kWh there.
    energy, conditions, _ = early_plant(MONDAY, 2 * 168, seed=51)
    cold = [h for h, c in conditions.items() if c.outdoor_c < 11.0 and c.occupied == 0]
    assert any(h.astimezone(SHANGHAI).weekday() == 5 for h in cold)
    baseline = fit(energy, conditions, name="main", tz=SHANGHAI)
    assert {6, 7} <= baseline.occupied_bins <= set(range(6, 19))


def test_too_few_hours_are_refused() -> None:
    energy, conditions, _ = building(MONDAY, 80, seed=5)
    energy[MONDAY] = math.nan
    for h in list(energy)[1:9]:
        del conditions[h]  # 71 usable hours left
    with pytest.raises(ValueError, match=r"71 usable hours.*at least 72"):
        fit(energy, conditions, name="main", tz=SHANGHAI)


def test_excluded_hours_are_not_used() -> None:
    energy, conditions, _ = building(MONDAY, 10 * 24, seed=6)
    spikes = set(list(energy)[5::8])  # 30 hours of a broken meter
    for h in spikes:
        energy[h] *= 20.0
    clean = fit(energy, conditions, name="main", tz=SHANGHAI, exclude=spikes)
    spoiled = fit(energy, conditions, name="main", tz=SHANGHAI)
    assert clean.n == len(energy) - len(spikes)
    assert spoiled.n == len(energy)
    kept = {h: kwh for h, kwh in energy.items() if h not in spikes}
    assert clean.stats.cv_rmse_hourly == pytest.approx(noise_cv(kept), rel=0.15)
    assert spoiled.stats.cv_rmse_hourly > 5 * clean.stats.cv_rmse_hourly


def test_guideline_14_figures_by_hand() -> None:
    # Two hours on each of three days, known residuals.
    hours = [datetime(2026, 3, d, h, tzinfo=UTC) for d in (2, 3, 4) for h in (0, 1)]
    y = [10.0, 20.0, 10.0, 20.0, 10.0, 20.0]
    r = [1.0, -1.0, 2.0, 0.0, 0.0, 1.0]
    actual = dict(zip(hours, y, strict=True))
    predicted = {h: v - e for h, v, e in zip(hours, y, r, strict=True)}
    stats = guideline_14(actual, predicted, tz=UTC, p=2)
    # Hourly: SSE 7, sum 3, mean 15, n - p = 4.
    assert stats.cv_rmse_hourly == pytest.approx(100 * math.sqrt(7 / 4) / 15)
    assert stats.nmbe_hourly == pytest.approx(100 * 3 / (4 * 15))
    # Daily sums (less than two months): 30 each, residual sums 0, 2, 1, one parameter.
    assert stats.monthly_basis == "daily"
    assert stats.cv_rmse_monthly == pytest.approx(100 * math.sqrt(5 / 2) / 30)
    assert stats.nmbe_monthly == pytest.approx(100 * 3 / (2 * 30))
    assert stats.r2 == pytest.approx(1 - 7 / 150)
    # Lag 1 within each day only: deviations from 0.5, pair mean -1.75/3, variance 5.5/6.
    assert stats.rho == pytest.approx((-1.75 / 3) / (5.5 / 6))
    assert (stats.n, stats.p) == (6, 2)
    assert stats.to_json()["cv_rmse_hourly"] == round(100 * math.sqrt(7 / 4) / 15, 2)


def test_monthly_sums_are_per_local_month() -> None:
    # 20:00 UTC on 31 January is 04:00 on 1 February in Shanghai.
    hours = [
        datetime(2026, 1, 10, 0, tzinfo=UTC),
        datetime(2026, 1, 31, 20, tzinfo=UTC),
        datetime(2026, 2, 10, 0, tzinfo=UTC),
        datetime(2026, 3, 10, 0, tzinfo=UTC),
    ]
    actual = dict.fromkeys(hours, 10.0)
    predicted = dict(zip(hours, [10.0, 8.0, 10.0, 10.0], strict=True))
    # Shanghai months: Jan residual 0, Feb 2 + 0, Mar 0; sums 10, 20, 10, mean 40/3.
    stats = guideline_14(actual, predicted, tz=SHANGHAI)
    assert stats.monthly_basis == "monthly"
    assert stats.cv_rmse_monthly == pytest.approx(100 * math.sqrt(4 / 3) / (40 / 3))
    assert stats.nmbe_monthly == pytest.approx(100 * 2 / (3 * 40 / 3))
    # In UTC the hour stays in January: sums 20, 10, 10.
    utc = guideline_14(actual, predicted, tz=UTC)
    assert utc.cv_rmse_monthly == pytest.approx(stats.cv_rmse_monthly)  # same residuals
    assert utc.nmbe_monthly == pytest.approx(stats.nmbe_monthly)
    assert (stats.n, stats.p) == (4, 0)


def test_guideline_14_criteria() -> None:
    good = FitStats(25.0, -9.0, 14.0, 4.9, "monthly", 0.8, 1000, 100, 0.3)
    assert good.meets_guideline_14()
    assert not FitStats(31.0, 0.0, 10.0, 0.0, "monthly", 0.8, 1000, 100, 0.3).meets_guideline_14()
    assert not FitStats(20.0, 0.0, 10.0, 5.5, "monthly", 0.8, 1000, 100, 0.3).meets_guideline_14()
    assert not FitStats(
        20.0, 0.0, math.nan, math.nan, "daily", 0.8, 1000, 100, 0.3
    ).meets_guideline_14()
    assert (
        FitStats(20.0, 0.0, math.nan, 1.0, "daily", 0.8, 1, 0, 0).to_json()["cv_rmse_monthly"]
        is None
    )


def test_the_autocorrelation_skips_gaps() -> None:
    hours = [MONDAY + i * HOUR for i in (0, 1, 2, 10, 11)]
    residuals = np.array([1.0, 1.0, 1.0, -1.0, -1.0])
    # Mean 0.2; pairs (0,1), (1,2), (10,11): deviations 0.8*0.8 twice and 1.2*1.2.
    expected = ((0.64 + 0.64 + 1.44) / 3) / ((3 * 0.64 + 2 * 1.44) / 5)
    assert lag1_autocorrelation(hours, residuals) == pytest.approx(expected)
    assert lag1_autocorrelation(hours[:1], residuals[:1]) == 0.0


def test_hour_of_week_is_in_local_time() -> None:
    # Asia/Shanghai is UTC+8 all year: 01:00 UTC on a Monday is 09:00 local.
    assert time_of_week(datetime(2026, 3, 2, 1, tzinfo=UTC), SHANGHAI) == 9
    assert time_of_week(datetime(2026, 3, 2, 1, tzinfo=UTC), UTC) == 1
    # 20:00 UTC on Sunday is already Monday 04:00 in Shanghai.
    assert time_of_week(datetime(2026, 3, 1, 20, tzinfo=UTC), SHANGHAI) == 4
    assert time_of_week(datetime(2026, 3, 1, 20, tzinfo=UTC), UTC) == 6 * 24 + 20
    with pytest.raises(ValueError, match="time zone"):
        time_of_week(datetime(2026, 3, 2, 1), SHANGHAI)  # noqa: DTZ001


def test_a_fit_keeps_its_time_zone_and_groups_local_days() -> None:
    energy, conditions, _ = building(MONDAY, 7 * 24, seed=7)
    baseline = fit(energy, conditions, name="main", tz=SHANGHAI)
    assert baseline.tz is SHANGHAI
    assert baseline.to_json()["timezone"] == "Asia/Shanghai"
    # The week starts at 16:00 UTC on Sunday: Monday to Sunday in Shanghai.
    days = working_days(conditions, SHANGHAI)
    assert [d.isoformat() for d in days] == [f"2026-03-0{i}" for i in range(2, 9)]
    assert [days[d] for d in sorted(days)] == [True] * 5 + [False] * 2
    assert min(working_days(conditions, UTC)).isoformat() == "2026-03-01"


def test_without_a_schedule_working_days_are_weekdays() -> None:
    hours = [MONDAY + i * HOUR for i in range(7 * 24)]
    conditions = dict.fromkeys(hours, Conditions(20.0, 0.0, 0.0))
    days = working_days(conditions, SHANGHAI, schedule_known=False)
    assert [days[d] for d in sorted(days)] == [True] * 5 + [False] * 2


def test_temperature_segments_sum_to_the_temperature() -> None:
    knots = (10.0, 15.0, 20.0)
    assert segments(7.0, knots) == [7.0, 0.0, 0.0, 0.0]
    assert segments(17.0, knots) == [10.0, 5.0, 2.0, 0.0]
    assert segments(26.0, knots) == [10.0, 5.0, 5.0, 6.0]
    assert segments(12.5, ()) == [12.5]
    for t in (-5.0, 12.0, 33.0):
        assert sum(segments(t, knots)) == pytest.approx(t)
