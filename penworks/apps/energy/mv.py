"""Measurement and verification of savings against a baseline (IPMVP Option C, the whole
building approach of ASHRAE Guideline 14).

The baseline fitted on the training period is projected to the reporting period's
conditions (the adjusted baseline); the avoided energy is the adjusted baseline less the
actual kWh, and the saving fraction F is that share of the adjusted baseline. Its
uncertainty follows Guideline 14 Annex B for a regression on hourly data, with the number
of training points reduced for autocorrelated residuals:

    n' = n (1 - rho) / (1 + rho)          rho: lag-1 autocorrelation of training residuals
    dE = t * 1.26 * CV * E * sqrt((n / n') * (1 + 2 / n') * (1 / m)) * m
    dE / E_save = dE / (F * E * m)

CV is the training CV(RMSE) as a fraction, n and p the training hours and parameters, m
the reporting hours, E the mean adjusted baseline per reporting hour, and t the two-sided
Student t for the confidence level with n' - p degrees of freedom. The absolute figure dE
comes first: when nothing is saved the relative one is not defined. A negative rho is taken
as 0 (the correction is for positively correlated residuals); with n' - p < 1 there are too
few independent points left and no uncertainty is given.

The Student t quantile is found by bisection on its distribution function, written with the
regularized incomplete beta function (continued fraction, modified Lentz method).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime

from penworks.apps.energy.baseline import Baseline, Conditions
from penworks.apps.energy.consumption import HOUR, Hourly

ANNEX_B = 1.26  # Guideline 14's empirical factor for hourly regression models
MIN_DOF = 1.0  # degrees of freedom the t value needs
CF_ITERATIONS = 300
CF_EPS = 1e-15
TINY = 1e-300
BISECTIONS = 200


@dataclass(frozen=True, slots=True)
class DayPoint:
    """One local day of the reporting period, for a chart."""

    day: date
    baseline_kwh: float
    actual_kwh: float


@dataclass(frozen=True, slots=True)
class Savings:
    """Avoided energy over a reporting period and its uncertainty."""

    meter: str
    start: datetime  # first reporting hour
    end: datetime  # end of the last reporting hour
    hours: int  # m: hours with actual kWh and conditions
    baseline_kwh: float  # adjusted baseline
    actual_kwh: float
    confidence: float
    t: float | None  # two-sided Student t; None with too few effective training points
    n_effective: float  # n' of the training residuals
    uncertainty_kwh: float | None  # +- avoided kWh at the confidence level
    days: tuple[DayPoint, ...]

    @property
    def avoided_kwh(self) -> float:
        return self.baseline_kwh - self.actual_kwh

    @property
    def saving_pct(self) -> float | None:
        """Avoided energy as a percentage of the adjusted baseline."""
        if self.baseline_kwh <= 0:
            return None
        return 100.0 * self.avoided_kwh / self.baseline_kwh

    @property
    def uncertainty_pct(self) -> float | None:
        """+- percent of the savings; not defined when nothing is saved."""
        if self.uncertainty_kwh is None or self.avoided_kwh <= 0:
            return None
        return 100.0 * self.uncertainty_kwh / self.avoided_kwh

    def to_json(self) -> dict[str, object]:
        return {
            "meter": self.meter,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "hours": self.hours,
            "baseline_kwh": round(self.baseline_kwh, 1),
            "actual_kwh": round(self.actual_kwh, 1),
            "avoided_kwh": round(self.avoided_kwh, 1),
            "saving_pct": _round(self.saving_pct),
            "uncertainty": {
                "confidence": self.confidence,
                "kwh": _round(self.uncertainty_kwh),
                "pct_of_savings": _round(self.uncertainty_pct),
                "t": None if self.t is None else round(self.t, 3),
                "n_effective": round(self.n_effective, 1),
            },
            "days": [
                {
                    "day": d.day.isoformat(),
                    "baseline_kwh": round(d.baseline_kwh, 1),
                    "actual_kwh": round(d.actual_kwh, 1),
                }
                for d in self.days
            ],
        }


def savings(
    baseline: Baseline,
    actual: Hourly,
    conditions: Mapping[datetime, Conditions],
    *,
    confidence: float = 0.9,
    exclude: Iterable[datetime] = (),
) -> Savings:
    """Savings over the hours with finite actual kWh and conditions (not excluded)."""
    if not 0 < confidence < 1:
        raise ValueError(f"confidence {confidence} is not between 0 and 1")
    predicted = baseline.predict(conditions)
    skip = set(exclude)
    hours = sorted(h for h in actual if h in predicted and h not in skip and _finite(actual[h]))
    if not hours:
        raise ValueError(f"savings {baseline.name!r}: no reporting hours with kWh and conditions")
    base = sum(predicted[h] for h in hours)
    n_eff = effective_n(baseline.n, baseline.rho)
    dof = n_eff - baseline.p
    t = t_two_sided(confidence, dof) if dof >= MIN_DOF else None
    uncertainty = None
    if t is not None:
        uncertainty = absolute_uncertainty(
            t, baseline.stats.cv_rmse_hourly, base / len(hours), baseline.n, n_eff, len(hours)
        )
    return Savings(
        baseline.name, hours[0], hours[-1] + HOUR, len(hours), base,
        sum(actual[h] for h in hours), confidence, t, n_eff, uncertainty,
        _days(hours, predicted, actual, baseline),
    )  # fmt: skip


def effective_n(n: int, rho: float) -> float:
    """Independent points in n autocorrelated ones: n (1 - rho) / (1 + rho), rho >= 0."""
    r = max(rho, 0.0)
    return n * (1.0 - r) / (1.0 + r)


def absolute_uncertainty(
    t: float, cv_rmse_pct: float, mean_baseline_kwh: float, n: int, n_eff: float, m: int
) -> float:
    """+- kWh of the savings over m hours (Guideline 14 Annex B, CV in percent)."""
    if n_eff <= 0:
        return math.inf
    spread = math.sqrt((n / n_eff) * (1.0 + 2.0 / n_eff) / m)
    return t * ANNEX_B * (cv_rmse_pct / 100.0) * mean_baseline_kwh * spread * m


def t_two_sided(confidence: float, dof: float) -> float:
    """The Student t value that holds the given share of the distribution between -t and t."""
    return t_quantile(0.5 + confidence / 2.0, dof)


def t_quantile(q: float, dof: float) -> float:
    """The q quantile of Student's t with dof (> 0, not necessarily whole) degrees of freedom."""
    if not 0 < q < 1 or dof <= 0:
        raise ValueError(f"no t quantile for q={q}, dof={dof}")
    if q < 0.5:
        return -t_quantile(1.0 - q, dof)
    lo, hi = 0.0, 1.0
    while t_cdf(hi, dof) < q:  # the bracket grows until it holds the quantile
        lo, hi = hi, 2.0 * hi
    for _ in range(BISECTIONS):
        mid = 0.5 * (lo + hi)
        if mid in (lo, hi):
            break
        if t_cdf(mid, dof) < q:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def t_cdf(t: float, dof: float) -> float:
    """Student's t distribution function: one tail is I_x(dof/2, 1/2) / 2, x = dof/(dof+t^2)."""
    tail = 0.5 * incomplete_beta(dof / 2.0, 0.5, dof / (dof + t * t))
    return 1.0 - tail if t > 0 else tail


