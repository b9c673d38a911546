"""Hourly conditions and equipment samples, taken from the latest values at every decision.

Baselines need, per hour, the outdoor temperature, the share of the hour the building's
schedule was on and the people in it; comfort needs each zone's mean readings per hour; the
anomaly detectors need on/off and heating/cooling samples of lights, fan-coils and air
handlers. Sampling the latest values at a steady cadence gives time-weighted means without
keeping every observation; samples older than `keep` are dropped.
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TypeVar

from penworks.apps.api import AppContext, EntityKind, Value
from penworks.apps.energy.anomalies import HeatCoolSample, OnSample
from penworks.apps.energy.baseline import Conditions
from penworks.apps.energy.consumption import hour_of
from penworks.apps.energy.readings import number
from penworks.apps.energy.zones import Plant

KEEP = timedelta(days=3)
COMFORT_KEYS = ("air_c", "rh_pct", "co2_ppm", "pm25", "tvoc_ppb")


@dataclass(frozen=True, slots=True)
class ComfortPoints:
    """The points a zone's comfort is judged from (any may be missing)."""

    air_c: str | None
    rh_pct: str | None
    co2_ppm: str | None
    pm25: str | None
    tvoc_ppb: str | None


@dataclass(frozen=True, slots=True)
class HeatCool:
    """Where a heating and a cooling output of one subject are read (percent)."""

    subject: str
    heating: str
    cooling: str
    heating_kw_per_pct: float | None = None  # electric reheat: kW at 100 %


@dataclass(slots=True)
class Means:
    """Running sums of sampled values per hour."""

    sums: dict[datetime, dict[str, float]] = field(default_factory=lambda: defaultdict(dict))
    counts: dict[datetime, dict[str, int]] = field(default_factory=lambda: defaultdict(dict))

    def add(self, hour: datetime, key: str, value: float) -> None:
        self.sums[hour][key] = self.sums[hour].get(key, 0.0) + value
        self.counts[hour][key] = self.counts[hour].get(key, 0) + 1

    def mean(self, hour: datetime, key: str) -> float | None:
        count = self.counts.get(hour, {}).get(key, 0)
        return self.sums[hour][key] / count if count else None

    def hours(self) -> list[datetime]:
        return sorted(self.sums)

    def drop_before(self, start: datetime) -> None:
        for hour in [h for h in self.sums if h < start]:
            del self.sums[hour]
            self.counts.pop(hour, None)


@dataclass(slots=True)
class Sampler:
    plant: Plant
    outdoor: str | None
    schedule: str | None
    comfort_points: dict[str, ComfortPoints]
    lights_power: dict[str, str | None]  # zone -> its lighting power point (W), if any
    heat_cool: list[HeatCool]
    conditions: Means = field(default_factory=Means)
    comfort: dict[str, Means] = field(default_factory=lambda: defaultdict(Means))
    on: dict[str, deque[OnSample]] = field(default_factory=lambda: defaultdict(deque))
    heating_cooling: dict[str, deque[HeatCoolSample]] = field(
        default_factory=lambda: defaultdict(deque)
    )

    def points(self) -> list[str]:
        """Every point the sampler reads."""
        found = {self.outdoor, self.schedule, *self.lights_power.values()}
        for points in self.comfort_points.values():
            found.update(getattr(points, key) for key in COMFORT_KEYS)
        for item in self.heat_cool:
            found.update((item.heating, item.cooling))
        return sorted(p for p in found if p is not None)

    def condition_points(self) -> list[str]:
        """The points the baselines' hourly conditions come from."""
        found = {self.outdoor, self.schedule}
        found.update(p for zone in self.plant.zones.values() for p in zone.counts)
        return sorted(p for p in found if p is not None)

    def sample(
        self, values: Mapping[str, Value], occupied: Mapping[str, bool], now: datetime
    ) -> None:
        self.sample_conditions(values, now)
        hour = hour_of(now)
        for zone in self.plant.zones.values():
            self._zone(zone.id, values, occupied.get(zone.id, False), now, hour)
        for item in self.heat_cool:
            heating, cooling = number(values, item.heating), number(values, item.cooling)
            if heating is None or cooling is None:
                continue
            kw = None if item.heating_kw_per_pct is None else heating * item.heating_kw_per_pct
            keep(self.heating_cooling[item.subject], HeatCoolSample(now, heating, cooling, kw))

    def sample_conditions(self, values: Mapping[str, Value], now: datetime) -> None:
        """Outdoor temperature, schedule and people: what baselines are fitted on."""
        hour = hour_of(now)
        outdoor = number(values, self.outdoor)
        if outdoor is not None:
            self.conditions.add(hour, "outdoor_c", outdoor)
        schedule = values.get(self.schedule) if self.schedule is not None else None
        if isinstance(schedule, bool):
            self.conditions.add(hour, "occupied", 1.0 if schedule else 0.0)
        people = 0.0
        for zone in self.plant.zones.values():
            counts = [number(values, p) for p in zone.counts]
            people += max((c for c in counts if c is not None), default=0.0)
        self.conditions.add(hour, "people", people)

    def _zone(
        self, zone: str, values: Mapping[str, Value], occupied: bool, now: datetime, hour: datetime
    ) -> None:
        means = self.comfort[zone]
        means.add(hour, "occupied", 1.0 if occupied else 0.0)
        points = self.comfort_points.get(zone)
        if points is not None:
            for key in COMFORT_KEYS:
                value = number(values, getattr(points, key))
                if value is not None:
                    means.add(hour, key, value)
        light = self.plant.zones[zone].light_level
        level = number(values, light)
        if level is not None:
            watts = number(values, self.lights_power.get(zone))
            kw = None if watts is None else watts / 1000
            keep(self.on[zone], OnSample(now, level > 0, occupied, kw))
        means.drop_before(now - KEEP)

    def hourly_conditions(self, before: datetime) -> dict[datetime, Conditions]:
        """Conditions of every complete hour sampled (before `before`)."""
        out = {}
        for hour in self.conditions.hours():
            if hour >= hour_of(before):
                continue
            outdoor = self.conditions.mean(hour, "outdoor_c")
            if outdoor is None:
                continue
            occupied = self.conditions.mean(hour, "occupied")
            people = self.conditions.mean(hour, "people") or 0.0
            out[hour] = Conditions(outdoor, occupied if occupied is not None else 0.0, people)
        return out


