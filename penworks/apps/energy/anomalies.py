"""Energy anomalies, each with its estimated waste in kWh and in money.

Four pure detectors, called periodically by the app over a recent window of data:

- `above_baseline`: runs of hours a meter used clearly more than its baseline model expected;
- `base_load`: unoccupied periods (nights, weekends, holidays) whose mean load is above a
  reference base load;
- `left_on`: equipment on while its space is unoccupied, for longer than a grace time;
- `simultaneous_heating_cooling`: heating and cooling both active, for longer than a grace time.

Missing data is never filled in: a missing hour, or samples further apart than
`max_sample_gap_min`, break a run. Waste is priced hour by hour at the tariff's price of the
hour. An anomaly is `ongoing` when its condition still holds at the last hour or sample
looked at: the app keeps its alarm active while ongoing and clears it after.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Literal

from pydantic import Field

from penworks.apps.api import Strict
from penworks.apps.energy.consumption import HOUR, Hourly, split
from penworks.apps.energy.tariff import Tariff

AnomalyKind = Literal["above_baseline", "base_load", "left_on", "simultaneous_heating_cooling"]
Detail = dict[str, float | str]
SYMBOLS = {"CNY": "¥", "RMB": "¥", "JPY": "¥", "USD": "$", "EUR": "€", "GBP": "£"}


class AnomalySettings(Strict):
    """What counts as an anomaly, and the ratings that turn a condition into kWh."""

    # Two RMSE: an hour that far above the model is unusual for a model with normal errors;
    # requiring a run of hours (below) makes a chance finding rarer still.
    baseline_k_rmse: float = Field(
        2.0, ge=0, description="An hour is above baseline when over by more than this many RMSE"
    )
    # 10 %: a small excess on a large load is within what a good hourly model misses.
    baseline_min_excess_share: float = Field(
        0.10, ge=0, description="... and by more than this share of its expected kWh"
    )
    # Two hours: one hour over is often a single event (a meeting, a cleaning round).
    baseline_min_hours: int = Field(2, ge=1, description="Shortest run of hours reported")
    # A quarter: what stays on in a well-run office at night (IT, lifts, fridges, security)
    # is about a quarter of its occupied load; HVAC and most lighting should be off.
    base_load_share: float = Field(
        0.25, ge=0, description="Reference base load as a share of the occupied mean load"
    )
    # Empty by default: a known constant load (a server room) is the site's to give.
    base_load_kw: dict[str, float] = Field(
        default_factory=dict, description="Reference base load in kW per meter (wins)"
    )
    # A fifth: occupancy schedules and loads vary; within it is normal variation.
    base_load_tolerance: float = Field(
        0.20, ge=0, description="Reported above the reference by more than this share of it"
    )
    # Four hours: shorter gaps in occupancy (lunch, between bookings) are not a night.
    base_load_min_hours: int = Field(
        4, ge=1, description="Shortest unoccupied period judged (after the ramps below)"
    )
    # One hour: people leaving and plant stopping take a while after occupancy ends.
    ramp_down_h: int = Field(1, ge=0, description="Hours left out after occupancy ends")
    # Two hours: optimum start runs HVAC before occupancy, and that is no waste.
    pre_start_h: int = Field(2, ge=0, description="Hours left out before occupancy starts")
    # Half an hour: occupancy sensors hold off, and late leavers and cleaners come and go.
    left_on_grace_min: float = Field(
        30.0, ge=0, description="On in an unoccupied space for longer than this is reported"
    )
    # Empty by default: ratings differ too much (a room's lights, an AHU fan) for one number.
    left_on_kw: dict[str, float] = Field(
        default_factory=dict, description="Rated kW per subject, used when samples have none"
    )
    # 5 %: valves leak and actuators drift; below that there is no real flow.
    heating_threshold_pct: float = Field(5.0, ge=0, le=100, description="Heating is active above")
    cooling_threshold_pct: float = Field(5.0, ge=0, le=100, description="Cooling is active above")
    # A quarter of an hour: a control loop handing over from heating to cooling overlaps a
    # few minutes; longer is a fight.
    heat_cool_grace_min: float = Field(
        15.0, ge=0, description="Both active for longer than this is reported"
    )
    # Empty by default: the rating (reheat coil kW, or cooling capacity over COP) is per unit.
    heat_cool_kw: dict[str, float] = Field(
        default_factory=dict,
        description="Electric kW per subject wasted at 100 % overlap, used without heating_kw",
    )
    # An hour: samples come from a polled trend every few minutes; a longer silence is
    # missing data, not evidence that the condition went on.
    max_sample_gap_min: float = Field(60.0, gt=0, description="Samples further apart break a run")


@dataclass(frozen=True, slots=True)
class Anomaly:
    """One finding: what, on which subject, over [start, end), and what it wasted."""

    kind: AnomalyKind
    subject: str
    start: datetime
    end: datetime
    waste_kwh: float
    cost: float
    message: str
    ongoing: bool
    detail: Detail = field(default_factory=dict, hash=False)
    currency: str = "CNY"

    def to_json(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "subject": self.subject,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "waste_kwh": round(self.waste_kwh, 1),
            "cost": round(self.cost, 2),
            "currency": self.currency,
            "message": self.message,
            "ongoing": self.ongoing,
            "detail": {
                k: round(v, 3) if isinstance(v, float) else v for k, v in self.detail.items()
            },
        }


@dataclass(frozen=True, slots=True)
class OnSample:
    """A piece of equipment at one time: on or off, its space occupied or not, its power."""

    ts: datetime
    on: bool
    occupied: bool
    power_kw: float | None = None


@dataclass(frozen=True, slots=True)
class HeatCoolSample:
    """Heating and cooling outputs (valve or stage, %) at one time, and electric reheat kW."""

    ts: datetime
    heating_pct: float
    cooling_pct: float
    heating_kw: float | None = None


# --- hourly detectors ---------------------------------------------------------------------


def above_baseline(
    meter: str,
    actual: Hourly,
    expected: Hourly,
    rmse_kwh: float,
    tariff: Tariff,
    settings: AnomalySettings,
    *,
    label: str | None = None,
) -> list[Anomaly]:
    """Runs of at least `baseline_min_hours` consecutive hours where the meter used more than
    expected by over max(k x RMSE, a share of expected); waste is actual - expected."""
    if not math.isfinite(rmse_kwh) or rmse_kwh < 0:
        raise ValueError(f"RMSE must be a non-negative number, not {rmse_kwh!r}")
    hours = _known_hours(actual, expected)

    def excess(h: datetime) -> float:
        return actual[h] - expected[h]

    def over(h: datetime) -> bool:
        floor = settings.baseline_min_excess_share * abs(expected[h])
        return excess(h) > max(settings.baseline_k_rmse * rmse_kwh, floor)

    found = []
    for run in _hour_runs(hours, over):
        if len(run) < settings.baseline_min_hours:
            continue
        waste = {h: excess(h) for h in run}
        detail: Detail = {
            "hours": float(len(run)),
            "actual_kwh": sum(actual[h] for h in run),
            "expected_kwh": sum(expected[h] for h in run),
            "threshold_kwh": settings.baseline_k_rmse * rmse_kwh,
        }
        ongoing = run[-1] == hours[-1]
        found.append(
            _anomaly("above_baseline", meter, label, _span(run), waste, tariff, ongoing, detail)
        )
    return found


def base_load(
    meter: str,
    actual: Hourly,
    occupied: dict[datetime, bool],
    tariff: Tariff,
    settings: AnomalySettings,
    *,
    label: str | None = None,
) -> list[Anomaly]:
    """Unoccupied periods whose mean load is above the reference base load (the meter's
    absolute kW, else a share of the occupied mean) by more than the tolerance; the waste is
    the energy above the reference. Ramps next to occupancy are left out."""
    hours = _known_hours(actual, occupied)
    occupied_kwh = [actual[h] for h in hours if occupied[h]]
    occupied_mean = sum(occupied_kwh) / len(occupied_kwh) if occupied_kwh else None
    reference = settings.base_load_kw.get(meter)
    if reference is None and occupied_mean is not None:
        reference = settings.base_load_share * occupied_mean
    if reference is None:
        return []  # nothing to compare with: no occupied hour and no given base load
    found = []
    for run in _hour_runs(hours, lambda h: not occupied[h]):
        ongoing = run[-1] == hours[-1]
        period = _trim(run, occupied, settings)
        if len(period) < settings.base_load_min_hours:
            continue
        mean = sum(actual[h] for h in period) / len(period)
        if mean <= reference * (1 + settings.base_load_tolerance):
            continue
        waste = {h: actual[h] - reference for h in period}
        detail: Detail = {
            "hours": float(len(period)),
            "unoccupied_mean_kw": mean,
            "reference_kw": reference,
        }
        if occupied_mean:
            detail["occupied_mean_kw"] = occupied_mean
            detail["ratio"] = mean / occupied_mean
        span = _span(period)
        found.append(_anomaly("base_load", meter, label, span, waste, tariff, ongoing, detail))
    return found


def _known_hours(actual: Hourly, other: Mapping[datetime, float]) -> list[datetime]:
    """Hours known in both series, in time order (a missing or non-finite value is unknown)."""
    known = (h for h in actual if h in other and _finite(actual[h]) and _finite(other[h]))
    return sorted(known)


def _hour_runs(
    hours: Sequence[datetime], holds: Callable[[datetime], bool]
) -> list[list[datetime]]:
    """Runs of consecutive hours where the condition holds; a missing hour ends a run."""
    runs: list[list[datetime]] = []
    run: list[datetime] = []
    for h in hours:
        if run and _utc(h) - _utc(run[-1]) != HOUR:
            runs.append(run)
            run = []
        if holds(h):
            run.append(h)
        elif run:
            runs.append(run)
            run = []
    if run:
        runs.append(run)
    return runs


def _trim(
    run: list[datetime], occupied: Mapping[datetime, bool], settings: AnomalySettings
) -> list[datetime]:
    """The run less its ramps: hours just after occupancy ends and just before it starts."""
    first, last = 0, len(run)
    if occupied.get(_utc(run[0]) - HOUR) is True:
        first = settings.ramp_down_h
    if occupied.get(_utc(run[-1]) + HOUR) is True:
        last -= settings.pre_start_h
    return run[first:last]


def _span(run: list[datetime]) -> tuple[datetime, datetime]:
    return run[0], run[-1] + HOUR


# --- sampled detectors --------------------------------------------------------------------

Power = tuple[float | None, bool]  # kW (None: unknown), and whether it is a rating


def left_on(
    subject: str,
    samples: Sequence[OnSample],
    tariff: Tariff,
    settings: AnomalySettings,
    *,
    label: str | None = None,
) -> list[Anomaly]:
    """Runs where the equipment is on while its space is unoccupied, for longer than the
    grace time; waste is power x time (the samples' power, else the subject's rating)."""
    samples = sorted(samples, key=lambda s: s.ts)
    rated = settings.left_on_kw.get(subject)

    def power(s: OnSample) -> Power:
        if s.power_kw is not None and _finite(s.power_kw):
            return s.power_kw, False
        return rated, rated is not None

    return _sampled(
        "left_on",
        subject,
        label,
        [s.ts for s in samples],
        [s.on and not s.occupied for s in samples],
        [power(s) for s in samples],
        timedelta(minutes=settings.left_on_grace_min),
        tariff,
        settings,
    )


def simultaneous_heating_cooling(
    subject: str,
    samples: Sequence[HeatCoolSample],
    tariff: Tariff,
    settings: AnomalySettings,
    *,
    label: str | None = None,
) -> list[Anomaly]:
    """Runs where heating and cooling are both above their thresholds for longer than the
    grace time. Waste is the smaller of the two effects as electricity: the electric reheat
    kW when measured, else min(heating, cooling) % of the subject's rated kW."""
    samples = sorted(samples, key=lambda s: s.ts)
    rated = settings.heat_cool_kw.get(subject)

    def both(s: HeatCoolSample) -> bool:
        return (
            _finite(s.heating_pct)
            and _finite(s.cooling_pct)
            and s.heating_pct > settings.heating_threshold_pct
            and s.cooling_pct > settings.cooling_threshold_pct
        )

    def power(s: HeatCoolSample) -> Power:
        if s.heating_kw is not None and _finite(s.heating_kw):
            return s.heating_kw, False
        if rated is None:
            return None, False
        overlap = min(max(min(s.heating_pct, s.cooling_pct), 0.0), 100.0)
        return overlap / 100 * rated, True

    def extra(i: int, j: int) -> Detail:
        run = samples[i : j + 1]
        return {
            "heating_pct": sum(s.heating_pct for s in run) / len(run),
            "cooling_pct": sum(s.cooling_pct for s in run) / len(run),
        }

    return _sampled(
        "simultaneous_heating_cooling",
        subject,
        label,
        [s.ts for s in samples],
        [both(s) for s in samples],
        [power(s) for s in samples],
        timedelta(minutes=settings.heat_cool_grace_min),
        tariff,
        settings,
        extra,
    )


