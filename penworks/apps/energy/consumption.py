"""Consumption from cumulative kWh readings, and what is made of it.

`Counter` turns readings of one register into hourly kWh (the same code for a batch and for
live observations), flagging what `quality` says; then hours are summed by day, by floor,
system or tenant, into energy use intensity, load profiles and peak demand. Consumption is
never negative.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from penworks.apps.energy.quality import Flag, QualitySettings, step

HOUR = timedelta(hours=1)
MAX_FLAGS = 1_000  # flags kept per register, the newest
Hourly = dict[datetime, float]  # hour start (aware) -> kWh


def hour_of(ts: datetime) -> datetime:
    return ts.replace(minute=0, second=0, microsecond=0)


def split(start: datetime, end: datetime, kwh: float) -> Hourly:
    """kWh spread linearly over [start, end), by hour."""
    out: Hourly = {}
    span = (end - start).total_seconds()
    if span <= 0:
        out[hour_of(end)] = kwh
        return out
    t = start
    while t < end:
        nxt = min(hour_of(t) + HOUR, end)
        out[hour_of(t)] = out.get(hour_of(t), 0.0) + kwh * (nxt - t).total_seconds() / span
        t = nxt
    return out


@dataclass
class Counter:
    """One cumulative register: hourly kWh and flags, fed reading by reading in time order."""

    point: str
    settings: QualitySettings
    hourly: Hourly = field(default_factory=dict)
    flags: list[Flag] = field(default_factory=list)
    last: tuple[datetime, float] | None = None  # time of the last reading, reference
    raw: float = 0.0  # the last reading itself (below the reference after a backwards run)

    def flag(self, flag: Flag) -> None:
        self.flags.append(flag)
        del self.flags[:-MAX_FLAGS]

    def add(self, ts: datetime, value: float) -> None:
        if not math.isfinite(value) or value < 0:
            self.flag(Flag("invalid", self.point, ts, ts, f"reading {value!r} ignored"))
            return
        if self.last is None:
            self.last, self.raw = (ts, value), value
            return
        then, reference = self.last
        if ts <= then:
            return  # a repeat or an older reading: already counted
        result = step(reference, value, self.settings)
        climbing_back = result.flag == "backwards" and value >= self.raw
        self.last, self.raw = (ts, result.reference), value
        if result.flag is not None and not climbing_back:
            kwh = reference - value if result.flag == "backwards" else result.kwh
            self.flag(Flag(result.flag, self.point, then, ts, result.detail, kwh))
        if ts - then > timedelta(hours=self.settings.gap_limit_h):
            hours = (ts - then).total_seconds() / 3600
            detail = f"no reading for {hours:.1f} h: missing, {result.kwh:g} kWh not placed"
            self.flag(Flag("gap", self.point, then, ts, detail, result.kwh))
            return
        for hour, kwh in split(then, ts, result.kwh).items():
            self.hourly[hour] = self.hourly.get(hour, 0.0) + kwh


def consumption(
    point: str, readings: Iterable[tuple[datetime, float]], settings: QualitySettings
) -> Counter:
    """The counter of a register after these readings (sorted by time first)."""
    counter = Counter(point, settings)
    for ts, value in sorted(readings, key=lambda r: r[0]):
        counter.add(ts, value)
    return counter


def window(hourly: Hourly, start: datetime, end: datetime) -> Hourly:
    return {h: kwh for h, kwh in hourly.items() if start <= h < end}


def total(hourly: Hourly, start: datetime, end: datetime) -> float:
    return sum(window(hourly, start, end).values())


def daily(hourly: Hourly) -> dict[datetime, float]:
    """kWh per day (days of the hours' own time zone)."""
    out: dict[datetime, float] = defaultdict(float)
    for hour, kwh in hourly.items():
        out[hour.replace(hour=0)] += kwh
    return dict(sorted(out.items()))


def grouped(
    per_meter: Mapping[str, Hourly],
    group_of: Mapping[str, str | None],
    start: datetime,
    end: datetime,
) -> dict[str, float]:
    """kWh per group (floor, system or tenant) of the meters that have one."""
    out: dict[str, float] = defaultdict(float)
    for meter, hourly in per_meter.items():
        group = group_of.get(meter)
        if group is not None:
            out[group] += total(hourly, start, end)
    return dict(sorted(out.items()))


def eui(kwh: float, area_m2: float, start: datetime, end: datetime) -> float:
    """Energy use intensity, kWh per m2 per year, from the kWh over [start, end)."""
    years = (end - start).total_seconds() / (365 * 24 * 3600)
    if area_m2 <= 0 or years <= 0:
        raise ValueError("EUI needs a served area and a period")
    return kwh / area_m2 / years


def daily_profile(hourly: Hourly) -> list[float]:
    """Mean kWh of each hour of the day, 0..23 (hours without data are left out)."""
    return _profile(hourly, 24, lambda h: h.hour)


def weekly_profile(hourly: Hourly) -> list[float]:
    """Mean kWh of each hour of the week, Monday 00:00 first (168 values)."""
    return _profile(hourly, 168, lambda h: h.weekday() * 24 + h.hour)


def _profile(hourly: Hourly, size: int, slot: Callable[[datetime], int]) -> list[float]:
    sums, counts = [0.0] * size, [0] * size
    for hour, kwh in hourly.items():
        i = slot(hour)
        sums[i] += kwh
        counts[i] += 1
    return [s / c if c else 0.0 for s, c in zip(sums, counts, strict=True)]


def peak_demand(hourly: Hourly) -> tuple[datetime, float] | None:
    """The hour of highest consumption and its mean demand in kW (kWh over one hour)."""
    if not hourly:
        return None
    hour = max(hourly, key=lambda h: hourly[h])
    return hour, hourly[hour]