S = TypeVar("S", OnSample, HeatCoolSample)


def keep(samples: deque[S], sample: S) -> None:
    """Append a sample and drop those older than KEEP before it."""
    samples.append(sample)
    while samples and samples[0].ts < sample.ts - KEEP:
        samples.popleft()


def find_sampler(ctx: AppContext, plant: Plant) -> Sampler:
    """The points the sampler reads, found by Brick class."""
    return Sampler(
        plant=plant,
        outdoor=outdoor_point(ctx),
        schedule=schedule_point(ctx),
        comfort_points={z: _comfort_points(ctx, z) for z in plant.zones},
        lights_power={z: _lights_power(ctx, z) for z in plant.zones},
        heat_cool=_heat_cool(ctx, plant),
    )


def _first(ctx: AppContext, brick: str, within: str | None = None) -> str | None:
    found = ctx.find_points(brick=brick, within=within)
    return found[0].id if found else None


def outdoor_point(ctx: AppContext) -> str | None:
    """The outdoor air temperature: a weather station's, else any."""
    for station in ctx.entities(brick="Weather_Station"):
        found = [
            p
            for p in ctx.find_points(brick="Outside_Air_Temperature_Sensor", within=station.id)
            if p.brick == "Outside_Air_Temperature_Sensor"
        ]
        if found:
            return found[0].id
    found = [
        p
        for p in ctx.find_points(brick="Outside_Air_Temperature_Sensor")
        if p.brick == "Outside_Air_Temperature_Sensor"
    ]
    return found[0].id if found else None


def schedule_point(ctx: AppContext) -> str | None:
    """A building's own occupancy schedule point (Occupancy_Status held by the building)."""
    for building in ctx.entities():
        if building.kind is not EntityKind.BUILDING:
            continue
        for point in ctx.find_points(brick="Occupancy_Status", within=building.id):
            if ctx.places(point).get("holder") == building.id:
                return point.id
    return None


def _comfort_points(ctx: AppContext, zone: str) -> ComfortPoints:
    return ComfortPoints(
        air_c=_first(ctx, "Zone_Air_Temperature_Sensor", zone)
        or _first(ctx, "Air_Temperature_Sensor", zone),
        rh_pct=_first(ctx, "Zone_Air_Humidity_Sensor", zone)
        or _first(ctx, "Relative_Humidity_Sensor", zone),
        co2_ppm=_first(ctx, "CO2_Level_Sensor", zone),
        pm25=_first(ctx, "Particulate_Matter_Sensor", zone),
        tvoc_ppb=_first(ctx, "TVOC_Level_Sensor", zone),
    )


def _lights_power(ctx: AppContext, zone: str) -> str | None:
    for lights in ctx.entities(brick="Lighting", within=zone):
        found = _first(ctx, "Electric_Power_Sensor", lights.id)
        if found is not None:
            return found
    return None


def _heat_cool(ctx: AppContext, plant: Plant) -> list[HeatCool]:
    """Heating and cooling outputs that can fight each other: the coils of an air handler or
    fan-coil, and each VAV box's reheat against its air handler's cooling coil."""
    out = []
    for unit in [*ctx.entities(brick="Air_Handling_Unit"), *ctx.entities(brick="Fan_Coil_Unit")]:
        valves = [
            p.id
            for brick in ("Valve_Position_Command", "Valve_Position_Sensor")
            for p in ctx.find_points(brick=brick, within=unit.id)
        ]
        heating = [p for p in valves if "heat" in p and "cool" not in p]
        cooling = [p for p in valves if "cool" in p]
        if heating and cooling:
            out.append(HeatCool(unit.id, heating[0], cooling[0]))
        if not cooling:
            continue
        for box in ctx.feeds(unit.id):
            reheat = (
                _first(ctx, "Reheat_Command", box.id) if box.kind is not EntityKind.SPACE else None
            )
            if reheat is not None:
                out.append(HeatCool(box.id, reheat, cooling[0]))
    return out
