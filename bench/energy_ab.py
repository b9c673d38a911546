"""The energy app against the way buildings are run today, on the same simulated week.

    .venv/bin/python bench/energy_ab.py                      # a July week (cooling)
    .venv/bin/python bench/energy_ab.py --start 2026-01-12   # a January week (heating)
    .venv/bin/python bench/energy_ab.py --days 2             # shorter, for a quick look

Runs Building 15's twin with its local controllers on fixed time schedules (lights on
07:00-20:00 on working days, air handlers 06:00-20:00, fixed outdoor air) twice, with the
same seed, weather and people, each time with the whole platform in the same process in
lockstep with the twin (penworks.loopback): once with the energy app only watching, once
with it in control. Each run starts a warm-up day (`--warm-up`) before the measured days
and leaves it out of every figure. The figures come from the twin's own truth, not from the app:

  energy    HVAC and lighting kWh of each run (the twin's HVAC and lighting submeters), the
            saving in percent
  comfort   share of occupied zone-hours outside the comfort band (|PMV| > 0.5, operative
            temperature outside the season's band, or poor air) and the mean PPD, from the
            zones' true hourly temperature, humidity and CO2 while people were in them
  baseline  the main meter's baseline fitted on the first run (ASHRAE Guideline 14
            CV(RMSE) and NMBE, hourly and daily), and the second run's savings measured
            against it with their uncertainty at 90 % confidence
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


from penworks.apps.energy.app import EnergyApp  # noqa: E402
from penworks.apps.energy.baseline import Conditions, fit  # noqa: E402
from penworks.apps.energy.comfort import ComfortSample, roll_up, tally  # noqa: E402
from penworks.apps.energy.consumption import Hourly, hour_of  # noqa: E402
from penworks.apps.energy.mv import savings  # noqa: E402
from penworks.config import (  # noqa: E402
    DEFAULT_SITE,
    ApiConfig,
    AppConfig,
    PlatformConfig,
    site_automation,
    site_sharing,
)
from penworks.loopback import platform_on_twin, running  # noqa: E402
from penworks.model import SiteModel  # noqa: E402
from penworks.runtime import Platform  # noqa: E402
from penworks.sim.building import SITE_TZ, Building  # noqa: E402
from penworks.sim.twin import Controls, building15  # noqa: E402

SYNC_S = 60.0
METERS = ("main", "hvac", "lighting")
OFFICE_HOURS = (8, 19)  # the site's office-hours schedule on working days


@dataclass
class Truth:
    """What really happened in the twin, sampled at every sync."""

    building: Building
    start_kwh: dict[str, float] = field(default_factory=dict)
    hourly: dict[str, Hourly] = field(default_factory=lambda: defaultdict(dict))
    zone: dict[tuple[str, datetime], dict[str, float]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(float))
    )
    outdoor: dict[datetime, list[float]] = field(default_factory=lambda: defaultdict(list))
    people: dict[datetime, list[float]] = field(default_factory=lambda: defaultdict(list))
    _last: dict[str, float] = field(default_factory=dict)

    def meter(self, name: str) -> float:
        return float(self.building.device(f"power_meter_{name}").get("energy_import"))

    def begin(self) -> None:
        self.start_kwh = {m: self.meter(m) for m in METERS}
        self._last = dict(self.start_kwh)

    def used(self, name: str) -> float:
        return self.meter(name) - self.start_kwh[name]

    def sample(self, now: datetime) -> None:
        hour = hour_of(now - timedelta(seconds=1))  # a sync at :00 closes the hour before
        for name in METERS:
            reading = self.meter(name)
            hourly = self.hourly[name]
            hourly[hour] = hourly.get(hour, 0.0) + reading - self._last[name]
            self._last[name] = reading
        shared = self.building.shared
        self.outdoor[hour].append(float(self.building.weather.at(now.astimezone(SITE_TZ)).temp_c))
        self.people[hour].append(float(self.building.people.inside()))
        for key in [k for k in shared if k.endswith(".temp")]:
            where = key[: -len(".temp")]
            sums = self.zone[(where, hour)]
            sums["n"] += 1
            sums["occupied"] += self.building.people.in_place(where) > 0
            for quantity in ("temp", "rh", "co2"):
                sampled = shared.get(f"{where}.{quantity}")
                if isinstance(sampled, int | float) and not isinstance(sampled, bool):
                    sums[quantity] += float(sampled)
                    sums[f"n_{quantity}"] += 1

    def conditions(self) -> dict[datetime, Conditions]:
        out = {}
        for hour, temps in self.outdoor.items():
            local = hour.astimezone(SITE_TZ)
            working = local.weekday() < 5 and OFFICE_HOURS[0] <= local.hour < OFFICE_HOURS[1]
            people = self.people[hour]
            out[hour] = Conditions(
                sum(temps) / len(temps), 1.0 if working else 0.0, sum(people) / len(people)
            )
        return out

    def comfort_samples(self) -> list[ComfortSample]:
        daily: dict[date, list[float]] = defaultdict(list)
        for hour, temps in self.outdoor.items():
            daily[hour.astimezone(SITE_TZ).date()].extend(temps)
        samples = []
        for (where, hour), sums in self.zone.items():
            n = sums["n"]

            def mean(quantity: str, sums: dict[str, float] = sums) -> float | None:
                count = sums[f"n_{quantity}"]
                return sums[quantity] / count if count else None

            day = daily[hour.astimezone(SITE_TZ).date()]
            samples.append(
                ComfortSample(
                    space=where,
                    hour=hour,
                    occupied=sums["occupied"] / n >= 0.5,
                    air_c=mean("temp"),
                    rh_pct=mean("rh"),
                    co2_ppm=mean("co2"),
                    outdoor_daily_mean_c=sum(day) / len(day) if day else None,
                )
            )
        return samples


@dataclass
class Result:
    label: str
    hvac_kwh: float
    lighting_kwh: float
    outside_pct: float | None
    ppd_mean: float | None
    occupied_h: int
    truth: Truth
    wall_s: float
    commands: dict[str, int]

    @property
    def total(self) -> float:
        return self.hvac_kwh + self.lighting_kwh


async def run_week(
    label: str,
    control: bool,
    start: datetime,
    days: float,
    seed: int,
    strategies: list[str] | None = None,
    extra: dict[str, object] | None = None,
    warm_up: float = 1.0,
) -> Result:
    began = time.perf_counter()
    end = start + timedelta(days=days)
    building = building15(start - timedelta(days=warm_up), seed=seed, controls=Controls.FIXED)
    model = SiteModel.load(Path(DEFAULT_SITE))
    truth = Truth(building)
    control_settings: dict[str, object] = {"enabled": control}
    if strategies is not None:
        control_settings["strategies"] = strategies
    control_settings.update(extra or {})
    with tempfile.TemporaryDirectory() as data:
        config = PlatformConfig(
            site=Path(DEFAULT_SITE),
            data_dir=Path(data),
            api=ApiConfig(port=0),
            automation=site_automation(Path(DEFAULT_SITE)),
            access=site_sharing(Path(DEFAULT_SITE)),
            apps={"energy": AppConfig(settings={"control": control_settings})},
        )
        platform, lockstep = platform_on_twin(config, building, model)
        async with running(platform):
            app = energy_app(platform)
            await lockstep.run_until(start, SYNC_S)  # the building and the app settle in
            truth.begin()
            await lockstep.run_until(end, SYNC_S, progress=lambda p: truth.sample(p.now))
            commands = dict(app.controller.commands) if app.controller is not None else {}
    summaries = tally(truth.comfort_samples())
    building_comfort = roll_up(summaries)
    why = {
        "warm": sum(x.warm_h for x in summaries.values()),
        "cool": sum(x.cool_h for x in summaries.values()),
        "poor air": sum(x.poor_air_h for x in summaries.values()),
    }
    worst = sorted(summaries.values(), key=lambda x: -x.outside_h)[:4]
    why_text = ", ".join(f"{k} {v} h" for k, v in why.items())
    worst_text = ", ".join(f"{x.space} {x.outside_h}/{x.occupied_h} h" for x in worst)
    print(f"{label}: outside the band {why_text}; most: {worst_text}")
    return Result(
        label,
        truth.used("hvac"),
        truth.used("lighting"),
        building_comfort.outside_pct,
        building_comfort.ppd_mean,
        building_comfort.occupied_h,
        truth,
        time.perf_counter() - began,
        commands,
    )


def energy_app(platform: Platform) -> EnergyApp:
    """The hosted energy app (started and subscribed once the platform has settled)."""
    hosted = platform.apps.hosted.get("energy") if platform.apps is not None else None
    if hosted is None or not isinstance(hosted.app, EnergyApp) or not hosted.app.ready.is_set():
        raise RuntimeError("the energy app did not start")
    return hosted.app


def report(fixed: Result, app: Result) -> None:
    def pct(x: float | None) -> str:
        return "n/a" if x is None else f"{x:.1f} %"

    def ppd(x: float | None) -> str:
        return "n/a" if x is None else f"{x:.1f} %"

    print(f"{'':24}{'HVAC kWh':>10}{'light kWh':>11}{'total kWh':>11}{'outside':>10}{'PPD':>8}")
    for r in (fixed, app):
        print(
            f"{r.label:24}{r.hvac_kwh:10.0f}{r.lighting_kwh:11.0f}{r.total:11.0f}"
            f"{pct(r.outside_pct):>10}{ppd(r.ppd_mean):>8}"
        )
    for name, a, b in (
        ("HVAC", fixed.hvac_kwh, app.hvac_kwh),
        ("lighting", fixed.lighting_kwh, app.lighting_kwh),
        ("HVAC + lighting", fixed.total, app.total),
    ):
        saving = "n/a" if a <= 0 else f"{100 * (a - b) / a:5.1f} %"
        print(f"saving {name:16} {saving}")
    print(f"occupied zone-hours judged: {fixed.occupied_h} (fixed), {app.occupied_h} (app)")
    print(f"app commands by strategy: {app.commands}")
    conditions = fixed.truth.conditions()
    for name in METERS:
        baseline_and_savings(name, fixed.truth.hourly[name], app.truth.hourly[name], conditions)
    print(f"wall time: {fixed.wall_s:.0f} s and {app.wall_s:.0f} s")


def baseline_and_savings(
    name: str, fixed: Hourly, app: Hourly, conditions: dict[datetime, Conditions]
) -> None:
    """The meter's baseline fitted on the fixed run, and the app run measured against it."""
    try:
        baseline = fit(fixed, conditions, name=name, tz=SITE_TZ)
    except ValueError as error:
        print(f"baseline {name}: {error}")
        return
    stats = baseline.stats
    print(
        f"baseline {name:9} CV(RMSE) hourly {stats.cv_rmse_hourly:5.1f} %, NMBE hourly "
        f"{stats.nmbe_hourly:5.2f} %, CV(RMSE) {stats.monthly_basis} {stats.cv_rmse_monthly:4.1f} %"
        f", R2 {stats.r2:.3f}, n {stats.n}, p {stats.p}"
    )
    measured = savings(baseline, app, conditions)
    print(
        f"  M&V: baseline {measured.baseline_kwh:.0f} kWh, actual {measured.actual_kwh:.0f} kWh, "
        f"saved {measured.avoided_kwh:.0f} kWh ({_maybe(measured.saving_pct)} %) ± "
        f"{_maybe(measured.uncertainty_kwh)} kWh at {measured.confidence:.0%} confidence"
    )