def incomplete_beta(a: float, b: float, x: float) -> float:
    """The regularized incomplete beta function I_x(a, b)."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    log_front = (
        math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b)
        + a * math.log(x) + b * math.log1p(-x)
    )  # fmt: skip
    front = math.exp(log_front)
    # The continued fraction converges fast only below (a + 1) / (a + b + 2): use symmetry.
    if x < (a + 1.0) / (a + b + 2.0):
        return front * _beta_fraction(a, b, x) / a
    return 1.0 - front * _beta_fraction(b, a, 1.0 - x) / b


def _beta_fraction(a: float, b: float, x: float) -> float:
    """The continued fraction of the incomplete beta function (modified Lentz)."""
    c, d = 1.0, 1.0 - (a + b) * x / (a + 1.0)
    d = 1.0 / (d if abs(d) > TINY else TINY)
    result = d
    for m in range(1, CF_ITERATIONS + 1):
        for numerator in (
            m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m)),
            -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1)),
        ):
            d = 1.0 + numerator * d
            d = 1.0 / (d if abs(d) > TINY else TINY)
            c = 1.0 + numerator / c
            c = c if abs(c) > TINY else TINY
            result *= d * c
        if abs(d * c - 1.0) < CF_EPS:
            break
    return result


def _days(
    hours: list[datetime], predicted: Hourly, actual: Hourly, baseline: Baseline
) -> tuple[DayPoint, ...]:
    """Adjusted baseline and actual kWh per local day."""
    base: dict[date, float] = defaultdict(float)
    used: dict[date, float] = defaultdict(float)
    for h in hours:
        day = h.astimezone(baseline.tz).date()
        base[day] += predicted[h]
        used[day] += actual[h]
    return tuple(DayPoint(d, base[d], used[d]) for d in sorted(base))


def _finite(x: float) -> bool:
    return math.isfinite(x)


def _round(x: float | None) -> float | None:
    return None if x is None or not math.isfinite(x) else round(x, 1)
