"""The rooftop weather station: what the twin's weather is, as a real station measures it.

Temperature, humidity and global irradiance are the twin's weather (penworks.sim.weather)
with the sensors' own small noise. The station adds what the weather model does not keep:
wind (a daily mean, stronger in the afternoon, gusty, from the south-east in summer and
the north-west in winter, as the monsoon turns), rain (spells drawn per day, more of them in
the plum-rain season of June and July) and air pressure (high in winter, a daily tide, a
little lower while it rains). Each day's draws come from the seed and the date.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import date

from penworks.core import PointKind
from penworks.sim.devices import DeviceType, PointSpec, SimDevice
from penworks.sim.scenarios import ScenarioKind
from penworks.sim.world import World

TOPIC = "b15/roof/roof/weather"
SUMMER_WIND_DEG = 135.0  # south-east
WINTER_WIND_DEG = 315.0  # north-west
MEAN_PRESSURE_HPA = 1013.0
SEASONAL_PRESSURE_HPA = 9.0
RAIN_DAY_SHARE = 0.3
PLUM_RAIN_DAY_SHARE = 0.55
PLUM_RAIN_MONTHS = (6, 7)


def _reading(key: str, unit: str | None, what: str) -> PointSpec:
    return PointSpec(key, PointKind.NUMBER, unit, what)


STATION = DeviceType(
    "WS-600 compact weather station",
    "mqtt",
    (
        _reading("temp", "degC", "Outdoor air temperature"),
        _reading("humidity", "%RH", "Outdoor relative humidity"),
        _reading("dew_point", "degC", "Outdoor dew point"),
        _reading("irradiance", "W/m2", "Global horizontal irradiance"),
        _reading("wind_speed", "m/s", "Wind speed, 10-minute mean"),
        _reading("wind_gust", "m/s", "Wind gust"),
        _reading("wind_direction", "deg", "Wind direction, from north, clockwise"),
        _reading("rain_rate", "mm/h", "Rain intensity"),
        _reading("rain_today", "mm", "Rain since local midnight"),
        _reading("pressure", "hPa", "Air pressure at station height"),
    ),
)


@dataclass(frozen=True, slots=True)
class _Day:
    wind_ms: float
    pressure_hpa: float  # the day's offset from the seasonal mean
    rain_start_h: float
    rain_end_h: float
    rain_mm_h: float  # 0 on a dry day


class WeatherStation:
    """The roof's weather station (MQTT, b15/roof/roof/weather)."""

    name = "weather_station"

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.station = SimDevice(
            name="weather_station",
            label="Roof weather station",
            type=STATION,
            address=TOPIC,
            location="roof/roof",
        )
        self._days: dict[date, _Day] = {}
        self._gust = 0.0  # the wind's deviation from its mean, a slow random walk
        self._direction: float | None = None
        self._rain_day: date | None = None
        self._rain_mm = 0.0

    def devices(self) -> list[SimDevice]:
        return [self.station]

    def scenario_targets(self) -> dict[ScenarioKind, list[str]]:
        return {}

    def step(self, world: World) -> None:
        today = world.local.date()
        day = self._day(today)
        hour = world.hour
        rng = world.rng
        weather = world.weather
        temp = weather.temp_c + rng.gauss(0, 0.05)
        rh = min(100.0, max(0.0, weather.rh_pct + rng.gauss(0, 0.3)))
        rain = self._rain(world, today, day, hour)
        wind, gust = self._wind(day, hour, rng)
        direction = self._wind_direction(world, rng)
        pressure = self._pressure(world, day, rain)
        station = self.station
        station.set("temp", round(temp, 2))
        station.set("humidity", round(rh, 1))
        station.set("dew_point", round(dew_point(temp, rh), 2))
        station.set("irradiance", round(max(0.0, weather.solar_w_m2 * rng.uniform(0.99, 1.01)), 1))
        station.set("wind_speed", round(wind, 1))
        station.set("wind_gust", round(gust, 1))
        station.set("wind_direction", round(direction))
        station.set("rain_rate", round(rain, 1))
        station.set("rain_today", round(self._rain_mm, 1))
        station.set("pressure", round(pressure, 1))
        world.shared["weather.wind_ms"] = round(wind, 2)
        world.shared["weather.wind_dir_deg"] = round(direction)
        world.shared["weather.rain_mm_h"] = round(rain, 2)
        world.shared["weather.pressure_hpa"] = round(pressure, 1)

    def _day(self, today: date) -> _Day:
        if today not in self._days:
            self._days = {today: _draw_day(self.seed, today)}  # only today is needed
        return self._days[today]

    def _rain(self, world: World, today: date, day: _Day, hour: float) -> float:
        if self._rain_day != today:
            self._rain_day, self._rain_mm = today, 0.0
        if not day.rain_mm_h or not day.rain_start_h <= hour < day.rain_end_h:
            return 0.0
        rate = day.rain_mm_h * world.rng.uniform(0.4, 1.6)
        self._rain_mm += rate * world.dt / 3600
        return rate

    def _wind(self, day: _Day, hour: float, rng: random.Random) -> tuple[float, float]:
        afternoon = 1.0 + 0.35 * math.sin(2 * math.pi * (hour - 9.0) / 24)
        self._gust = 0.95 * self._gust + rng.gauss(0, 0.2)
        speed = max(0.0, day.wind_ms * afternoon + self._gust)
        return speed, speed * rng.uniform(1.2, 1.7)

    def _wind_direction(self, world: World, rng: random.Random) -> float:
        summer = 0.5 - 0.5 * math.cos(2 * math.pi * (world.local.timetuple().tm_yday - 20) / 365)
        prevailing = WINTER_WIND_DEG + summer * (SUMMER_WIND_DEG - WINTER_WIND_DEG)
        if self._direction is None:
            self._direction = prevailing
        pull = (prevailing - self._direction + 180) % 360 - 180
        self._direction = (self._direction + 0.02 * pull + rng.gauss(0, 4)) % 360
        return self._direction

    def _pressure(self, world: World, day: _Day, rain: float) -> float:
        yday = world.local.timetuple().tm_yday
        seasonal = SEASONAL_PRESSURE_HPA * math.cos(2 * math.pi * (yday - 15) / 365)
        tide = 0.8 * math.cos(4 * math.pi * (world.hour - 10) / 24)
        wet = -2.5 if rain > 0 else 0.0
        return MEAN_PRESSURE_HPA + seasonal + day.pressure_hpa + tide + wet


def _draw_day(seed: int, today: date) -> _Day:
    rng = random.Random(f"{seed}:weather_station:{today.isoformat()}")
    wind = rng.uniform(1.5, 5.0)
    pressure = rng.gauss(0, 3.0)
    share = PLUM_RAIN_DAY_SHARE if today.month in PLUM_RAIN_MONTHS else RAIN_DAY_SHARE
    start = rng.uniform(0, 22)
    end = min(24.0, start + rng.uniform(1, 6))
    intensity = rng.uniform(0.5, 6.0) if rng.random() < share else 0.0
    return _Day(wind, pressure, start, end, intensity)


def dew_point(temp_c: float, rh_pct: float) -> float:
    """Magnus formula."""
    a, b = 17.62, 243.12
    gamma = math.log(max(rh_pct, 1.0) / 100) + a * temp_c / (b + temp_c)
    return b * gamma / (a - gamma)
