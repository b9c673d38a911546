"""Baseline models of a meter's hourly kWh from weather, schedule and occupancy.

The model is the time-of-week-and-temperature (TOWT) regression of LBNL, checked with the
statistics of ASHRAE Guideline 14:

    kWh(h) = level[bin(h)]
             + sum_j (mode(h) a_j + (1 - mode(h)) b_j) T_j(h)
             + c occ(h) + d people(h)

- bin(h) is the local hour of the week (168 bins) when there are three weeks of usable
  hours or more; with fewer, the local hour of the day on working and on non-working days
  (48 bins), so that a few days still fit. A working day is a local day on which the
  schedule is on at some hour; when the training conditions never have the schedule on (no
  schedule is known), Monday to Friday.
- T_j are the segments of a piecewise-linear (change-point) function of the outdoor
  temperature with knots at 10, 15, 20, 25 and 30 C; they sum to the temperature. A knot is
  kept only when each interval it bounds holds 20 training hours, so that no slope rests on
  a handful of hours. The slopes differ for occupied and unoccupied hours: mode(h) is the
  share of the hour the building runs in occupied mode.
- occ(h) is the share of the hour the schedule is on. Where it is on, mode(h) = occ(h); where
  it is off, mode(h) is 1 in a bin the training data show in occupied mode and 0 elsewhere.
  As in LBNL's TOWT, a bin is in occupied mode when more than 65 % of its training hours
  lie above a straight line fitted to kWh against outdoor temperature over all training
  hours; here its mean kWh must also exceed that of the hours with the schedule off (of all
  hours when no schedule is known), or a cold night under a line made steep by the occupied
  hours would count. Plant that runs beyond the schedule (air handlers that start before
  the office opens and pull the building down) so gets the occupied slopes. The bins are
  found once, in the fit; predictions use them as a calendar, never the reporting period's
  kWh.
- people(h) is the mean count of people in the building over the hour.

The coefficients are fitted by least squares (`numpy.linalg.lstsq`) with a small ridge term
on columns scaled to unit size: collinear features (a schedule that follows the hour of the
week) then share their weight instead of blowing up. Bins without training hours are
dropped; an hour in such a bin takes the mean level of the trained bins of its day type at
the same hour of the day, or else of its day type, or else of all trained bins.

`FitStats` holds the Guideline 14 statistics, with degrees of freedom n - p, p the number of
parameters the data determine (the effective number of the ridge fit, the trace of its hat
matrix: the rank of the design matrix, less directions the ridge holds at zero). Monthly
figures are on sums per local calendar month; with less than two months of hours they are
on daily sums.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from typing import Literal

import numpy as np
import numpy.typing as npt

from penworks.apps.energy.consumption import HOUR, Hourly

Array = npt.NDArray[np.float64]
Basis = Literal["monthly", "daily"]

MIN_HOURS = 72  # usable hours a fit needs
HOURS_OF_WEEK = 168
DAY_TYPE_BINS = 48  # hour of the day x (working, non-working)
WEEKLY_MIN_HOURS = 3 * HOURS_OF_WEEK  # below three weeks of hours: 48 bins
KNOTS = (10.0, 15.0, 20.0, 25.0, 30.0)  # outdoor temperature, C
MIN_SEGMENT_HOURS = 20  # training hours each temperature interval needs
OCCUPIED_MODE_SHARE = 0.65  # of a bin's hours above the temperature line: occupied mode
RIDGE = 1e-6  # relative to the squared size of a unit-scaled column (n)
MONTHLY_MIN_SPAN = timedelta(days=56)  # two months at the least: else daily sums

# Guideline 14 calibration criteria, percent
MAX_CV_HOURLY, MAX_NMBE_HOURLY = 30.0, 10.0
MAX_CV_MONTHLY, MAX_NMBE_MONTHLY = 15.0, 5.0


@dataclass(frozen=True, slots=True)
class Conditions:
    """What drives a meter over one hour."""

    outdoor_c: float  # mean outdoor temperature
    occupied: float  # share of the hour the building's schedule is on, 0..1
    people: float  # people counted in the building, mean over the hour

    def finite(self) -> bool:
        return all(math.isfinite(x) for x in (self.outdoor_c, self.occupied, self.people))


@dataclass(frozen=True, slots=True)
class FitStats:
    """ASHRAE Guideline 14 statistics of a model on some hours (percentages)."""

    cv_rmse_hourly: float
    nmbe_hourly: float
    cv_rmse_monthly: float  # of monthly sums, or of daily ones (see monthly_basis)
    nmbe_monthly: float
    monthly_basis: Basis
    r2: float
    n: int  # hours
    p: int  # parameters fitted on these hours (0: out of sample)
    rho: float  # lag-1 autocorrelation of the hourly residuals

    def meets_guideline_14(self) -> bool:
        """Hourly CV(RMSE) <= 30 % and |NMBE| <= 10 %; monthly <= 15 % and <= 5 %."""
        return (
            self.cv_rmse_hourly <= MAX_CV_HOURLY
            and abs(self.nmbe_hourly) <= MAX_NMBE_HOURLY
            and self.cv_rmse_monthly <= MAX_CV_MONTHLY
            and abs(self.nmbe_monthly) <= MAX_NMBE_MONTHLY
        )  # NaN (no figure) compares False: not met

    def to_json(self) -> dict[str, object]:
        return {
            "cv_rmse_hourly": _rounded(self.cv_rmse_hourly, 2),
            "nmbe_hourly": _rounded(self.nmbe_hourly, 2),
            "cv_rmse_monthly": _rounded(self.cv_rmse_monthly, 2),
            "nmbe_monthly": _rounded(self.nmbe_monthly, 2),
            "monthly_basis": self.monthly_basis,
            "r2": _rounded(self.r2, 4),
            "n": self.n,
            "p": self.p,
            "rho": _rounded(self.rho, 4),
            "meets_guideline_14": self.meets_guideline_14(),
        }


@dataclass(frozen=True, eq=False)
class Baseline:
    """A fitted TOWT model of one meter."""

    name: str
    tz: tzinfo  # local time of the hour-of-week bins, days and months
    start: datetime  # first training hour
    end: datetime  # end of the last training hour
    bins: int  # 168 (hour of week) or 48 (hour of day x day type)
    knots: tuple[float, ...]  # temperature knots kept
    schedule_known: bool  # False: working days are Monday to Friday
    levels: Mapping[int, float]  # trained bin -> kWh
    fallback: Mapping[tuple[bool, int], float]  # (working, hour of day) -> kWh, untrained bins
    occupied_bins: frozenset[int]  # trained bins in occupied mode: mode 1 while unscheduled
    slopes: tuple[float, ...]  # coefficients of the `_feature_rows` columns
    stats: FitStats

    @property
    def n(self) -> int:
        return self.stats.n

    @property
    def p(self) -> int:
        return self.stats.p

    @property
    def rho(self) -> float:
        return self.stats.rho

    def predict(self, conditions: Mapping[datetime, Conditions]) -> Hourly:
        """kWh for each hour with finite conditions. Day types come from these conditions,
        so give whole local days."""
        hours = sorted(h for h, c in conditions.items() if c.finite())
        working = working_days(conditions, self.tz, self.schedule_known)
        slots = [self._slot(h, working) for h in hours]
        in_mode = [s in self.occupied_bins for s in slots]
        features = _feature_rows([conditions[h] for h in hours], self.knots, in_mode)
        continuous = features @ np.array(self.slopes, dtype=np.float64)
        return {
            h: self._level(h, s, working) + float(c)
            for h, s, c in zip(hours, slots, continuous, strict=True)
        }

    def _slot(self, hour: datetime, working: Mapping[date, bool]) -> int:
        local = _local(hour, self.tz)
        return _slot(local, self.bins, working[local.date()])

    def _level(self, hour: datetime, slot: int, working: Mapping[date, bool]) -> float:
        level = self.levels.get(slot)
        if level is not None:
            return level
        local = _local(hour, self.tz)
        return self.fallback[(working[local.date()], local.hour)]

    def to_json(self) -> dict[str, object]:
        return {
            "name": self.name,
            "timezone": str(self.tz),
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "bins": self.bins,
            "trained_bins": len(self.levels),
            "occupied_bins": sorted(self.occupied_bins),
            "knots": list(self.knots),
            "stats": self.stats.to_json(),
        }


def fit(
    energy: Hourly,
    conditions: Mapping[datetime, Conditions],
    *,
    name: str,
    tz: tzinfo,
    exclude: Iterable[datetime] = (),
) -> Baseline:
    """The baseline of a meter from the hours with finite kWh and conditions, not excluded
    (flagged hours, gaps). Raises ValueError with fewer than 72 such hours."""
    hours = _usable(energy, conditions, set(exclude))
    if len(hours) < MIN_HOURS:
        raise ValueError(
            f"baseline {name!r}: {len(hours)} usable hours (finite kWh and conditions, not "
            f"excluded); at least {MIN_HOURS} are needed"
        )
    y = np.array([energy[h] for h in hours], dtype=np.float64)
    if y.mean() <= 0:
        raise ValueError(f"baseline {name!r}: no consumption in the usable hours")
    schedule_known = any(conditions[h].occupied > 0 for h in hours)
    working = working_days(conditions, tz, schedule_known)
    bins = HOURS_OF_WEEK if len(hours) >= WEEKLY_MIN_HOURS else DAY_TYPE_BINS
    knots = _knots([conditions[h].outdoor_c for h in hours])
    locals_ = [_local(h, tz) for h in hours]
    slots = [_slot(t, bins, working[t.date()]) for t in locals_]
    trained = sorted(set(slots))
    onehot = _onehot(slots, trained)
    occupied_bins = _occupied_bins(y, [conditions[h] for h in hours], slots)
    in_mode = [s in occupied_bins for s in slots]
    features = _feature_rows([conditions[h] for h in hours], knots, in_mode)
    coef, p = _ridge(np.hstack([onehot, features]), y)
    if len(hours) - p < 1:
        raise ValueError(f"baseline {name!r}: {p} parameters leave no degrees of freedom")
    levels = {b: float(c) for b, c in zip(trained, coef[: len(trained)], strict=True)}
    day_types = [working[t.date()] for t in locals_]
    fallback = _fallback(levels, _bin_day_types(slots, day_types, bins))
    predicted = onehot @ coef[: len(trained)] + features @ coef[len(trained) :]
    stats = guideline_14(
        dict(zip(hours, y.tolist(), strict=True)),
        dict(zip(hours, predicted.tolist(), strict=True)),
        tz=tz,
        p=p,
    )
    slopes = tuple(float(c) for c in coef[len(trained) :])
    return Baseline(
        name, tz, hours[0], hours[-1] + HOUR, bins, knots, schedule_known,
        levels, fallback, occupied_bins, slopes, stats,
    )  # fmt: skip


def evaluate(
    baseline: Baseline,
    energy: Hourly,
    conditions: Mapping[datetime, Conditions],
    *,
    exclude: Iterable[datetime] = (),
) -> FitStats:
    """Guideline 14 statistics of the baseline on other hours (out of sample: p = 0)."""
    usable = _usable(energy, conditions, set(exclude))
    predicted = baseline.predict(conditions)  # all hours: they tell the day types
    return guideline_14({h: energy[h] for h in usable}, predicted, tz=baseline.tz, p=0)


def guideline_14(actual: Hourly, predicted: Hourly, *, tz: tzinfo, p: int = 0) -> FitStats:
    """Guideline 14 statistics over the hours in both with finite values.

    p counts the parameters fitted on these hours (0 out of sample). Monthly (or daily) sums
    are figured with one parameter in sample, the overall level: the hourly model's p would
    exceed the number of months."""
    hours = sorted(
        h for h in actual if h in predicted and _finite(actual[h]) and _finite(predicted[h])
    )
    if not hours:
        raise ValueError("no hours with both actual and predicted kWh")
    y = np.array([actual[h] for h in hours], dtype=np.float64)
    yhat = np.array([predicted[h] for h in hours], dtype=np.float64)
    cv_h, nmbe_h = _cv_nmbe(y, yhat, len(hours) - p)
    basis: Basis = "monthly" if hours[-1] - hours[0] >= MONTHLY_MIN_SPAN else "daily"
    sums_y, sums_yhat = _sums(hours, y, tz, basis), _sums(hours, yhat, tz, basis)
    cv_m, nmbe_m = _cv_nmbe(sums_y, sums_yhat, len(sums_y) - min(p, 1))
    return FitStats(
        cv_h, nmbe_h, cv_m, nmbe_m, basis, _r2(y, yhat), len(hours), p,
        lag1_autocorrelation(hours, y - yhat),
    )  # fmt: skip


def lag1_autocorrelation(hours: Sequence[datetime], residuals: Array) -> float:
    """Lag-1 autocorrelation of hourly residuals: only pairs one hour apart count, so gaps
    do not join unrelated hours; 0 when there is no pair or no spread."""
    dev = residuals - residuals.mean()
    pairs = [i for i in range(len(hours) - 1) if hours[i + 1] - hours[i] == HOUR]
    variance = float(np.mean(dev**2))
    if not pairs or variance == 0:
        return 0.0
    idx = np.array(pairs)
    return float(np.mean(dev[idx] * dev[idx + 1])) / variance


def time_of_week(hour: datetime, tz: tzinfo) -> int:
    """The local hour of the week, Monday 00:00 = 0."""
    local = _local(hour, tz)
    return local.weekday() * 24 + local.hour


def working_days(
    conditions: Mapping[datetime, Conditions], tz: tzinfo, schedule_known: bool = True
) -> dict[date, bool]:
    """Per local day: the schedule is on at some hour; Monday to Friday when no schedule is
    known."""
    out: dict[date, bool] = {}
    for hour, c in conditions.items():
        day = _local(hour, tz).date()
        if schedule_known:
            on = math.isfinite(c.occupied) and c.occupied > 0
            out[day] = out.get(day, False) or on
        else:
            out[day] = day.weekday() < 5
    return out


def segments(t: float, knots: Sequence[float]) -> list[float]:
    """The outdoor temperature split at the knots: the pieces sum to t, and each carries
    its own slope (change-point model)."""
    return [float(x) for x in _segments(np.array([t], dtype=np.float64), knots)[0]]


def _segments(t: Array, knots: Sequence[float]) -> Array:
    """`segments` of many temperatures, one row each."""
    if not knots:
        return t.reshape(-1, 1)
    columns = [np.minimum(t, knots[0])]
    for lo, hi in zip(knots, knots[1:], strict=False):
        columns.append(np.clip(t - lo, 0.0, hi - lo))
    columns.append(np.maximum(t - knots[-1], 0.0))
    return np.column_stack(columns)


def _usable(
    energy: Hourly, conditions: Mapping[datetime, Conditions], exclude: set[datetime]
) -> list[datetime]:
    return sorted(
        h
        for h, kwh in energy.items()
        if h not in exclude and _finite(kwh) and h in conditions and conditions[h].finite()
    )


def _local(hour: datetime, tz: tzinfo) -> datetime:
    if hour.utcoffset() is None:
        raise ValueError(f"hour {hour.isoformat()} has no time zone")
    return hour.astimezone(tz)


def _slot(local: datetime, bins: int, working: bool) -> int:
    if bins == HOURS_OF_WEEK:
        return local.weekday() * 24 + local.hour
    return local.hour if working else 24 + local.hour


def _knots(temps: Sequence[float]) -> tuple[float, ...]:
    """The knots whose intervals each hold enough training hours."""
    kept: list[float] = []
    for knot in KNOTS:
        lower = kept[-1] if kept else -math.inf
        below = sum(1 for t in temps if lower < t <= knot)
        above = sum(1 for t in temps if t > knot)
        if below >= MIN_SEGMENT_HOURS and above >= MIN_SEGMENT_HOURS:
            kept.append(knot)
    return tuple(kept)


def _occupied_bins(
    y: Array, conditions: Sequence[Conditions], slots: Sequence[int]
) -> frozenset[int]:
    """The bins in occupied mode: as in LBNL's TOWT, more than 65 % of their hours above a
    straight line fitted to kWh against outdoor temperature over all the hours; and, so that
    a cold night below a steep line does not count, a mean above that of the hours with the
    schedule off (all hours when no schedule is known)."""
    t = np.array([c.outdoor_c for c in conditions], dtype=np.float64)
    line = np.column_stack([np.ones_like(t), t])
    above = y - line @ np.linalg.lstsq(line, y, rcond=None)[0] > 0
    off = np.array([c.occupied <= 0 for c in conditions], dtype=bool)
    off_mean = float(y[off].mean()) if off.any() else float(y.mean())
    bins: dict[int, list[int]] = defaultdict(list)
    for i, s in enumerate(slots):
        bins[s].append(i)
    return frozenset(
        s
        for s, rows in bins.items()
        if above[rows].mean() > OCCUPIED_MODE_SHARE and y[rows].mean() > off_mean
    )


def _feature_rows(
    conditions: Sequence[Conditions], knots: Sequence[float], in_mode: Sequence[bool]
) -> Array:
    """Per hour: the temperature segments weighted by the occupied-mode share (the schedule's
    share where it is on, else 1 in an occupied-mode bin), the same weighted by the rest, the
    schedule's share, people."""
    table = np.array(
        [(c.outdoor_c, c.occupied, c.people) for c in conditions], dtype=np.float64
    ).reshape(len(conditions), 3)
    parts = _segments(table[:, 0], knots)
    occupied = table[:, 1:2]
    mode = np.where(occupied > 0, occupied, np.array(in_mode, dtype=np.float64).reshape(-1, 1))
    return np.hstack([mode * parts, (1.0 - mode) * parts, table[:, 1:3]])


