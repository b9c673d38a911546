"""EnergyApp: metering, baselines, anomalies, control, M&V, comfort and tenant bills.

It finds meters, zones and air units by Brick class, subscribes to what it reads, keeps
hourly consumption per meter with every data-quality flag, samples conditions and comfort,
decides every control period (`strategies`, sent by `controller`) and analyses every hour
(`analysis`). At start it replays recent history (`catchup`), so a restart keeps what it had
metered and learnt. Routes are under /api/apps/energy/ (`routes`); a tenant's users see their
own tenant's meters, bills, flags and spaces only.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import datetime, timedelta, tzinfo
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, HTTPException, Query
from pydantic import Field

from penworks.apps.api import (
    AppContext,
    AppError,
    Observation,
    Panel,
    Point,
    Principal,
    Reader,
    Strict,
    Value,
    VisiblePoints,
)
from penworks.apps.energy.analysis import Analysis, BaselineSettings
from penworks.apps.energy.anomalies import Anomaly, AnomalySettings
from penworks.apps.energy.baseline import Baseline, Conditions
from penworks.apps.energy.bills import bill
from penworks.apps.energy.catchup import Replayed, read_back, replay
from penworks.apps.energy.comfort import ComfortSettings, ComfortSummary, roll_up, warm_up
from penworks.apps.energy.consumption import (
    HOUR,
    Counter,
    Hourly,
    eui,
    grouped,
    hour_of,
    peak_demand,
    total,
    window,
)
from penworks.apps.energy.controller import Controller
from penworks.apps.energy.meters import (
    Hierarchy,
    Meter,
    find_meters,
    served_area_m2,
    virtual_kwh,
)
from penworks.apps.energy.quality import QualitySettings
from penworks.apps.energy.readings import as_number, number
from penworks.apps.energy.routes import analysis_routes, today_and_week
from penworks.apps.energy.sampler import Sampler, find_sampler, outdoor_point, schedule_point
from penworks.apps.energy.strategies import ControlSettings, observe, vacant
from penworks.apps.energy.tariff import Tariff, load_tariff
from penworks.apps.energy.zones import Plant, find_plant

By = Literal["floor", "system", "tenant"]
MAX_SPAN = timedelta(days=400)


class EnergySettings(Strict):
    tariff_file: str | None = Field(None, description="A tariff file; default Shanghai")
    tariff: Tariff | None = Field(None, description="A tariff given inline (wins over a file)")
    currency: str | None = Field(None, description="Currency bills name (None: the tariff's)")
    quality: QualitySettings = Field(default_factory=QualitySettings)
    timezone: str | None = Field(None, description="Local time of days and weeks (the tariff's)")
    sample_s: float = Field(60.0, ge=10, le=900, description="Seconds between samples")
    catch_up_days: float = Field(
        35.0,
        ge=0,
        description="Days of history replayed at start (consumption, baseline, learnt "
        "arrivals); the baseline period then starts at the oldest hour replayed unless "
        "baseline.start pins it. 0: start afresh",
    )
    control: ControlSettings = Field(default_factory=ControlSettings)
    baseline: BaselineSettings = Field(default_factory=BaselineSettings)
    anomalies: AnomalySettings = Field(default_factory=AnomalySettings)
    comfort: ComfortSettings = Field(default_factory=ComfortSettings)


class EnergyApp:
    """Energy metering, baselines, anomalies, control, M&V, comfort and tenant bills."""

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
        self.tz: tzinfo = self.tariff.zone
        self.plant = Plant()
        self.controller: Controller | None = None
        self.sampler: Sampler | None = None
        self.analysis: Analysis | None = None
        self.names: dict[str, str] = {}  # zone id -> name
        self.floors: dict[str, str | None] = {}  # zone id -> floor
        self.context: AppContext | None = None
        self.ready = asyncio.Event()

    def setup(self, ctx: AppContext) -> EnergySettings:
        """Find meters, zones and air units, and what each part works from (tests use it)."""
        settings = ctx.settings_as(EnergySettings)
        self.context = ctx
        self.currency = settings.currency
        if settings.tariff is not None:
            self.tariff = settings.tariff
        elif settings.tariff_file is not None:
            self.tariff = load_tariff(Path(settings.tariff_file))
        self.tz = ZoneInfo(settings.timezone) if settings.timezone else self.tariff.zone
        self.hierarchy = find_meters(ctx)
        self.points = {p: ctx.point(p) for p in self.hierarchy.energy_points()}
        self.area_m2 = served_area_m2(ctx)
        self.counters = {
            m.id: Counter(m.energy, settings.quality)
            for m in self.hierarchy.meters.values()
            if m.energy is not None
        }
        roots = self.hierarchy.roots()
        demand = next((m.power for m in roots if m.power is not None), None)
        self.plant = find_plant(ctx, demand, outdoor_point(ctx), schedule_point(ctx))
        self.controller = Controller(self.plant, settings.control, self.tz)
        self.sampler = find_sampler(ctx, self.plant)
        self.names = {z.id: z.name for z in self.plant.zones.values()}
        self.floors = {z.id: z.floor for z in self.plant.zones.values()}
        labels = {m.id: m.name for m in self.hierarchy.meters.values()}
        labels.update(self.names)
        labels.update({u.id: u.name for u in self.plant.air_units.values()})
        alarm_points = {m.id: m.energy for m in self.hierarchy.meters.values() if m.energy}
        for zone in self.plant.zones.values():
            if zone.light_level is not None:
                alarm_points[zone.id] = zone.light_level
        for item in self.sampler.heat_cool:
            alarm_points.setdefault(item.subject, item.heating)
        self.analysis = Analysis(
            self.tz,
            self.tariff,
            settings.baseline,
            settings.anomalies,
            settings.comfort,
            labels,
            alarm_points,
        )
        return settings

    def inputs(self) -> list[str]:
        points = set(self.hierarchy.energy_points())
        points.update(self.plant.inputs())
        if self.controller is not None:
            points.update(self.controller.commandable())
        if self.sampler is not None:
            points.update(self.sampler.points())
        return sorted(points)

    async def run(self, ctx: AppContext) -> None:
        settings = self.setup(ctx)
        by_point = self.hierarchy.energy_points()
        inputs = self.inputs()
        ctx.log.info(
            "metering %d meters; %d zones and %d air units to control",
            len(self.counters),
            len(self.plant.zones),
            len(self.plant.air_units),
        )
        await warm_up()  # the comfort model compiles once, off the event loop
        await self.catch_up(ctx, settings, by_point)
        async with ctx.subscribe(inputs) as stream:
            controller = self._controller()
            controller.update_all(await ctx.latest(inputs))
            self.ready.set()
            async with asyncio.TaskGroup() as tasks:
                tasks.create_task(self._work(ctx, settings))
                async for observation in stream:
                    controller.update(observation)
                    self._meter_reading(observation, by_point)

    def _meter_reading(self, observation: Observation, by_point: dict[str, str]) -> None:
        meter = by_point.get(observation.point)
        reading = as_number(observation.value)
        if meter is not None and reading is not None:
            self.counters[meter].add(observation.ts, reading)

    async def catch_up(
        self, ctx: AppContext, settings: EnergySettings, by_point: dict[str, str]
    ) -> Replayed | None:
        """Replay the last `catch_up_days` of history (see `catchup`); the baselines whose
        period it covers are fitted at once."""
        if settings.catch_up_days <= 0:
            return None
        controller, sampler, analysis = self._controller(), self._sampler(), self._analysis()
        now = ctx.clock.now()
        points = {*by_point, *self.plant.occupancy_points(), *sampler.condition_points()}
        start = now - timedelta(days=settings.catch_up_days)
        histories = await read_back(ctx, points, start, now)

        def on_sample(values: Mapping[str, Value], when: datetime) -> None:
            observe(self.plant, values, controller.memory, when, self.tz)
            sampler.sample_conditions(values, when)

        done = await replay(
            histories,
            now,
            timedelta(seconds=settings.sample_s),
            lambda o: self._meter_reading(o, by_point),
            on_sample,
        )
        if done.first is not None:
            analysis.first_hour = hour_of(done.first) + HOUR
            meters = {m: c.hourly for m, c in self.counters.items()}
            analysis.fit_baselines(meters, sampler.hourly_conditions(now), now)
        ctx.log.info(
            "caught up on %d observations since %s (%d samples)",
            done.observations,
            "nothing" if done.first is None else done.first.isoformat(),
            done.samples,
        )
        return done

    async def _work(self, ctx: AppContext, settings: EnergySettings) -> None:
        """Sample at `sample_s`, decide every control period, analyse every hour."""
        controller, sampler, analysis = self._controller(), self._sampler(), self._analysis()
        next_decision = ctx.clock.now()
        analysed = hour_of(ctx.clock.now())
        if settings.control.enabled:
            await controller.release_all(ctx)
        while True:
            now = ctx.clock.now()
            observe(self.plant, controller.values, controller.memory, now, self.tz)
            occupied = {
                z: not vacant(zone, controller.memory, now, settings.control)
                for z, zone in self.plant.zones.items()
            }
            sampler.sample(controller.values, occupied, now)
            if analysis.first_hour is None:
                analysis.first_hour = hour_of(now) + HOUR
            if settings.control.enabled and now >= next_decision:
                await controller.step(ctx, now)
                next_decision = now + timedelta(seconds=settings.control.period_s)
            if hour_of(now) > analysed:
                analysed = hour_of(now)
                await self.analyse(ctx, now)
            await ctx.clock.sleep(settings.sample_s)

    async def analyse(self, ctx: AppContext, now: datetime) -> None:
        """Baselines, anomalies and comfort on what is metered and sampled up to now."""
        sampler, analysis = self._sampler(), self._analysis()
        conditions = sampler.hourly_conditions(now)
        meters = {m: c.hourly for m, c in self.counters.items()}
        analysis.fit_baselines(meters, conditions, now)
        await analysis.find_anomalies(ctx, meters, conditions, sampler, now)
        analysis.add_comfort(sampler, self.outdoor_daily_means(conditions), now)

    def outdoor_daily_means(self, conditions: dict[datetime, Conditions]) -> dict[str, float]:
        """Mean outdoor temperature per local day (ISO date), for the clothing season."""
        days: dict[str, list[float]] = {}
        for hour, c in conditions.items():
            days.setdefault(hour.astimezone(self.tz).date().isoformat(), []).append(c.outdoor_c)
        return {day: sum(v) / len(v) for day, v in days.items()}

    def _controller(self) -> Controller:
        if self.controller is None:
            raise AppError("the energy app is not set up")
        return self.controller

    def _sampler(self) -> Sampler:
        if self.sampler is None:
            raise AppError("the energy app is not set up")
        return self.sampler

    def _analysis(self) -> Analysis:
        if self.analysis is None:
            raise AppError("the energy app is not set up")
        return self.analysis

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

    def main_meter(self) -> str | None:
        """The building's main meter with a baseline (the first root that has one)."""
        roots = [m.id for m in self.hierarchy.roots() if m.id in self.counters]
        analysis = self._analysis()
        return next((m for m in roots if m in analysis.baselines), roots[0] if roots else None)

    def savings_json(self, start: datetime, end: datetime) -> dict[str, Any]:
        meter = self.main_meter()
        if meter is None:
            raise ValueError("no main meter with an energy register")
        conditions = self._sampler().hourly_conditions(self.now())
        result = self._analysis().savings(meter, self.hourly(meter), conditions, start, end)
        return {"meter": meter, **result.to_json()}

    def baseline_json(self, meter: str, start: datetime, end: datetime) -> dict[str, Any]:
        analysis = self._analysis()
        conditions = self._sampler().hourly_conditions(self.now())
        wanted = {h: c for h, c in conditions.items() if start <= h < end}
        expected = analysis.expected(meter, wanted)
        actual = window(self.hourly(meter), start, end)
        model = analysis.baselines.get(meter)
        hours = sorted(set(actual) | set(expected))
        return {
            "meter": meter,
            "model": None if model is None else model_json(model),
            "error": analysis.baseline_errors.get(meter),
            "period": _period_json(analysis.period()),
            "hours": [
                {
                    "hour": h.isoformat(),
                    "actual": _round(actual.get(h)),
                    "baseline": _round(expected.get(h)),
                }
                for h in hours
            ],
        }

    def anomalies(self) -> list[Anomaly]:
        return self._analysis().anomalies

    def visible_subjects(self, principal: Principal, visible: VisiblePoints) -> set[str]:
        """Meters, zones and equipment whose alarm point the principal may see."""
        points = self._analysis().alarm_points
        seen = {p.id for p in visible([self.point_of(p) for p in set(points.values())])}
        subjects = {s for s, p in points.items() if p in seen}
        meters = {m.id for m in self.visible_meters(principal, visible)}
        return (subjects - set(self.hierarchy.meters)) | meters

    def point_of(self, point_id: str) -> Point:
        return self._ctx().point(point_id)

    def comfort_summaries(self) -> list[ComfortSummary]:
        return [t.summary() for t in self._analysis().tallies.values()]

    def comfort_json(self, subjects: set[str]) -> dict[str, Any]:
        analysis = self._analysis()
        tallies = {z: t.summary() for z, t in analysis.tallies.items() if z in subjects}
        spaces = []
        for zone in sorted(set(self.plant.zones) & subjects):
            now = analysis.comfort_now.get(zone)
            summary = tallies.get(zone)
            spaces.append(
                {
                    "space": zone,
                    "name": self.names.get(zone, zone),
                    "floor": self.floors.get(zone),
                    "pmv": None if now is None else _round(now.pmv, 2),
                    "ppd": None if now is None else _round(now.ppd, 1),
                    "iaq": None if now is None else _round(now.iaq_index, 0),
                    "iaq_category": None if now is None else now.iaq_category,
                    "class": "unknown" if now is None else now.colour,
                    "hours_occupied": 0 if summary is None else summary.occupied_h,
                    "hours_outside": 0 if summary is None else summary.outside_h,
                }
            )
        building = roll_up(tallies)
        return {
            "spaces": spaces,
            "summary": {
                "share_outside_pct": _round(building.outside_pct, 1),
                "mean_ppd": _round(building.ppd_mean, 1),
                "occupied_zone_hours": building.occupied_h,
            },
        }

    def control_json(self) -> dict[str, Any]:
        return self._controller().state()

    def overview(self) -> dict[str, Any]:
        now = self.now()
        figures = today_and_week(self, now)
        meter = self.main_meter()
        power = None if meter is None else self.hierarchy.meters[meter].power
        saving: dict[str, Any] = {"saving_pct": None, "avoided_kwh": None, "uncertainty_pct": None}
        analysis = self._analysis()
        if meter is not None and meter in analysis.baselines:
            try:
                result = self.savings_json(analysis.baselines[meter].end, now).get
                saving = {k: result(k) for k in saving}
            except ValueError:
                pass
        waste = [a for a in analysis.anomalies if a.end >= now - timedelta(days=7)]
        comfort = figures.pop("comfort")
        return {
            "now": now.isoformat(),
            "power_kw": _round(number(self._controller().values, power), 1),
            **figures,
            "savings": saving,
            "comfort": {
                "share_outside_pct": comfort["outside_pct"],
                "mean_ppd": comfort["ppd_mean"],
            },
            "anomalies": {
                "active": len(analysis.active),
                "waste_kwh": round(sum(a.waste_kwh for a in waste), 1),
                "cost": round(sum(a.cost for a in waste), 2),
                "currency": self.currency or self.tariff.currency,
            },
            "control": self.control_json(),
        }

    def now(self) -> datetime:
        return self._ctx().clock.now()

    def _ctx(self) -> AppContext:
        if self.context is None:
            raise AppError("the energy app is not set up")
        return self.context

    def router(self) -> APIRouter:
        router = APIRouter()
        analysis_routes(router, self)

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
            Panel("overview", "Energy overview", "value", "overview"),
            Panel("consumption", "Consumption by system, floor and tenant", "chart", "consumption"),
            Panel("baseline", "Baseline against actual", "chart", "baseline"),
            Panel("savings", "Measured savings", "chart", "savings"),
            Panel("comfort", "Comfort map", "map", "comfort"),
            Panel("anomalies", "Energy anomalies", "table", "anomalies"),
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


def model_json(model: Baseline) -> dict[str, Any]:
    stats = model.stats.to_json()
    return {
        **stats,
        "meets_guideline_14": model.stats.meets_guideline_14(),
        "start": model.start.isoformat(),
        "end": model.end.isoformat(),
        "bins": model.bins,
    }


def _period_json(period: tuple[datetime, datetime] | None) -> dict[str, str] | None:
    if period is None:
        return None
    return {"start": period[0].isoformat(), "end": period[1].isoformat()}


def _round(value: float | None, digits: int = 3) -> float | None:
    return None if value is None else round(value, digits)