def _sampled(
    kind: AnomalyKind,
    subject: str,
    label: str | None,
    times: list[datetime],
    holds: list[bool],
    powers: list[Power],
    grace: timedelta,
    tariff: Tariff,
    settings: AnomalySettings,
    extra: Callable[[int, int], Detail] | None = None,
) -> list[Anomaly]:
    """An anomaly per run of samples longer than the grace time, each sample's power held
    until the next sample."""
    found = []
    max_gap = timedelta(minutes=settings.max_sample_gap_min)
    for i, j, end in _sample_runs(times, holds, max_gap):
        if end - times[i] <= grace:
            continue
        ends = [*times[i + 1 : j + 1], end]
        waste, estimated_h, unknown_h = _energy(times[i : j + 1], ends, powers[i : j + 1])
        detail: Detail = {
            "hours": _hours(end - times[i]),
            "estimated": "true" if estimated_h else "false",
        }
        if unknown_h:
            detail["power_unknown_h"] = unknown_h
        if extra is not None:
            detail.update(extra(i, j))
        ongoing = j == len(times) - 1
        span = times[i], end
        found.append(_anomaly(kind, subject, label, span, waste, tariff, ongoing, detail))
    return found


def _sample_runs(
    times: list[datetime], holds: list[bool], max_gap: timedelta
) -> list[tuple[int, int, datetime]]:
    """Runs of samples i..j where the condition holds, and when each run ends: at the next
    sample, or at its own last sample when that is the last one or the next is too far."""
    runs = []
    i, n = 0, len(times)
    while i < n:
        if not holds[i]:
            i += 1
            continue
        j = i
        while j + 1 < n and holds[j + 1] and times[j + 1] - times[j] <= max_gap:
            j += 1
        close = j + 1 < n and times[j + 1] - times[j] <= max_gap
        runs.append((i, j, times[j + 1] if close else times[j]))
        i = j + 1
    return runs