def _onehot(slots: Sequence[int], trained: Sequence[int]) -> Array:
    index = {b: i for i, b in enumerate(trained)}
    out = np.zeros((len(slots), len(trained)), dtype=np.float64)
    out[np.arange(len(slots)), [index[s] for s in slots]] = 1.0
    return out


def _ridge(x: Array, y: Array) -> tuple[Array, int]:
    """Ridge least-squares coefficients on unit-scaled columns (empty columns get 0), and
    the effective number of parameters: the trace of the hat matrix, the rank of x but for
    directions the data barely determine."""
    scale = np.sqrt(np.mean(x**2, axis=0))
    used = scale > 0
    xs = x[:, used] / scale[used]
    gram = xs.T @ xs  # k x k: solving it is cheap, and the ridge keeps it well conditioned
    penalty = RIDGE * len(y)
    system = gram + penalty * np.eye(gram.shape[0])
    solution = np.linalg.lstsq(system, xs.T @ y, rcond=None)[0]
    coef = np.zeros(x.shape[1], dtype=np.float64)
    coef[used] = solution / scale[used]
    eigen = np.clip(np.linalg.eigvalsh(gram), 0.0, None)
    return coef, round(float(np.sum(eigen / (eigen + penalty))))


def _bin_day_types(slots: Sequence[int], day_types: Sequence[bool], bins: int) -> dict[int, bool]:
    """Day type of each trained bin: what most of its training hours were."""
    if bins == DAY_TYPE_BINS:
        return {s: s < 24 for s in set(slots)}
    votes: dict[int, Counter[bool]] = defaultdict(Counter)
    for s, w in zip(slots, day_types, strict=True):
        votes[s][w] += 1
    return {s: v[True] >= v[False] for s, v in votes.items()}


