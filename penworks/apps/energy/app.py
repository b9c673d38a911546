"""EnergyApp: meters, hourly consumption, data quality and tenant bills (no commands).

It finds the meters by Brick class, subscribes to their cumulative kWh points and keeps
hourly consumption per meter with every data-quality flag. Routes (under
/api/apps/energy/): `/meters`, `/consumption`, `/bills`, `/quality`; a tenant's users see
their own tenant's meters, bills and flags only.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query
from pydantic import Field

from penworks.apps.api import AppContext, Panel, Point, Principal, Reader, Strict, VisiblePoints
from penworks.apps.energy.bills import bill
from penworks.apps.energy.consumption import (
    Counter,
    Hourly,
    eui,
    grouped,
    peak_demand,
    total,
    window,
)
from penworks.apps.energy.meters import (
    Hierarchy,
    Meter,
    find_meters,
    served_area_m2,
    virtual_kwh,
)
from penworks.apps.energy.quality import QualitySettings
from penworks.apps.energy.tariff import Tariff, load_tariff

By = Literal["floor", "system", "tenant"]
MAX_SPAN = timedelta(days=400)


class EnergySettings(Strict):
    tariff_file: str | None = Field(None, description="A tariff file; default Shanghai")
    tariff: Tariff | None = Field(None, description="A tariff given inline (wins over a file)")
    currency: str | None = Field(None, description="Currency bills name (None: the tariff's)")
    quality: QualitySettings = Field(default_factory=QualitySettings)


class EnergyApp:
    """Energy metering and tenant bills from any Brick model's meters."""

    id = "energy"
    name = "Energy"
    settings = EnergySettings

    def __init__(self) -> None:
        self.hierarchy = Hierarchy()
        self.counters: dict[str, Counter] = {}  # meter id -> its energy register
        self.points: dict[str, Point] = {}  # energy point id -> the point
        self.area_m2 = 0.0  # the floor area the main meters serve
        self.tariff: Tariff = load_tariff()
        self.currency: str | None = None
        self.ready = asyncio.Event()

    def setup(self, ctx: AppContext) -> EnergySettings:
        """Find the meters and make a counter per energy point (also used by tests)."""
        settings = ctx.settings_as(EnergySettings)
        self.currency = settings.currency
        if settings.tariff is not None:
            self.tariff = settings.tariff
        elif settings.tariff_file is not None:
            self.tariff = load_tariff(Path(settings.tariff_file))
        self.hierarchy = find_meters(ctx)
        self.points = {p: ctx.point(p) for p in self.hierarchy.energy_points()}
        self.area_m2 = served_area_m2(ctx)
        self.counters = {
            m.id: Counter(m.energy, settings.quality)
            for m in self.hierarchy.meters.values()
            if m.energy is not None
        }
        return settings

    async def run(self, ctx: AppContext) -> None:
        self.setup(ctx)
        by_point = self.hierarchy.energy_points()
        ctx.log.info("metering %d meters", len(self.counters))
        async with ctx.subscribe(list(by_point)) as stream:
            self.ready.set()
            async for observation in stream:
                value = observation.value
                if isinstance(value, bool) or not isinstance(value, int | float):
                    continue
                self.counters[by_point[observation.point]].add(observation.ts, float(value))

    # What the routes answer

    def hourly(self, meter: str) -> Hourly:
        counter = self.counters.get(meter)
        return counter.hourly if counter is not None else {}

    def visible_meters(self, principal: Principal, visible: VisiblePoints) -> list[Meter]:
        meters = list(self.hierarchy.meters.values())
        if principal.tenant is not None:
            return [m for m in meters if m.tenant == principal.tenant]
        seen = {p.id for p in visible(list(self.points.values()))}
        return [m for m in meters if m.energy is None or m.energy in seen]

    def eui(
        self, principal: Principal, totals: dict[str, float], start: datetime, end: datetime
    ) -> float | None:
        """The building's energy use intensity over the period (park-wide users only)."""
        roots = [m.id for m in self.hierarchy.roots() if m.id in totals]
        if principal.tenant is not None or not roots or self.area_m2 <= 0:
            return None
        return round(eui(sum(totals[r] for r in roots), self.area_m2, start, end), 3)

    def topmost(self, meter: Meter, by: By) -> bool:
        """Whether no meter upstream has the same group (so nothing is counted twice)."""
        group, parent = getattr(meter, by), meter.parent
        while parent is not None:
            upstream = self.hierarchy.meters[parent]
            if getattr(upstream, by) == group:
                return False
            parent = upstream.parent
        return True

    def router(self) -> APIRouter:
        router = APIRouter()

        @router.get("/meters", summary="The meter hierarchy")
        async def meters(principal: Reader, visible: VisiblePoints) -> dict[str, Any]:
            shown = self.visible_meters(principal, visible)
            ids = {m.id for m in shown}
            virtual = [
                {"id": v.id, "name": v.name, "plus": v.plus, "minus": list(v.minus)}
                for v in self.hierarchy.virtual.values()
                if v.plus in ids and set(v.minus) <= ids
            ]
            return {"meters": [meter_json(m, ids) for m in shown], "virtual": virtual}

        @router.get("/consumption", summary="kWh by floor, system or tenant")
        async def consumption(
            principal: Reader,
            visible: VisiblePoints,
            start: datetime,
            end: datetime,
            by: Annotated[By, Query()] = "floor",
        ) -> dict[str, Any]:
            check_span(start, end)
            shown = self.visible_meters(principal, visible)
            counted = [m for m in shown if self.topmost(m, by)]
            per_meter = {m.id: self.hourly(m.id) for m in counted}
            group_of = {m.id: getattr(m, by) for m in counted}
            totals = {m.id: total(self.hourly(m.id), start, end) for m in shown}
            virtual = {
                v.id: virtual_kwh(v, totals)
                for v in self.hierarchy.virtual.values()
                if v.plus in totals and set(v.minus) <= set(totals)
            }
            peaks = {}
            for m in shown:
                peak = peak_demand(window(self.hourly(m.id), start, end))
                if peak is not None:
                    peaks[m.id] = {"hour": peak[0].isoformat(), "kw": round(peak[1], 3)}
            return {
                "start": start.isoformat(),
                "end": end.isoformat(),
                "by": by,
                "kwh": _rounded(grouped(per_meter, group_of, start, end)),
                "meters": _rounded(totals),
                "virtual": _rounded(virtual),
                "peak_demand": peaks,
                "eui_kwh_m2_a": self.eui(principal, totals, start, end),
            }

        @router.get("/bills", summary="A tenant's time-of-use bill")
        async def bills(
            principal: Reader, visible: VisiblePoints, tenant: str, start: datetime, end: datetime
        ) -> dict[str, Any]:
            check_span(start, end)
            mine = [m for m in self.visible_meters(principal, visible) if m.tenant == tenant]
            if not mine:
                raise HTTPException(404, f"no meters of tenant {tenant!r}")
            hourly: Hourly = {}
            for m in mine:
                for hour, kwh in self.hourly(m.id).items():
                    hourly[hour] = hourly.get(hour, 0.0) + kwh
            result = bill(tenant, hourly, self.tariff, start, end, self.currency)
            return result.to_json()

        @router.get("/quality", summary="Data-quality flags of the meters")
        async def quality(principal: Reader, visible: VisiblePoints) -> list[dict[str, object]]:
            shown = {m.id for m in self.visible_meters(principal, visible)}
            return [
                {"meter": meter, **flag.to_json()}
                for meter, counter in sorted(self.counters.items())
                if meter in shown
                for flag in counter.flags
            ]

        return router

    def panels(self) -> list[Panel]:
        return [
            Panel("consumption", "Consumption by floor", "chart", "consumption"),
            Panel("quality", "Meter data quality", "table", "quality"),
        ]


def meter_json(meter: Meter, shown: set[str]) -> dict[str, Any]:
    return {
        "id": meter.id,
        "name": meter.name,
        "brick": meter.brick,
        "energy": meter.energy,
        "power": meter.power,
        "peak_demand": meter.peak_demand,
        "floor": meter.floor,
        "system": meter.system,
        "tenant": meter.tenant,
        "parent": meter.parent if meter.parent in shown else None,
        "children": [c for c in meter.children if c in shown],
    }


def check_span(start: datetime, end: datetime) -> None:
    if start.tzinfo is None or end.tzinfo is None:
        raise HTTPException(422, "start and end need a time zone")
    if not start < end or end - start > MAX_SPAN:
        raise HTTPException(422, f"start must be before end, at most {MAX_SPAN.days} days")


def _rounded(kwh: dict[str, float]) -> dict[str, float]:
    """Figures for people: to the watt-hour, without float noise."""
    return {key: round(value, 3) for key, value in kwh.items()}
