"""The roof weather station: the twin's weather as measured, with wind, rain and pressure."""

from __future__ import annotations

import math
import statistics
from datetime import date, datetime, timedelta

import pytest

from penworks.sim.building import SITE_TZ
from penworks.sim.devices import Refusal, Refused
from penworks.sim.systems.weather_station import WeatherStation, _draw_day
from penworks.sim.world import World
from tests.unit.sim.power_support import Row, moment, run

JULY = datetime(2026, 7, 20, tzinfo=SITE_TZ)
JANUARY = datetime(2026, 1, 20, tzinfo=SITE_TZ)


def station_rows(start: datetime, hours: float, seed: int = 15) -> list[Row]:
    """The station's readings beside the twin's weather, step by step."""
    station = WeatherStation(seed)

    def take(world: World) -> Row:
        row = moment(world) | {k: float(v) for k, v in station.station.values.items()}
        weather = world.weather
        row |= {"world_temp": weather.temp_c, "world_rh": weather.rh_pct}
        row["world_sun"] = weather.solar_w_m2
        return row

    return run(start, hours, [station], take, seed)


@pytest.fixture(scope="module")
def july() -> list[Row]:
    return station_rows(JULY, 48)


def test_it_measures_the_twins_weather(july: list[Row]) -> None:
    for row in july:
        assert row["temp"] == pytest.approx(row["world_temp"], abs=0.3)
        assert row["humidity"] == pytest.approx(row["world_rh"], abs=1.5)
        assert row["irradiance"] == pytest.approx(row["world_sun"], rel=0.02, abs=0.1)
        assert row["dew_point"] <= row["temp"]


def test_wind_rain_and_pressure_are_plausible(july: list[Row]) -> None:
    for row in july:
        assert 0 <= row["wind_speed"] < 20
        assert row["wind_gust"] >= row["wind_speed"]
        assert 0 <= row["wind_direction"] < 360
        assert row["rain_rate"] >= 0
        assert 985 < row["pressure"] < 1040
    for before, now in zip(july, july[1:], strict=False):
        if now["rain_today"] < before["rain_today"]:  # only the new day starts it again
            assert now["hour"] < 0.01
            assert now["rain_today"] <= now["rain_rate"] / 120 + 0.05


def test_the_monsoon_turns_the_wind(july: list[Row]) -> None:
    def mean_direction(rows: list[Row]) -> float:
        x = sum(math.sin(math.radians(r["wind_direction"])) for r in rows)
        y = sum(math.cos(math.radians(r["wind_direction"])) for r in rows)
        return math.degrees(math.atan2(x, y)) % 360

    assert 90 < mean_direction(july) < 180  # from the south-east in summer
    assert 270 < mean_direction(station_rows(JANUARY, 24)) < 360  # from the north-west in winter


def test_rain_comes_on_about_a_third_of_days_and_more_in_the_plum_rains() -> None:
    days = [date(2026, 1, 1) + timedelta(days=i) for i in range(365)]
    wet = [d for d in days if _draw_day(15, d).rain_mm_h > 0]
    assert 0.2 < len(wet) / len(days) < 0.5
    plum = [d for d in days if d.month in (6, 7)]
    assert sum(d in wet for d in plum) / len(plum) > len(wet) / len(days)
    pressures = [_draw_day(15, d).pressure_hpa for d in days]
    assert abs(statistics.mean(pressures)) < 1.0


def test_the_same_seed_gives_the_same_readings_and_another_does_not() -> None:
    first = station_rows(JULY, 1)
    assert station_rows(JULY, 1) == first
    assert station_rows(JULY, 1, seed=16) != first


def test_the_station_is_read_only() -> None:
    with pytest.raises(Refused) as refused:
        WeatherStation(15).station.write("temp", 20.0)
    assert refused.value.refusal is Refusal.READ_ONLY


def test_a_rainy_day_counts_its_rain() -> None:
    rainy = next(
        JULY + timedelta(days=i)
        for i in range(30)
        if _draw_day(15, (JULY + timedelta(days=i)).date()).rain_mm_h
    )
    rows = station_rows(rainy, 23.9)
    assert max(r["rain_rate"] for r in rows) > 0
    fallen = sum(r["rain_rate"] * 30 / 3600 for r in rows)
    assert rows[-1]["rain_today"] == pytest.approx(fallen, abs=0.1)
