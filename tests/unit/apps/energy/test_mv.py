"""Measurement and verification: known savings are found within their uncertainty; no
savings give an absolute uncertainty only; Student t quantiles; local days for the chart."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import numpy as np
import pytest

from penworks.apps.energy.baseline import Baseline, fit
from penworks.apps.energy.consumption import Hourly
from penworks.apps.energy.mv import (
    absolute_uncertainty,
    effective_n,
    incomplete_beta,
    savings,
    t_cdf,
    t_quantile,
    t_two_sided,
)
from tests.unit.apps.energy.test_baseline import HOUR, MONDAY, SHANGHAI, building

TRAIN_HOURS = 6 * 168
REPORT = MONDAY + TRAIN_HOURS * HOUR
REPORT_HOURS = 2 * 168


@pytest.fixture(scope="module")
def baseline() -> Baseline:
    energy, conditions, _ = building(MONDAY, TRAIN_HOURS, seed=11)
    return fit(energy, conditions, name="main", tz=SHANGHAI)


def test_a_twenty_percent_saving_is_found_within_its_band(baseline: Baseline) -> None:
    actual, conditions, true = building(REPORT, REPORT_HOURS, seed=12, scale=0.8)
    result = savings(baseline, actual, conditions)
    true_avoided = 0.2 * sum(true.values())
    assert result.hours == REPORT_HOURS
    assert (result.start, result.end) == (REPORT, REPORT + REPORT_HOURS * HOUR)
    assert result.saving_pct == pytest.approx(20.0, abs=0.5)
    assert result.uncertainty_kwh is not None
    assert result.uncertainty_pct is not None
    assert abs(result.avoided_kwh - true_avoided) <= result.uncertainty_kwh
    assert 0.5 < result.uncertainty_pct < 10.0  # a tight band on two weeks of hours
    assert result.uncertainty_pct == pytest.approx(
        100 * result.uncertainty_kwh / result.avoided_kwh
    )
    assert result.baseline_kwh - result.actual_kwh == pytest.approx(result.avoided_kwh)


def test_the_band_follows_guideline_14_annex_b(baseline: Baseline) -> None:
    actual, conditions, _ = building(REPORT, REPORT_HOURS, seed=12, scale=0.8)
    result = savings(baseline, actual, conditions, confidence=0.95)
    n, p, rho = baseline.n, baseline.p, baseline.rho
    n_eff = n * (1 - max(rho, 0)) / (1 + max(rho, 0))
    t = t_quantile(0.975, n_eff - p)
    m = REPORT_HOURS
    cv = baseline.stats.cv_rmse_hourly / 100
    expected = t * 1.26 * cv * math.sqrt((n / n_eff) * (1 + 2 / n_eff) / m)
    expected *= result.baseline_kwh  # E * m
    assert result.n_effective == pytest.approx(n_eff)
    assert result.t == pytest.approx(t)
    assert result.uncertainty_kwh == pytest.approx(expected)
    wider = savings(baseline, actual, conditions, confidence=0.99)
    assert wider.uncertainty_kwh is not None
    assert wider.uncertainty_kwh > expected


def test_no_savings_give_an_absolute_uncertainty_only(baseline: Baseline) -> None:
    _, conditions, _ = building(REPORT, REPORT_HOURS, seed=13)
    actual = baseline.predict(conditions)  # exactly the adjusted baseline
    result = savings(baseline, actual, conditions)
    assert result.avoided_kwh == pytest.approx(0.0, abs=1e-6)
    assert result.saving_pct == pytest.approx(0.0, abs=1e-9)
    assert result.uncertainty_kwh is not None
    assert result.uncertainty_kwh > 0
    assert result.uncertainty_pct is None
    data = result.to_json()
    uncertainty = data["uncertainty"]
    assert isinstance(uncertainty, dict)
    assert uncertainty["kwh"] == round(result.uncertainty_kwh, 1)
    assert uncertainty["pct_of_savings"] is None
    more = savings(baseline, {h: 1.1 * kwh for h, kwh in actual.items()}, conditions)
    assert more.saving_pct == pytest.approx(-10.0)
    assert more.uncertainty_pct is None
    assert more.uncertainty_kwh == pytest.approx(result.uncertainty_kwh)  # same baseline


def test_the_json_is_rounded_and_has_local_days(baseline: Baseline) -> None:
    actual, conditions, _ = building(REPORT, REPORT_HOURS, seed=12, scale=0.8)
    result = savings(baseline, actual, conditions)
    data = result.to_json()
    assert data["hours"] == REPORT_HOURS
    assert data["avoided_kwh"] == round(result.avoided_kwh, 1)
    assert data["saving_pct"] == round(result.saving_pct or 0.0, 1)
    assert data["start"] == REPORT.isoformat()
    days = data["days"]
    assert isinstance(days, list)
    # The report starts at 16:00 UTC: whole Shanghai days, Monday 13 April first.
    assert len(days) == 14
    assert days[0]["day"] == "2026-04-13"
    assert sum(d["actual_kwh"] for d in days) == pytest.approx(result.actual_kwh, abs=1.0)
    assert all(d["baseline_kwh"] == round(d["baseline_kwh"], 1) for d in days)


def test_one_local_day_is_one_point() -> None:
    energy, conditions, _ = building(MONDAY, 5 * 24, seed=14)
    baseline = fit(energy, conditions, name="main", tz=SHANGHAI)
    # 2 March 16:00 UTC to 3 March 15:00 UTC is Tuesday 3 March in Shanghai.
    day = {MONDAY + (24 + i) * HOUR: energy[MONDAY + (24 + i) * HOUR] for i in range(24)}
    result = savings(baseline, day, conditions)
    assert [d.day.isoformat() for d in result.days] == ["2026-03-03"]
    assert result.days[0].actual_kwh == pytest.approx(sum(day.values()))


def test_hours_without_conditions_or_excluded_are_not_counted(baseline: Baseline) -> None:
    actual, conditions, _ = building(REPORT, REPORT_HOURS, seed=12, scale=0.8)
    hours = sorted(actual)
    del conditions[hours[0]]
    actual[hours[1]] = math.nan
    result = savings(baseline, actual, conditions, exclude={hours[2]})
    assert result.hours == REPORT_HOURS - 3
    with pytest.raises(ValueError, match="no reporting hours"):
        savings(baseline, {}, conditions)
    with pytest.raises(ValueError, match="confidence"):
        savings(baseline, actual, conditions, confidence=90)


def test_too_few_effective_points_give_no_band() -> None:
    # Three days of hours with strongly correlated noise: n' falls below p.
    energy, conditions, _ = building(MONDAY, 72, seed=15)
    shocks = np.random.default_rng(15).normal(0.0, 3.0, len(energy))
    drift: Hourly = {}
    level = 0.0
    for h, shock in zip(sorted(energy), shocks, strict=True):
        level = 0.95 * level + float(shock)  # slow weather the features do not see
        drift[h] = energy[h] + level
    baseline = fit(drift, conditions, name="main", tz=SHANGHAI)
    assert effective_n(baseline.n, baseline.rho) - baseline.p < 1
    result = savings(baseline, drift, conditions)
    assert result.t is None
    assert result.uncertainty_kwh is None
    assert result.to_json()["uncertainty"] == {
        "confidence": 0.9,
        "kwh": None,
        "pct_of_savings": None,
        "t": None,
        "n_effective": round(result.n_effective, 1),
    }


@pytest.mark.parametrize(
    ("q", "dof", "table"),
    [
        (0.95, 10, 1.812),
        (0.95, 30, 1.697),
        (0.975, 5, 2.571),
        (0.975, 1, 12.706),
        (0.995, 2, 9.925),
        (0.95, 120, 1.658),
        (0.9995, 1, 636.619),
        (0.95, 1e6, 1.645),
    ],
)
def test_t_quantiles_match_the_table(q: float, dof: float, table: float) -> None:
    assert t_quantile(q, dof) == pytest.approx(table, abs=6e-4)
    assert t_quantile(1 - q, dof) == pytest.approx(-table, abs=6e-4)
    assert t_cdf(t_quantile(q, dof), dof) == pytest.approx(q, abs=1e-10)


def test_t_helpers() -> None:
    assert t_two_sided(0.9, 10) == pytest.approx(1.812, abs=6e-4)
    assert t_cdf(0.0, 7) == pytest.approx(0.5)
    assert t_cdf(1.0, 1) == pytest.approx(0.75)  # Cauchy: 1/2 + atan(1)/pi
    assert incomplete_beta(2.0, 3.0, 0.4) == pytest.approx(0.5248)  # 1 - sum of binomials
    assert incomplete_beta(1.0, 1.0, 0.3) == pytest.approx(0.3)
    with pytest.raises(ValueError, match="quantile"):
        t_quantile(1.0, 5)
    with pytest.raises(ValueError, match="quantile"):
        t_quantile(0.9, 0)


def test_effective_points_and_the_absolute_band() -> None:
    assert effective_n(1000, 0.5) == pytest.approx(1000 / 3)
    assert effective_n(1000, -0.2) == 1000  # negative correlation is not counted as a gain
    # t 2, CV 10 %, 50 kWh an hour, n = n' = 100, 25 hours: 2*1.26*0.1*50*sqrt(1.02/25)*25.
    band = absolute_uncertainty(2.0, 10.0, 50.0, 100, 100.0, 25)
    assert band == pytest.approx(2 * 1.26 * 0.1 * 50 * math.sqrt(1.02 / 25) * 25)


def test_a_baseline_in_utc_splits_a_shanghai_day() -> None:
    # One Shanghai day, 16:00 UTC to 16:00 UTC, counted in UTC days.
    energy, conditions, _ = building(MONDAY, 5 * 24, seed=16)
    in_utc = fit(energy, conditions, name="main", tz=UTC)
    day = {h: kwh for h, kwh in energy.items() if MONDAY + 24 * HOUR <= h < MONDAY + 48 * HOUR}
    result = savings(in_utc, day, conditions)
    assert [d.day for d in result.days] == [
        datetime(2026, 3, 2, tzinfo=UTC).date(),
        datetime(2026, 3, 3, tzinfo=UTC).date(),
    ]
