"""Hourly analysis: baselines per meter, anomalies with their waste, comfort per zone.

Run once an hour on what the app has metered and sampled. A meter's baseline is fitted once
its baseline period is metered (the first `baseline_days` days, or the period the settings
name) and then kept: savings are measured against the building as it was run then.
Anomalies found still going on keep an app alarm active (one per kind and subject); when
they end the alarm clears. Comfort adds up each complete hour once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo

from pydantic import Field

from penworks.apps.api import AlarmPriority, AppContext, Strict
from penworks.apps.energy.anomalies import (
    Anomaly,
    AnomalySettings,
    above_baseline,
    base_load,
    left_on,
    merge,
    simultaneous_heating_cooling,
)
from penworks.apps.energy.baseline import Baseline, Conditions, fit
from penworks.apps.energy.comfort import (
    ComfortSample,
    ComfortSettings,
    ComfortTally,
    SpaceComfort,
    assess,
    evaluate,
)
from penworks.apps.energy.consumption import HOUR, Hourly, hour_of
from penworks.apps.energy.mv import Savings, savings
from penworks.apps.energy.sampler import Sampler
from penworks.apps.energy.tariff import Tariff

ANOMALY_WINDOW = timedelta(hours=48)  # how far back each hourly pass looks
KEEP_ANOMALIES = timedelta(days=14)
MIN_BASELINE_DAYS = 3.0


class BaselineSettings(Strict):
    days: float = Field(
        7.0, ge=MIN_BASELINE_DAYS, description="Days metered before a baseline is fitted"
    )
    start: datetime | None = Field(None, description="Baseline period start (else metering's)")
    end: datetime | None = Field(None, description="Baseline period end (else start + days)")


@dataclass(slots=True)
class Analysis:
    tz: tzinfo
    tariff: Tariff
    baseline_settings: BaselineSettings
    anomaly_settings: AnomalySettings
    comfort_settings: ComfortSettings
    labels: dict[str, str]  # subject id -> name people read
    alarm_points: dict[str, str]  # subject id -> the point its alarm is raised on
    baselines: dict[str, Baseline] = field(default_factory=dict)
    baseline_errors: dict[str, str] = field(default_factory=dict)
    anomalies: list[Anomaly] = field(default_factory=list)
    active: set[tuple[str, str]] = field(default_factory=set)  # (kind, subject) alarmed
    tallies: dict[str, ComfortTally] = field(default_factory=dict)
    comfort_now: dict[str, SpaceComfort] = field(default_factory=dict)
    seen: dict[str, set[datetime]] = field(default_factory=dict)  # zone -> hours counted
    mean_kwh: dict[str, float] = field(default_factory=dict)  # meter -> baseline period mean
    first_hour: datetime | None = None

    def period(self) -> tuple[datetime, datetime] | None:
        """The baseline period, once known."""
        start = self.baseline_settings.start or self.first_hour
        if start is None:
            return None
        end = self.baseline_settings.end or start + timedelta(days=self.baseline_settings.days)
        return start, end

    def fit_baselines(
        self, meters: dict[str, Hourly], conditions: dict[datetime, Conditions], now: datetime
    ) -> None:
        period = self.period()
        if period is None or now < period[1]:
            return
        start, end = period
        for meter, hourly in meters.items():
            if meter in self.baselines or meter in self.baseline_errors:
                continue
            energy = {h: kwh for h, kwh in hourly.items() if start <= h < end}
            try:
                self.baselines[meter] = fit(energy, conditions, name=meter, tz=self.tz)
                self.mean_kwh[meter] = sum(energy.values()) / len(energy)
            except ValueError as error:
                self.baseline_errors[meter] = str(error)

    def savings(
        self,
        meter: str,
        actual: Hourly,
        conditions: dict[datetime, Conditions],
        start: datetime,
        end: datetime,
    ) -> Savings:
        """M&V of a meter over [start, end) after its baseline period (ValueError: none)."""
        baseline = self.baselines.get(meter)
        if baseline is None:
            reason = self.baseline_errors.get(meter)
            raise ValueError(
                reason or f"no baseline for {meter} yet: it is fitted after its period"
            )
        period = self.period()
        begin = max(start, period[1]) if period is not None else start
        reporting = {h: kwh for h, kwh in actual.items() if begin <= h < end}
        return savings(baseline, reporting, conditions)

    def expected(self, meter: str, conditions: dict[datetime, Conditions]) -> Hourly:
        baseline = self.baselines.get(meter)
        return baseline.predict(conditions) if baseline is not None else {}

    async def find_anomalies(
        self,
        ctx: AppContext,
        meters: dict[str, Hourly],
        conditions: dict[datetime, Conditions],
        sampler: Sampler,
        now: datetime,
    ) -> None:
        since = hour_of(now) - ANOMALY_WINDOW
        recent = {h: c for h, c in conditions.items() if h >= since}
        occupied = {h: c.occupied >= 0.5 for h, c in recent.items()}
        found: list[Anomaly] = []
        s, tariff = self.anomaly_settings, self.tariff
        for meter, hourly in meters.items():
            actual = {h: kwh for h, kwh in hourly.items() if since <= h < hour_of(now)}
            label = self.labels.get(meter)
            baseline = self.baselines.get(meter)
            if baseline is not None:
                expected = baseline.predict(recent)
                rmse = baseline.stats.cv_rmse_hourly / 100 * self.mean_kwh.get(meter, 0.0)
                found += above_baseline(meter, actual, expected, rmse, tariff, s, label=label)
            if occupied:
                found += base_load(meter, actual, occupied, tariff, s, label=label)
        for zone, samples in sampler.on.items():
            window = [x for x in samples if x.ts >= since]
            found += left_on(zone, window, tariff, s, label=self.labels.get(zone))
        for subject, hc in sampler.heating_cooling.items():
            both = [x for x in hc if x.ts >= since]
            found += simultaneous_heating_cooling(
                subject, both, tariff, s, label=self.labels.get(subject)
            )
        found = merge(found)
        await self._alarms(ctx, found)
        kept = [a for a in self.anomalies if a.end >= now - KEEP_ANOMALIES and a.start < since]
        self.anomalies = merge([*kept, *found])

    async def _alarms(self, ctx: AppContext, found: list[Anomaly]) -> None:
        ongoing: dict[tuple[str, str], Anomaly] = {
            (a.kind, a.subject): a for a in found if a.ongoing
        }
        for (kind, subject), anomaly in ongoing.items():
            point = self.alarm_points.get(subject)
            await ctx.raise_alarm(
                kind,
                anomaly.message,
                point=point,
                priority=AlarmPriority.LOW,
                value=round(anomaly.waste_kwh, 1),
            )
        for kind, subject in self.active - set(ongoing):
            await ctx.clear_alarm(
                kind, point=self.alarm_points.get(subject), priority=AlarmPriority.LOW
            )
        self.active = set(ongoing)

    def add_comfort(
        self, sampler: Sampler, outdoor_daily_mean: dict[str, float], now: datetime
    ) -> None:
        """Assess every complete sampled hour not yet counted; keep the latest per space."""
        samples = []
        for zone, means in sampler.comfort.items():
            for hour in means.hours():
                if hour + HOUR > now or hour in self.seen.get(zone, ()):
                    continue
                occupied = (means.mean(hour, "occupied") or 0.0) >= 0.5
                samples.append(
                    ComfortSample(
                        space=zone,
                        hour=hour,
                        occupied=occupied,
                        air_c=means.mean(hour, "air_c"),
                        rh_pct=means.mean(hour, "rh_pct"),
                        co2_ppm=means.mean(hour, "co2_ppm"),
                        pm25=means.mean(hour, "pm25"),
                        tvoc_ppb=means.mean(hour, "tvoc_ppb"),
                        outdoor_daily_mean_c=outdoor_daily_mean.get(hour.date().isoformat()),
                    )
                )
        if not samples:
            return
        for assessment in evaluate(samples, self.comfort_settings):
            space = assessment.sample.space
            self.tallies.setdefault(space, ComfortTally(space)).add(assessment)
            self.seen.setdefault(space, set()).add(assessment.sample.hour)
        for comfort in assess(samples, self.comfort_settings):  # the latest hour of each space
            self.comfort_now[comfort.space] = comfort