def _fallback(
    levels: Mapping[int, float], day_type: Mapping[int, bool]
) -> dict[tuple[bool, int], float]:
    """Level of an untrained bin per (working, hour of day): the mean of the trained bins
    of that day type at that hour, else of that day type, else of all."""
    out: dict[tuple[bool, int], float] = {}
    for working in (True, False):
        same_type = [b for b in levels if day_type[b] == working]
        for hour in range(24):
            same_hour = [b for b in same_type if b % 24 == hour]
            chosen = same_hour or same_type or list(levels)
            out[(working, hour)] = sum(levels[b] for b in chosen) / len(chosen)
    return out


def _cv_nmbe(y: Array, yhat: Array, dof: int) -> tuple[float, float]:
    """CV(RMSE) and NMBE in percent with dof degrees of freedom; NaN when undefined."""
    mean = float(y.mean())
    if dof <= 0 or mean <= 0:
        return math.nan, math.nan
    r = y - yhat
    cv = math.sqrt(float(np.sum(r**2)) / dof) / mean
    nmbe = float(np.sum(r)) / (dof * mean)
    return 100.0 * cv, 100.0 * nmbe


def _r2(y: Array, yhat: Array) -> float:
    total = float(np.sum((y - y.mean()) ** 2))
    return 1.0 - float(np.sum((y - yhat) ** 2)) / total if total > 0 else math.nan


def _sums(hours: Sequence[datetime], values: Array, tz: tzinfo, basis: Basis) -> Array:
    """Sums per local calendar month or day, in time order."""
    out: dict[tuple[int, int, int], float] = defaultdict(float)
    for hour, v in zip(hours, values.tolist(), strict=True):
        local = hour.astimezone(tz)
        key = (local.year, local.month, 1 if basis == "monthly" else local.day)
        out[key] += v
    return np.array([out[k] for k in sorted(out)], dtype=np.float64)


def _finite(x: float) -> bool:
    return math.isfinite(x)


def _rounded(x: float, digits: int) -> float | None:
    return round(x, digits) if math.isfinite(x) else None
