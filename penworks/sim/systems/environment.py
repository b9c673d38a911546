"""Environment: an indoor air quality sensor in every zone and fan-coil room.

Each sensor (MQTT 'b15/<floor>/<space>/iaq') reports temperature, humidity and CO2 as the
HVAC systems leave them in the shared readings ('<place>.temp', '.rh', '.co2'; a plausible
value when they are missing), plus PM2.5 and TVOC it models itself, each with its own
calibration offset and a little noise, sampled every SAMPLE_S.

- PM2.5 follows the outdoor level (a seeded Shanghai-like day: higher in winter, traffic
  peaks morning and evening) let in through the filters while the air handlers run (07:00
  to 20:00 on working days) and by infiltration otherwise, plus dust people stir up.
- TVOC rises with people (bio-effluents, personal care) and with the cleaners' products in
  the evening, and is diluted by ventilation.
- FIRE (a place, injected by the fire system's owner): smoke fills the room (PM2.5 and TVOC
  far above anything else, to the sensors' range) and leaks to the rest of the floor; the
  smoke control purges it after the fire, so both fall back to normal within the hour.

Shared readings written: '<place>.pm25' (ug/m3) and '<place>.tvoc' (ppb), the air's values
without the sensor's error, and 'environment.outdoor_pm25'.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import date, datetime

from penworks.sim.devices import DeviceType, PointSpec, SimDevice
from penworks.sim.people import OUTSIDE
from penworks.sim.physics import OUTDOOR_CO2_PPM
from penworks.sim.scenarios import ScenarioKind
from penworks.sim.systems.hvac_shared import number
from penworks.sim.systems.spaces_common import ROOMS, Room, mqtt_device, working_hours
from penworks.sim.world import World

SAMPLE_S = 60.0  # the sensor's sampling interval
VENTILATED_H = (7.0, 20.0)  # the air handlers' schedule on working days
VENTILATED_ACH = 2.0
INFILTRATION_ACH = 0.3
DEPOSITION_PER_H = 0.2  # particles settling on surfaces
FILTERED_PENETRATION = 0.3  # share of outdoor PM2.5 through F7 filters and leaks
UNFILTERED_PENETRATION = 0.6
RESUSPENSION_UG_M3_PER_PERSON_M2 = 30.0  # dust stirred up, per person per m2 of floor
TVOC_BASE_PPB = 60.0  # furniture and finishes off-gassing
TVOC_PERSON_UG_S = 4.0  # about 15 mg/h each
TVOC_CLEANING_UG_S = 150.0  # while a cleaner works in the room
UG_M3_PER_PPB = 2.3  # isobutylene-equivalent
FIRE_PM_UG_S = 20_000.0
FIRE_TVOC_UG_S = 50_000.0
FIRE_RAMP_S = 300.0
FIRE_SPREAD_SHARE = 0.1  # of the smoke that reaches the rest of the floor
SMOKE_PURGE_ACH = 10.0  # the smoke extract runs while there is smoke
PM25_RANGE = 1000.0
TVOC_RANGE_PPB = 60_000.0
OUTDOOR_PM_MEAN = 35.0
OUTDOOR_PM_SEASONAL = 20.0  # winter inversions push it up, the summer monsoon down
OUTDOOR_PM_DAY_SIGMA = 0.4

IAQ_SENSOR = DeviceType(
    "AQ-7 indoor air quality sensor",
    "mqtt",
    (
        PointSpec("temp", unit="degC", description="Air temperature", default=22.0),
        PointSpec("rh", unit="%RH", description="Relative humidity", default=50.0),
        PointSpec("co2", unit="ppm", description="CO2 (NDIR)", default=420),
        PointSpec("pm25", unit="ug/m3", description="PM2.5 (optical), 0-1000"),
        PointSpec("tvoc", unit="ppb", description="Total VOC (MOX), 0-60000"),
    ),
    vendor="Airsense",
)


class OutdoorPm:
    """Outdoor PM2.5 of a Shanghai-like city: seasonal, a seeded level per day, rush hours."""

    def __init__(self, seed: int) -> None:
        self._seed = seed
        self._day: date | None = None
        self._factor = 1.0

    def at(self, local: datetime) -> float:
        day = local.date()
        if day != self._day:
            rng = random.Random(f"{self._seed}:pm25:{day.isoformat()}")
            self._day, self._factor = day, math.exp(rng.gauss(0.0, OUTDOOR_PM_DAY_SIGMA))
        yday = local.timetuple().tm_yday
        seasonal = OUTDOOR_PM_MEAN + OUTDOOR_PM_SEASONAL * math.cos(2 * math.pi * (yday - 15) / 365)
        hour = local.hour + local.minute / 60
        traffic = math.exp(-(((hour - 8.0) / 1.5) ** 2)) + math.exp(-(((hour - 18.5) / 2.0) ** 2))
        return seasonal * self._factor * (0.85 + 0.3 * traffic)


@dataclass(slots=True)
class _Sensor:
    room: Room
    place: str
    device: SimDevice
    keys: tuple[str, str, str, str, str]  # shared temp, rh, co2, pm25, tvoc
    temp_offset: float
    rh_offset: float
    co2_offset: float
    pm_gain: float
    tvoc_gain: float
    pm25: float = 10.0
    tvoc: float = TVOC_BASE_PPB
    smoke_pm: float = 0.0  # what a fire added, kept apart so that it purges on its own
    smoke_tvoc: float = 0.0


class Environment:
    name = "environment"

    def __init__(self, seed: int) -> None:
        self.seed = seed
        rng = random.Random(f"{seed}:environment")
        self._sensors = [self._sensor(room, rng) for room in ROOMS]
        self._by_place = {s.place: s for s in self._sensors}
        self._since_sample_s = SAMPLE_S
        self._outdoor = OutdoorPm(seed)
        self._noise = random.Random(f"{seed}:environment:noise")
        self._cleaners: list[str] | None = None

    @staticmethod
    def _sensor(room: Room, rng: random.Random) -> _Sensor:
        device = mqtt_device(room, "iaq", f"IAQ sensor {room.place}", IAQ_SENSOR)
        p = room.place
        return _Sensor(
            room,
            p,
            device,
            (f"{p}.temp", f"{p}.rh", f"{p}.co2", f"{p}.pm25", f"{p}.tvoc"),
            temp_offset=rng.uniform(-0.3, 0.3),
            rh_offset=rng.uniform(-2.0, 2.0),
            co2_offset=rng.uniform(-25.0, 25.0),
            pm_gain=rng.uniform(0.9, 1.1),
            tvoc_gain=rng.uniform(0.9, 1.1),
        )

    def devices(self) -> list[SimDevice]:
        return [s.device for s in self._sensors]

    def scenario_targets(self) -> dict[ScenarioKind, list[str]]:
        return {}  # fires belong to the fire system; the sensors only see their smoke

    def step(self, world: World) -> None:
        outdoor = self._outdoor.at(world.local)
        world.shared["environment.outdoor_pm25"] = round(outdoor, 1)
        ventilated = working_hours(world.local, *VENTILATED_H)
        ach = VENTILATED_ACH if ventilated else INFILTRATION_ACH
        penetration = FILTERED_PENETRATION if ventilated else UNFILTERED_PENETRATION
        pm_keep = math.exp(-world.dt * (ach + DEPOSITION_PER_H) / 3600)
        tvoc_keep = math.exp(-world.dt * ach / 3600)
        smoke_keep = math.exp(-world.dt * SMOKE_PURGE_ACH / 3600)
        cleaning = self._cleaning(world)
        smoke = self._smoke_sources(world)
        self._since_sample_s += world.dt
        sample = self._since_sample_s >= SAMPLE_S
        if sample:
            self._since_sample_s = 0.0
        shared = world.shared
        for s in self._sensors:
            people = world.people.in_place(s.place)
            volume = s.room.volume_m3
            pm_target = outdoor * penetration + (
                RESUSPENSION_UG_M3_PER_PERSON_M2 * people / s.room.area_m2
            )
            s.pm25 = pm_target + (s.pm25 - pm_target) * pm_keep
            emitted = people * TVOC_PERSON_UG_S + (
                TVOC_CLEANING_UG_S if s.place in cleaning else 0.0
            )
            tvoc_target = TVOC_BASE_PPB + emitted / UG_M3_PER_PPB / volume / (ach / 3600)
            s.tvoc = tvoc_target + (s.tvoc - tvoc_target) * tvoc_keep
            pm_src, tvoc_src = smoke.get(s.place, (0.0, 0.0))
            s.smoke_pm = s.smoke_pm * smoke_keep + pm_src * world.dt / volume
            s.smoke_tvoc = s.smoke_tvoc * smoke_keep + tvoc_src * world.dt / volume / UG_M3_PER_PPB
            shared[s.keys[3]] = round(s.pm25 + s.smoke_pm, 1)
            shared[s.keys[4]] = round(s.tvoc + s.smoke_tvoc)
            if sample:
                self._sample(s, world, people)

    def _cleaning(self, world: World) -> set[str]:
        """Where the cleaners are now."""
        if self._cleaners is None:
            self._cleaners = [p.id for p in world.people.persons if p.role == "cleaner"]
        where = world.people.where
        return {where.get(c, OUTSIDE) for c in self._cleaners}

    def _smoke_sources(self, world: World) -> dict[str, tuple[float, float]]:
        """Smoke (PM2.5, TVOC; ug/s) reaching each room from the fires burning now."""
        sources: dict[str, tuple[float, float]] = {}
        for fire in world.scenarios.active(ScenarioKind.FIRE):
            if fire.target not in self._by_place:
                continue
            growth = min(1.0, max(0.0, fire.elapsed_s(world.now)) / FIRE_RAMP_S)
            floor = fire.target.split("/", 1)[0]
            for s in self._sensors:
                if s.room.floor != floor:
                    continue
                share = growth * (1.0 if s.place == fire.target else FIRE_SPREAD_SHARE)
                pm, tvoc = sources.get(s.place, (0.0, 0.0))
                sources[s.place] = (pm + share * FIRE_PM_UG_S, tvoc + share * FIRE_TVOC_UG_S)
        return sources

    def _sample(self, s: _Sensor, world: World, people: int) -> None:
        """What the sensor reads: the air, its own offset, a little noise."""
        shared = world.shared
        noise = self._noise
        temp = number(shared, s.keys[0], 22.0 + 0.3 * world.weather.temp_c / 10)
        rh = number(shared, s.keys[1], min(65.0, max(35.0, world.weather.rh_pct - 20)))
        co2 = number(
            shared, s.keys[2], OUTDOOR_CO2_PPM + people * 5200.0 / max(s.room.area_m2, 1.0)
        )
        pm25 = s.pm25 + s.smoke_pm
        tvoc = s.tvoc + s.smoke_tvoc
        device = s.device
        device.set("temp", round(temp + s.temp_offset + noise.gauss(0.0, 0.05), 1))
        device.set("rh", round(min(100.0, max(0.0, rh + s.rh_offset + noise.gauss(0.0, 0.3))), 1))
        device.set("co2", round(max(350.0, co2 + s.co2_offset + noise.gauss(0.0, 5.0))))
        pm_read = pm25 * s.pm_gain + noise.gauss(0.0, 0.5)
        device.set("pm25", round(min(PM25_RANGE, max(0.0, pm_read)), 1))
        tvoc_read = tvoc * s.tvoc_gain + noise.gauss(0.0, 3.0)
        device.set("tvoc", round(min(TVOC_RANGE_PPB, max(0.0, tvoc_read))))
