"""Outdoor weather of a Shanghai-like climate: seasonal and daily cycles plus seeded noise."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import datetime

LATITUDE_DEG = 31.2
ANNUAL_MEAN_C = 17.0
ANNUAL_SWING_C = 12.0  # about 5 C in January, 29 C in late July
DAILY_SWING_C = 3.5
HOTTEST_DAY = 205  # late July
HOTTEST_HOUR = 14.5


@dataclass(frozen=True, slots=True)
class WeatherSample:
    temp_c: float
    rh_pct: float
    solar_w_m2: float  # global horizontal irradiance
    daily_mean_c: float


class Weather:
    """Deterministic for a seed: the same instant always gives the same weather."""

    def __init__(self, seed: int) -> None:
        rng = random.Random(seed)
        # One random offset and cloudiness per day of the year, drawn once.
        self._day_offset = [rng.gauss(0.0, 2.0) for _ in range(367)]
        self._cloud = [rng.uniform(0.1, 0.9) for _ in range(367)]

    def at(self, local: datetime) -> WeatherSample:
        day = local.timetuple().tm_yday
        hour = local.hour + local.minute / 60 + local.second / 3600
        daily_mean = (
            ANNUAL_MEAN_C
            + ANNUAL_SWING_C * math.cos(2 * math.pi * (day - HOTTEST_DAY) / 365)
            + self._day_offset[day]
        )
        temp = daily_mean + DAILY_SWING_C * math.cos(2 * math.pi * (hour - HOTTEST_HOUR) / 24)
        rh = min(98.0, max(35.0, 75.0 - 2.5 * (temp - daily_mean) + 10 * self._cloud[day]))
        solar = _clear_sky(day, hour) * (1.0 - 0.75 * self._cloud[day])
        return WeatherSample(temp, rh, solar, daily_mean)


def _clear_sky(day: int, hour: float) -> float:
    declination = math.radians(23.44) * math.sin(2 * math.pi * (284 + day) / 365)
    hour_angle = math.radians(15 * (hour - 12))
    lat = math.radians(LATITUDE_DEG)
    sin_elevation = math.sin(lat) * math.sin(declination) + math.cos(lat) * math.cos(
        declination
    ) * math.cos(hour_angle)
    return max(0.0, 1000.0 * sin_elevation)