def _setting(item: str) -> tuple[str, object]:
    key, _, text = item.partition("=")
    try:
        return key, json.loads(text)
    except json.JSONDecodeError:
        return key, text


def _maybe(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--start", default="2026-07-13", help="local date of the first day")
    parser.add_argument("--days", type=float, default=7.0)
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument(
        "--warm-up",
        type=float,
        default=1.0,
        help="days run before the measured ones, not counted: the building's thermal mass "
        "and the app's memory start from a day of operation, not from the twin's settled start",
    )
    parser.add_argument(
        "--control",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a control setting of the app in its run (JSON value), e.g. after_hours_service=false",
    )
    parser.add_argument("--dump", type=Path, help="write both runs' hourly figures as JSON here")
    parser.add_argument(
        "--strategies", help="comma-separated control strategies of the app (default: all)"
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    first = date.fromisoformat(args.start)
    start = datetime(first.year, first.month, first.day, tzinfo=SITE_TZ).astimezone(UTC)

    async def both() -> tuple[Result, Result]:
        warm = args.warm_up
        fixed = await run_week("fixed schedules", False, start, args.days, args.seed, warm_up=warm)
        chosen = args.strategies.split(",") if args.strategies else None
        extra = dict(_setting(item) for item in args.control)
        app = await run_week(
            "energy app", True, start, args.days, args.seed, chosen, extra, warm_up=warm
        )
        return fixed, app

    fixed, app = asyncio.run(both())
    print(f"Building 15, {args.days:g} days from {args.start}, seed {args.seed}")
    report(fixed, app)
    if args.dump is not None:
        dump(args.dump, fixed, app)


def dump(path: Path, *runs: Result) -> None:
    """Each run's hourly kWh per meter and hourly conditions, for a closer look elsewhere."""
    data = {
        run.label: {
            "kwh": {
                name: {h.isoformat(): kwh for h, kwh in hourly.items()}
                for name, hourly in run.truth.hourly.items()
            },
            "conditions": {
                h.isoformat(): [c.outdoor_c, c.occupied, c.people]
                for h, c in run.truth.conditions().items()
            },
        }
        for run in runs
    }
    path.write_text(json.dumps(data, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