def _energy(
    starts: list[datetime], ends: list[datetime], powers: list[Power]
) -> tuple[Hourly, float, float]:
    """kWh by hour of spans at constant power, hours on a rating, hours of unknown power."""
    hourly: Hourly = defaultdict(float)
    estimated_h = unknown_h = 0.0
    for start, end, (kw, rated) in zip(starts, ends, powers, strict=True):
        hours = _hours(end - start)
        if hours <= 0:
            continue
        if kw is None:
            unknown_h += hours
            continue
        estimated_h += hours if rated else 0.0
        for hour, kwh in split(start, end, kw * hours).items():
            hourly[hour] += kwh
    return dict(hourly), estimated_h, unknown_h


# --- building, merging and summing anomalies ----------------------------------------------


def _anomaly(
    kind: AnomalyKind,
    subject: str,
    label: str | None,
    span: tuple[datetime, datetime],
    waste: Hourly,
    tariff: Tariff,
    ongoing: bool,
    detail: Detail,
) -> Anomaly:
    """The anomaly over the span, its waste priced hour by hour, in the tariff's local time."""
    start, end = (t.astimezone(tariff.zone) for t in span)
    kwh = sum(waste.values())
    cost = sum(used * tariff.price_at(hour) for hour, used in waste.items())
    if label is not None and label != subject:
        detail["label"] = label
    message = _message(kind, subject, start, end, kwh, cost, tariff.currency, ongoing, detail)
    return Anomaly(kind, subject, start, end, kwh, cost, message, ongoing, detail, tariff.currency)


