"""Comfort watch: a small sample app used only by the tests of the App API.

It finds every zone air temperature sensor and the temperature setpoint of the same space by
Brick class (never by id), counts the zones out of their comfort band, raises an app alarm
for a zone too warm, publishes an app event when it does, and serves a summary route with
one dashboard panel. It imports only penworks.apps.api, as every app must.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from fastapi import APIRouter
from pydantic import Field

from penworks.apps.api import (
    AlarmPriority,
    AppContext,
    Panel,
    Point,
    PointSelector,
    Reader,
    Strict,
    VisiblePoints,
)


class ComfortSettings(Strict):
    band_k: float = Field(1.5, gt=0, description="Kelvin from the setpoint still comfortable")
    too_warm_k: float = Field(3.0, gt=0, description="Kelvin above the setpoint that alarm")


@dataclass
class Zone:
    sensor: Point
    setpoint: str
    temp: float | None = None
    target: float | None = None

    def offset(self) -> float | None:
        return None if self.temp is None or self.target is None else self.temp - self.target


class ComfortWatch:
    """Zones out of band, per building, from any Brick model."""

    id = "comfort"
    name = "Comfort watch"
    settings = ComfortSettings

    def __init__(self) -> None:
        self.zones: dict[str, Zone] = {}  # sensor point id -> its zone
        self.too_warm: set[str] = set()
        self.ready = asyncio.Event()  # set once subscribed: observations are seen from then

    async def run(self, ctx: AppContext) -> None:
        settings = ctx.settings_as(ComfortSettings)
        self.zones = find_zones(ctx)
        by_setpoint = {z.setpoint: z for z in self.zones.values()}
        ctx.log.info("watching %d zones", len(self.zones))
        async with ctx.subscribe([*self.zones, *by_setpoint]) as stream:
            self.ready.set()
            async for observation in stream:
                value = observation.value
                if not isinstance(value, int | float) or isinstance(value, bool):
                    continue
                zone = self.zones.get(observation.point) or by_setpoint[observation.point]
                if observation.point == zone.sensor.id:
                    zone.temp = float(value)
                else:
                    zone.target = float(value)
                await self._check(ctx, zone, settings)

    async def _check(self, ctx: AppContext, zone: Zone, settings: ComfortSettings) -> None:
        offset = zone.offset()
        warm = offset is not None and offset > settings.too_warm_k
        point = zone.sensor.id
        if warm and point not in self.too_warm:
            self.too_warm.add(point)
            message = f"{zone.sensor.name} is {offset:.1f} K above its setpoint"
            await ctx.raise_alarm(
                "too_warm", message, point=point, priority=AlarmPriority.LOW, value=zone.temp
            )
            await ctx.publish("zone_too_warm", {"point": point, "offset_k": offset})
        elif not warm and point in self.too_warm:
            self.too_warm.discard(point)
            await ctx.clear_alarm("too_warm", point=point, priority=AlarmPriority.LOW)

    def out_of_band(self, band_k: float = 1.5, among: list[Point] | None = None) -> int:
        zones = self.zones.values() if among is None else [self.zones[p.id] for p in among]
        return sum(1 for z in zones if (o := z.offset()) is not None and abs(o) > band_k)

    def router(self) -> APIRouter:
        router = APIRouter()

        @router.get("/summary", summary="Zones out of their comfort band")
        async def summary(principal: Reader, visible: VisiblePoints) -> dict[str, int]:
            seen = visible([z.sensor for z in self.zones.values()])
            return {"zones": len(seen), "out_of_band": self.out_of_band(among=seen)}

        return router

    def panels(self) -> list[Panel]:
        return [Panel("zones", "Zones out of band", "table", "summary")]


def find_zones(ctx: AppContext) -> dict[str, Zone]:
    """Each zone air temperature sensor with the first temperature setpoint of its space."""
    zones: dict[str, Zone] = {}
    for sensor in ctx.points(PointSelector(brick="Zone_Air_Temperature_Sensor")):
        if "space" not in ctx.places(sensor):
            continue
        near = PointSelector(brick="Zone_Air_Temperature_Setpoint", within="{space}")
        setpoints = ctx.points(near, anchor=sensor)
        if setpoints:
            zones[sensor.id] = Zone(sensor, setpoints[0].id)
    return zones
