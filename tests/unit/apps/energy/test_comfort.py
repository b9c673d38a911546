"""Thermal comfort (ISO 7730 PMV/PPD), the air quality index, tallies and the comfort map."""

from __future__ import annotations

import ast
import math
import sys
import warnings
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from pydantic import ValidationError

from penworks.apps.energy import comfort
from penworks.apps.energy.comfort import (
    ComfortSample,
    ComfortSettings,
    ComfortSummary,
    ComfortTally,
    air_quality,
    assess,
    category_of,
    evaluate,
    operative_c,
    pmv_ppd,
    roll_up,
    season_of,
    sub_index,
    tally,
    thermal_state,
    warm_up,
)

WINTER = datetime(2026, 1, 12, 10, tzinfo=UTC)  # a Monday morning
JULY = datetime(2026, 7, 13, 10, tzinfo=UTC)
COLD_DAY, WARM_DAY = 5.0, 22.0  # outdoor daily means, C


@pytest.fixture(scope="module")
def iso_model() -> Callable[..., Any]:
    """pythermalcomfort's own function (its first import takes seconds: once per module)."""
    from pythermalcomfort.models import pmv_ppd_iso  # type: ignore[import-untyped]

    model: Callable[..., Any] = pmv_ppd_iso
    return model


def sample(
    air_c: float | None = 22.0,
    rh_pct: float | None = 45.0,
    *,
    space: str = "room",
    hour: datetime = WINTER,
    occupied: bool = True,
    outdoor: float | None = COLD_DAY,
    **more: Any,
) -> ComfortSample:
    return ComfortSample(space, hour, occupied, air_c, rh_pct, outdoor_daily_mean_c=outdoor, **more)


def hours(n: int, start: datetime = WINTER) -> list[datetime]:
    return [start + timedelta(hours=i) for i in range(n)]


# --- loading ---------------------------------------------------------------------------