def merge(anomalies: Iterable[Anomaly]) -> list[Anomaly]:
    """Anomalies of the same subject and kind that touch or overlap, joined into one.

    Where two overlap, the overlap's waste is counted once, from the one that ends later
    (the fresher look); the other's waste outside it is prorated by time. Other detail values
    are the fresher one's."""
    groups: dict[tuple[str, str], list[Anomaly]] = defaultdict(list)
    for anomaly in anomalies:
        groups[anomaly.subject, anomaly.kind].append(anomaly)
    out = []
    for group in groups.values():
        group.sort(key=lambda a: (a.start, a.end))
        current = group[0]
        for nxt in group[1:]:
            if nxt.start <= current.end:
                current = _join(current, nxt)
            else:
                out.append(current)
                current = nxt
        out.append(current)
    return sorted(out, key=lambda a: (a.start, a.subject, a.kind))


def _join(a: Anomaly, b: Anomaly) -> Anomaly:
    # later end first, then the longer: the one that saw more of the condition
    fresh, other = sorted((a, b), key=lambda x: (x.end, x.end - x.start), reverse=True)
    length = other.end - other.start
    share = max(fresh.start - other.start, timedelta(0)) / length if length else 0.0
    kwh = fresh.waste_kwh + share * other.waste_kwh
    cost = fresh.cost + share * other.cost
    start, end = min(a.start, b.start), fresh.end
    merged = float(a.detail.get("merged", 1.0)) + float(b.detail.get("merged", 1.0))
    detail: Detail = {**fresh.detail, "hours": _hours(end - start), "merged": merged}
    message = _message(
        fresh.kind, fresh.subject, start, end, kwh, cost, fresh.currency, fresh.ongoing, detail
    )
    return replace(
        fresh, start=start, end=end, waste_kwh=kwh, cost=cost, message=message, detail=detail
    )


def total_waste(anomalies: Iterable[Anomaly]) -> tuple[float, float]:
    """Total waste in kWh and in money (merge first where anomalies may overlap)."""
    kwh = cost = 0.0
    for anomaly in anomalies:
        kwh += anomaly.waste_kwh
        cost += anomaly.cost
    return kwh, cost


# --- messages -----------------------------------------------------------------------------


def _message(
    kind: AnomalyKind,
    subject: str,
    start: datetime,
    end: datetime,
    kwh: float,
    cost: float,
    currency: str,
    ongoing: bool,
    detail: Detail,
) -> str:
    """One sentence for an operator: the subject, the period, the waste in kWh and money."""
    name = str(detail.get("label", subject))
    when = _when(start, end) + (", still going" if ongoing else "")
    waste = _waste(kwh, cost, currency, detail)
    if kind == "above_baseline":
        return f"{name} used {waste} more than its baseline {when}"
    if kind == "base_load":
        mean, reference = detail["unoccupied_mean_kw"], detail["reference_kw"]
        return (
            f"{name} drew {mean:.1f} kW while unoccupied {when}, above its {reference:.1f} kW"
            f" base load: {waste} wasted"
        )
    if kind == "left_on":
        rating = " (estimated from its rating)" if detail.get("estimated") == "true" else ""
        return f"{name} was on in an unoccupied space {when}: {waste} wasted{rating}"
    return f"{name} was heating and cooling at once {when}: {waste} wasted"


def _waste(kwh: float, cost: float, currency: str, detail: Detail) -> str:
    if detail.get("power_unknown_h") and kwh == 0:
        return "an unknown amount (no power measured or rated)"
    at_least = "at least " if detail.get("power_unknown_h") else ""
    return f"{at_least}{kwh:,.1f} kWh ({_money(cost, currency)})"


def _money(amount: float, currency: str) -> str:
    symbol = SYMBOLS.get(currency)
    return f"{symbol}{amount:,.2f}" if symbol else f"{amount:,.2f} {currency}"


def _when(start: datetime, end: datetime) -> str:
    """A local period: "Tue 6 Jan 19:00-23:00", or with both days when it spans midnight."""
    if start.date() == end.date():
        return f"{_day(start)} {start:%H:%M}-{end:%H:%M}"
    return f"{_day(start)} {start:%H:%M} - {_day(end)} {end:%H:%M}"


def _day(ts: datetime) -> str:
    return f"{ts:%a} {ts.day} {ts:%b}"


def _hours(span: timedelta) -> float:
    return span.total_seconds() / 3600


def _utc(ts: datetime) -> datetime:
    return ts.astimezone(UTC)


def _finite(value: float) -> bool:
    return math.isfinite(value)