def test_importing_the_module_does_not_load_pythermalcomfort() -> None:
    tree = ast.parse(Path(comfort.__file__).read_text())
    top: list[str] = []
    for node in tree.body:
        if isinstance(node, ast.Import):
            top.extend(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            top.append(node.module or "")
    assert top  # the module-level imports were found
    assert not [name for name in top if name.startswith("pythermalcomfort")]


async def test_warm_up_loads_the_model_in_a_thread() -> None:
    await warm_up()
    assert "pythermalcomfort.models" in sys.modules


# --- PMV / PPD -------------------------------------------------------------------------


def test_pmv_and_ppd_at_a_known_point(iso_model: Callable[..., Any]) -> None:
    pmv, ppd = pmv_ppd([25.0], [25.0], [50.0], [0.5], met=1.2, air_speed_ms=0.1)
    assert pmv[0] == pytest.approx(0.0841, abs=5e-4)
    assert ppd[0] == pytest.approx(5.15, abs=0.01)
    rounded = iso_model(tdb=25, tr=25, vr=0.1, rh=50, met=1.2, clo=0.5)
    assert (float(rounded.pmv), float(rounded.ppd)) == (0.08, 5.1)


def test_many_samples_at_once_equal_one_at_a_time() -> None:
    rng = np.random.default_rng(7)
    n = 200
    air = rng.uniform(5.0, 35.0, n)  # some outside the 10-30 C of the model
    radiant = air + rng.uniform(-3.0, 3.0, n)
    rh = rng.uniform(-10.0, 110.0, n)  # some impossible
    clo = rng.choice([0.5, 1.0], n)
    air[::17] = np.nan
    pmv, ppd = pmv_ppd(air, radiant, rh, clo, met=1.1, air_speed_ms=0.1)
    assert np.isfinite(pmv).sum() > n // 4
    assert np.isnan(pmv).sum() > n // 4
    one = [pmv_ppd(air[i], radiant[i], rh[i], clo[i], met=1.1, air_speed_ms=0.1) for i in range(n)]
    np.testing.assert_allclose(pmv, [float(p) for p, _ in one], rtol=1e-12, equal_nan=True)
    np.testing.assert_allclose(ppd, [float(p) for _, p in one], rtol=1e-12, equal_nan=True)


def test_evaluating_many_samples_equals_one_at_a_time() -> None:
    rng = np.random.default_rng(11)
    samples = [
        sample(
            float(rng.uniform(15, 29)),
            float(rng.uniform(20, 70)),
            space=f"s{i % 5}",
            hour=WINTER + timedelta(hours=i),
            outdoor=float(rng.uniform(0, 30)),
            co2_ppm=float(rng.uniform(400, 2500)),
        )
        for i in range(60)
    ]
    together = evaluate(samples)
    alone = [evaluate([x])[0] for x in samples]
    assert [(a.pmv, a.ppd, a.thermal, a.air) for a in together] == [
        (a.pmv, a.ppd, a.thermal, a.air) for a in alone
    ]


def test_the_limits_are_those_of_pythermalcomfort(iso_model: Callable[..., Any]) -> None:
    air, rh = np.meshgrid(np.arange(8.0, 33.0, 0.5), np.arange(0.0, 101.0, 5.0))
    air, rh = air.ravel(), rh.ravel()
    clo = np.where(air > 20, 0.5, 1.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # it warns of what it sets to NaN
        ref = iso_model(tdb=air, tr=air, vr=0.1, rh=rh, met=1.1, clo=clo, round_output=False)
    pmv, ppd = pmv_ppd(air, air, rh, clo, met=1.1, air_speed_ms=0.1)
    assert np.isnan(pmv).any()
    assert np.isfinite(pmv).any()
    np.testing.assert_allclose(pmv, ref.pmv, rtol=1e-12, equal_nan=True)
    np.testing.assert_allclose(ppd, ref.ppd, rtol=1e-12, equal_nan=True)


def test_clothing_follows_the_outdoor_daily_mean() -> None:
    settings = ComfortSettings()
    assert season_of(15.0, WINTER, settings) == "winter"
    assert season_of(15.1, WINTER, settings) == "summer"
    assert season_of(None, JULY, settings) == "summer"  # no outdoor mean: by month
    assert season_of(math.nan, WINTER, settings) == "winter"
    cold, warm = evaluate([sample(22.0, 50.0, outdoor=15.0), sample(22.0, 50.0, outdoor=15.1)])
    assert (cold.season, warm.season) == ("winter", "summer")
    winter_pmv, _ = pmv_ppd(22.0, 22.0, 50.0, 1.0, met=1.1, air_speed_ms=0.1)
    summer_pmv, _ = pmv_ppd(22.0, 22.0, 50.0, 0.5, met=1.1, air_speed_ms=0.1)
    assert cold.pmv == pytest.approx(float(winter_pmv))
    assert warm.pmv == pytest.approx(float(summer_pmv))
    assert cold.thermal == "comfortable"  # 22 C in winter clothes
    assert warm.thermal == "cool"  # in summer clothes: PMV about -1.1


def test_the_operative_band_applies_besides_the_pmv() -> None:
    winter, summer = evaluate([sample(24.2, 50.0), sample(26.3, 50.0, outdoor=WARM_DAY)])
    for a in (winter, summer):
        assert a.pmv is not None
        assert abs(a.pmv) <= 0.5
        assert a.thermal == "warm"  # above 24 C (heating) or 26 C (cooling)
    assert thermal_state(0.1, 19.5, (20.0, 24.0), 0.5) == "cool"
    assert thermal_state(0.6, 22.0, (20.0, 24.0), 0.5) == "warm"
    assert thermal_state(-0.6, 22.0, (20.0, 24.0), 0.5) == "cool"
    assert thermal_state(math.nan, 22.0, (20.0, 24.0), 0.5) == "unknown"
    assert thermal_state(math.nan, 31.0, (20.0, 24.0), 0.5) == "warm"
    assert thermal_state(math.nan, 9.0, (20.0, 24.0), 0.5) == "cool"
    assert thermal_state(math.nan, math.nan, (20.0, 24.0), 0.5) == "unknown"


def test_a_given_radiant_temperature_is_used() -> None:
    plain, cold_walls = evaluate([sample(22.0, 50.0), sample(22.0, 50.0, radiant_c=18.0)])
    assert plain.operative_c == 22.0
    assert cold_walls.operative_c == pytest.approx(20.0)
    assert plain.pmv is not None
    assert cold_walls.pmv is not None
    assert cold_walls.pmv < plain.pmv - 0.2
    assert operative_c(22.0, 18.0, 0.3) == pytest.approx(0.6 * 22 + 0.4 * 18)
    assert operative_c(22.0, 18.0, 0.8) == pytest.approx(0.7 * 22 + 0.3 * 18)


@pytest.mark.parametrize(
    ("air", "rh", "radiant"),
    [
        (None, 45.0, None),
        (22.0, None, None),
        (math.nan, 45.0, None),
        (22.0, math.inf, None),
        (22.0, 120.0, None),  # humidity above 100 %
        (22.0, -5.0, None),
    ],
)
def test_bad_readings_are_unknown_and_counted(
    air: float | None, rh: float | None, radiant: float | None
) -> None:
    [a] = evaluate([sample(air, rh, radiant_c=radiant)])
    assert (a.thermal, a.pmv, a.ppd, a.colour) == ("unknown", None, None, "unknown")
    summary = tally([sample(air, rh, hour=h, radiant_c=radiant) for h in hours(3)])["room"]
    assert (summary.occupied_h, summary.thermal_unknown_h, summary.assessed_h) == (3, 3, 0)
    assert summary.ppd_mean is None
    assert summary.outside_pct is None


@pytest.mark.parametrize(
    ("air", "rh", "radiant", "state"),
    [
        (35.0, 40.0, None, "warm"),  # above the 30 C of the model
        (35.0, None, None, "warm"),  # too hot whatever the humidity
        (8.0, 40.0, None, "cool"),
        (22.0, 45.0, 45.0, "warm"),  # radiant above 40 C: operative 33.5 C
        (30.0, 80.0, None, "warm"),  # vapour pressure above 2700 Pa
    ],
)
def test_beyond_the_pmv_model_the_operative_band_judges(
    air: float, rh: float | None, radiant: float | None, state: str
) -> None:
    [a] = evaluate([sample(air, rh, radiant_c=radiant)])
    assert (a.thermal, a.pmv, a.ppd) == (state, None, None)
    summary = tally([sample(air, rh, hour=h, radiant_c=radiant) for h in hours(3)])["room"]
    assert (summary.occupied_h, summary.outside_h, summary.assessed_h) == (3, 3, 3)
    assert summary.ppd_mean is None


def test_a_pmv_beyond_two_is_judged_by_the_band() -> None:
    # winter clothes at 29.5 C and warm walls: PMV above 2, all inputs within their limits
    [a] = evaluate([sample(29.5, 60.0, radiant_c=36.0)])
    assert (a.thermal, a.pmv) == ("warm", None)
    assert a.operative_c == pytest.approx(32.75)  # still shown


# --- air quality -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "index"),
    [(300, 100), (400, 100), (800, 75), (900, 62.5), (1000, 50), (1400, 25), (1700, 12.5)]
    + [(2000, 0), (5000, 0)],
)
def test_co2_sub_index_is_linear_between_breakpoints(value: float, index: float) -> None:
    assert sub_index(value, ComfortSettings().co2_ppm) == pytest.approx(index)


@pytest.mark.parametrize(
    ("co2", "category"),
    [(800, "good"), (801, "moderate"), (1000, "moderate"), (1001, "poor")]
    + [(1400, "poor"), (1401, "bad"), (2500, "bad")],
)
def test_categories_change_at_the_breakpoints(co2: float, category: str) -> None:
    air = air_quality(co2_ppm=co2)
    assert air is not None
    assert air.category == category


def test_pm25_and_tvoc_breakpoints() -> None:
    s = ComfortSettings()
    assert [sub_index(v, s.pm25_ugm3) for v in (0, 15, 25, 37.5, 75)] == [100, 75, 50, 25, 0]
    assert [sub_index(v, s.tvoc_ppb) for v in (0, 300, 500, 1000, 3000)] == [100, 75, 50, 25, 0]
    assert [category_of(i) for i in (100, 75, 74.9, 50, 49.9, 25, 24.9, 0)] == [
        "good",
        "good",
        "moderate",
        "moderate",
        "poor",
        "poor",
        "bad",
        "bad",
    ]


def test_the_worst_pollutant_sets_the_index() -> None:
    air = air_quality(co2_ppm=900, pm25=30, tvoc_ppb=200)
    assert air is not None
    assert air.index == pytest.approx(40.0)
    assert (air.category, air.driver) == ("poor", "pm25")
    assert air.sub["co2"] == pytest.approx(62.5)
    assert air.sub["tvoc"] == pytest.approx(100 - 25 * 200 / 300)
    assert air.to_json()["index"] == 40.0


def test_missing_pollutants_are_left_out() -> None:
    only_tvoc = air_quality(tvoc_ppb=750)
    assert only_tvoc is not None
    assert (only_tvoc.driver, set(only_tvoc.sub), only_tvoc.index) == ("tvoc", {"tvoc"}, 37.5)
    bad_readings = air_quality(co2_ppm=math.nan, pm25=-1.0, tvoc_ppb=math.inf)
    assert bad_readings is None
    assert air_quality() is None


def test_breakpoints_must_rise() -> None:
    with pytest.raises(ValidationError):
        ComfortSettings(co2_ppm=(400, 1000, 800, 1400, 2000))
    with pytest.raises(ValidationError):
        ComfortSettings(winter_band_c=(24, 20))
    with pytest.raises(ValidationError):
        ComfortSettings(met=5.0)  # outside the PMV model


# --- tallies ---------------------------------------------------------------------------


def test_only_occupied_hours_are_tallied() -> None:
    day = hours(24, WINTER.replace(hour=0))
    samples = [
        sample(22.0, 45.0, hour=h, co2_ppm=600)
        if 8 <= h.hour < 18
        else sample(27.0, 45.0, hour=h, occupied=False, co2_ppm=1800)  # setback, no fresh air
        for h in day
    ]
    samples += [sample(27.0, 45.0, space="store", hour=h, occupied=False) for h in day]
    result = tally(samples)
    room, store = result["room"], result["store"]
    assert (room.occupied_h, room.assessed_h, room.outside_h) == (10, 10, 0)
    assert room.ppd_mean == pytest.approx(evaluate([samples[10]])[0].ppd)
    assert evaluate(samples[:1])[0].outside  # the unoccupied hours were outside
    assert (store.occupied_h, store.outside_h, store.ppd_mean) == (0, 0, None)


def test_a_repeated_hour_counts_once_the_last_reading() -> None:
    first, again = sample(22.0, 45.0), sample(27.0, 45.0)
    summary = tally([first, again])["room"]
    assert (summary.occupied_h, summary.warm_h) == (1, 1)


def test_hours_outside_thermal_and_air() -> None:
    day = hours(6)
    samples = [
        sample(22.0, 45.0, hour=day[0], co2_ppm=600),  # comfortable
        sample(25.5, 45.0, hour=day[1], co2_ppm=600),  # warm
        sample(19.0, 45.0, hour=day[2], co2_ppm=600),  # cool
        sample(22.0, 45.0, hour=day[3], co2_ppm=1500),  # bad air
        sample(25.5, 45.0, hour=day[4], co2_ppm=1500),  # both: one hour outside
        sample(None, 45.0, hour=day[5]),  # nothing known
    ]
    s = tally(samples)["room"]
    assert (s.occupied_h, s.assessed_h, s.outside_h) == (6, 5, 4)
    assert (s.warm_h, s.cool_h, s.poor_air_h) == (2, 1, 2)
    assert (s.thermal_unknown_h, s.air_unknown_h) == (1, 1)
    assert s.outside_pct == pytest.approx(80.0)
    ppds = [a.ppd for a in evaluate(samples[:5])]
    assert s.ppd_mean == pytest.approx(sum(p for p in ppds if p is not None) / 5)
    assert s.to_json()["outside_pct"] == 80.0
    assert s.to_json()["ppd_mean"] == round(s.ppd_mean or 0, 1)


def test_a_tally_takes_its_own_space_only() -> None:
    t = ComfortTally("room")
    with pytest.raises(ValueError, match="other"):
        t.add(evaluate([sample(space="other")])[0])


def summary(space: str, occupied: int, assessed: int, outside: int, ppd: float | None) -> Any:
    unknown = occupied - assessed
    return ComfortSummary(
        space, occupied, assessed, outside, outside, 0, 0, unknown, 0, ppd, occupied - unknown
    )


def test_the_building_share_is_over_zone_hours() -> None:
    spaces = {
        "a": summary("a", 100, 100, 10, 6.0),
        "b": summary("b", 50, 40, 30, 12.0),  # 10 hours unknown
        "c": summary("c", 0, 0, 0, None),
    }
    building = roll_up(spaces)
    assert (building.spaces, building.occupied_h, building.assessed_h) == (3, 150, 140)
    assert (building.outside_h, building.unknown_h) == (40, 10)
    assert building.outside_pct == pytest.approx(100 * 40 / 140)
    assert building.ppd_mean == pytest.approx((100 * 6.0 + 40 * 12.0) / 140)
    assert building.to_json()["outside_pct"] == 28.6
    assert roll_up(spaces.values()) == building
    assert roll_up([]).outside_pct is None
    assert roll_up([]).ppd_mean is None


def test_roll_up_of_a_tally() -> None:
    day = hours(4)
    samples = [sample(22.0, 45.0, space="a", hour=h) for h in day]
    samples += [sample(25.5, 45.0, space="b", hour=h) for h in day[:2]]
    samples += [sample(22.0, 45.0, space="b", hour=h) for h in day[2:]]
    building = roll_up(tally(samples))
    assert building.outside_pct == pytest.approx(25.0)  # 2 of 8 zone-hours


# --- comfort map -----------------------------------------------------------------------


def test_the_map_shows_each_spaces_latest_state() -> None:
    later = WINTER + timedelta(hours=1)
    samples = [
        sample(22.0, 45.0, space="office", co2_ppm=600),
        sample(25.5, 45.0, space="office", hour=later, co2_ppm=600),  # the latest: warm
        sample(19.0, 45.0, space="lobby"),
        sample(22.0, 45.0, space="meeting", co2_ppm=1600),
        sample(22.0, 45.0, space="quiet", co2_ppm=500, occupied=False),
        sample(None, None, space="broken", co2_ppm=500),
    ]
    live = {x.space: x for x in assess(samples)}
    assert list(live) == ["broken", "lobby", "meeting", "office", "quiet"]
    colours = {space: x.colour for space, x in live.items()}
    assert colours == {
        "broken": "unknown",
        "lobby": "cool",
        "meeting": "poor_air",
        "office": "warm",
        "quiet": "comfortable",
    }
    office = live["office"].to_json()
    assert office["hour"] == later.isoformat()
    assert office["iaq_category"] == "good"
    assert office["iaq_driver"] == "co2"
    assert isinstance(office["pmv"], float)
    assert office["pmv"] > 0.5
    assert live["broken"].to_json()["pmv"] is None
    assert live["broken"].iaq_category == "good"
    assert assess([]) == []
