"""Thermal comfort and indoor air quality of spaces: hourly tallies and a live comfort map.

Thermal comfort is Fanger's PMV/PPD as ISO 7730 gives it (computed by pythermalcomfort), for
office work (1.1 met), still air (0.1 m/s) and clothing by season: 0.5 clo in summer, 1.0 clo
in winter, summer being a day whose outdoor mean is above 15 C (or, without an outdoor mean,
a month of `summer_months`). The mean radiant temperature is the air temperature unless a
sample gives it. A sample outside the ISO 7730 applicability limits (air 10-30 C, radiant
10-40 C, air speed 0-1 m/s, 0.8-4 met, 0-2 clo, water vapour pressure 0-2700 Pa, PMV -2..2),
or with a missing or impossible reading, has no PMV: it is judged by the operative band alone
(warm above it, cool below), and is unknown when that cannot tell (counted, never an error).

A space is thermally comfortable when |PMV| <= 0.5 (ISO 7730 category B) and the operative
temperature (ISO 7726: air and radiant weighted by air speed) is within the band of the
season: 23-26 C in summer (cooling), 20-24 C in winter (heating), the EN 16798-1 category II
design ranges for offices.

Air quality is a 0-100 index (100 best), the worst of the sub-indices of the pollutants
measured. Each sub-index is linear between five breakpoints, at 100, 75, 50, 25 and 0:

    CO2 (ppm)        400   800  1000  1400  2000   outdoor air; RESET / EN 16798-1 style
    PM2.5 (ug/m3)      0    15    25  37.5    75   WHO 2021: 24-h guideline, IT-4, IT-3, IT-1
    TVOC (ppb)         0   300   500  1000  3000   common sensor guidance

The category follows the index: good >= 75 (up to the second breakpoint), moderate >= 50,
poor >= 25, bad below. Missing pollutants are left out; without any the air is unknown.

Tallies cover occupied hours only: hours outside the band (thermal, or air poor or bad),
unknown hours and the mean PPD. The share outside is over the hours of which something is
known.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import pairwise
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
from pydantic import Field, field_validator

from penworks.apps.api import Strict

FloatArray = npt.NDArray[np.float64]
Season = Literal["summer", "winter"]
Thermal = Literal["comfortable", "warm", "cool", "unknown"]
Category = Literal["good", "moderate", "poor", "bad"]
Pollutant = Literal["co2", "pm25", "tvoc"]
Colour = Literal["comfortable", "warm", "cool", "poor_air", "unknown"]
Breakpoints = tuple[float, float, float, float, float]

# ISO 7730 clause 4 applicability limits, inclusive (as pythermalcomfort applies them).
AIR_C = (10.0, 30.0)
RADIANT_C = (10.0, 40.0)
SPEED_MS = (0.0, 1.0)
MET = (0.8, 4.0)
CLO = (0.0, 2.0)
VAPOUR_PA = (0.0, 2700.0)
PMV = (-2.0, 2.0)

INDEX_AT = (100.0, 75.0, 50.0, 25.0, 0.0)  # sub-index at each breakpoint
POLLUTANTS: tuple[Pollutant, ...] = ("co2", "pm25", "tvoc")
OUTSIDE_AIR: frozenset[Category] = frozenset({"poor", "bad"})


class ComfortSettings(Strict):
    met: float = Field(1.1, ge=MET[0], le=MET[1], description="Metabolic rate, met (office)")
    clo_summer: float = Field(
        0.5, ge=CLO[0], le=CLO[1], description="Clothing insulation in summer, clo"
    )
    clo_winter: float = Field(
        1.0, ge=CLO[0], le=CLO[1], description="Clothing insulation in winter, clo"
    )
    summer_above_c: float = Field(
        15.0, description="Outdoor daily mean above which people dress for summer, C"
    )
    summer_months: tuple[int, ...] = Field(
        (5, 6, 7, 8, 9),
        description="Summer months where the outdoor daily mean is not known (north)",
    )
    air_speed_ms: float = Field(
        0.1, ge=SPEED_MS[0], le=SPEED_MS[1], description="Relative air speed, m/s"
    )
    pmv_limit: float = Field(
        0.5, gt=0, le=PMV[1], description="Largest comfortable |PMV| (0.5: ISO 7730 cat. B)"
    )
    summer_band_c: tuple[float, float] = Field(
        (23.0, 26.0), description="Operative temperature band, occupied hours, cooling season"
    )
    winter_band_c: tuple[float, float] = Field(
        (20.0, 24.0), description="Operative temperature band, occupied hours, heating season"
    )
    co2_ppm: Breakpoints = Field(
        (400.0, 800.0, 1000.0, 1400.0, 2000.0),
        description="CO2 at sub-index 100, 75, 50, 25, 0, ppm",
    )
    pm25_ugm3: Breakpoints = Field(
        (0.0, 15.0, 25.0, 37.5, 75.0),
        description="PM2.5 at sub-index 100, 75, 50, 25, 0, ug/m3",
    )
    tvoc_ppb: Breakpoints = Field(
        (0.0, 300.0, 500.0, 1000.0, 3000.0),
        description="TVOC at sub-index 100, 75, 50, 25, 0, ppb",
    )

    @field_validator("summer_band_c", "winter_band_c")
    @classmethod
    def _band(cls, band: tuple[float, float]) -> tuple[float, float]:
        if not band[0] < band[1]:
            raise ValueError("a band runs from its lower to its upper temperature")
        return band

    @field_validator("co2_ppm", "pm25_ugm3", "tvoc_ppb")
    @classmethod
    def _rising(cls, points: Breakpoints) -> Breakpoints:
        if points[0] < 0 or any(a >= b for a, b in pairwise(points)):
            raise ValueError("breakpoints are non-negative and strictly rising")
        return points

    @field_validator("summer_months")
    @classmethod
    def _months(cls, months: tuple[int, ...]) -> tuple[int, ...]:
        if any(not 1 <= m <= 12 for m in months):
            raise ValueError("months are 1 to 12")
        return months

    def breakpoints(self, pollutant: Pollutant) -> Breakpoints:
        return {"co2": self.co2_ppm, "pm25": self.pm25_ugm3, "tvoc": self.tvoc_ppb}[pollutant]

    def band(self, season: Season) -> tuple[float, float]:
        return self.summer_band_c if season == "summer" else self.winter_band_c

    def clo(self, season: Season) -> float:
        return self.clo_summer if season == "summer" else self.clo_winter


# --- PMV/PPD -------------------------------------------------------------------------------


def _iso_model() -> Any:
    # Imported here, not at module level: the first import takes about 10 s (numba).
    from pythermalcomfort.models import pmv_ppd_iso  # type: ignore[import-untyped]

    return pmv_ppd_iso


def _iso_7730(
    tdb: FloatArray, tr: FloatArray, vr: FloatArray, rh: FloatArray, met: float, clo: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """pythermalcomfort on inputs already within the limits (so it has nothing to warn of)."""
    result = _iso_model()(
        tdb=tdb, tr=tr, vr=vr, rh=rh, met=met, clo=clo, limit_inputs=False, round_output=False
    )
    pmv = np.asarray(result.pmv, dtype=np.float64).reshape(tdb.shape)
    ppd = np.asarray(result.ppd, dtype=np.float64).reshape(tdb.shape)
    return pmv, ppd


async def warm_up() -> None:
    """Load the PMV model and run it once, off the event loop (about 10 s on a first start)."""
    await asyncio.to_thread(pmv_ppd, [22.0], [22.0], [50.0], [1.0], met=1.1, air_speed_ms=0.1)


def _within(x: FloatArray, limits: tuple[float, float]) -> npt.NDArray[np.bool_]:
    return np.isfinite(x) & (x >= limits[0]) & (x <= limits[1])


def vapour_pressure_pa(air_c: FloatArray, rh_pct: FloatArray) -> FloatArray:
    """Partial water vapour pressure, Pa (the saturation formula pythermalcomfort uses)."""
    return rh_pct * 10.0 * np.exp(16.6536 - 4030.183 / (air_c + 235.0))


def pmv_ppd(
    air_c: npt.ArrayLike,
    radiant_c: npt.ArrayLike,
    rh_pct: npt.ArrayLike,
    clo: npt.ArrayLike,
    *,
    met: float,
    air_speed_ms: float,
) -> tuple[FloatArray, FloatArray]:
    """PMV and PPD (%) of many samples at once, NaN where a sample is outside the limits."""
    tdb, tr, rh, cl = np.broadcast_arrays(
        *(np.asarray(a, dtype=np.float64) for a in (air_c, radiant_c, rh_pct, clo))
    )
    vr = np.full(tdb.shape, air_speed_ms, dtype=np.float64)
    ok = _within(tdb, AIR_C) & _within(tr, RADIANT_C) & _within(vr, SPEED_MS)
    ok &= _within(rh, (0.0, 100.0)) & _within(cl, CLO) & bool(MET[0] <= met <= MET[1])
    ok &= _within(vapour_pressure_pa(np.where(ok, tdb, 20.0), np.where(ok, rh, 0.0)), VAPOUR_PA)
    pmv = np.full(tdb.shape, np.nan)
    ppd = np.full(tdb.shape, np.nan)
    if ok.any():
        pmv[ok], ppd[ok] = _iso_7730(tdb[ok], tr[ok], vr[ok], rh[ok], met, cl[ok])
    beyond = ~_within(pmv, PMV)  # the PMV model holds for -2..2 only
    pmv[beyond] = np.nan
    ppd[beyond] = np.nan
    return pmv, ppd


def operative_c(air_c: float, radiant_c: float, air_speed_ms: float) -> float:
    """Operative temperature (ISO 7726): air weighs more as the air moves faster."""
    a = 0.5 if air_speed_ms < 0.2 else 0.6 if air_speed_ms < 0.6 else 0.7
    return a * air_c + (1 - a) * radiant_c


def season_of(outdoor_daily_mean_c: float | None, hour: datetime, s: ComfortSettings) -> Season:
    """Summer clothing and band above the outdoor mean threshold, else by month."""
    mean = _number(outdoor_daily_mean_c)
    if math.isnan(mean):
        return "summer" if hour.month in s.summer_months else "winter"
    return "summer" if mean > s.summer_above_c else "winter"


def _number(value: float | None) -> float:
    """A reading as a float, NaN when missing or not finite."""
    if value is None or not math.isfinite(value):
        return math.nan
    return float(value)


def _optional(value: float) -> float | None:
    return None if math.isnan(value) else value


# --- Air quality ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AirQuality:
    """The index (0-100, 100 best), its category and the pollutant that sets it."""

    index: float
    category: Category
    driver: Pollutant
    sub: dict[Pollutant, float]

    def to_json(self) -> dict[str, object]:
        return {
            "index": round(self.index, 1),
            "category": self.category,
            "driver": self.driver,
            "sub": {p: round(v, 1) for p, v in self.sub.items()},
        }


def sub_index(value: float, breakpoints: Sequence[float]) -> float:
    """100 at or below the first breakpoint, linear between them, 0 at or above the last."""
    return float(np.interp(value, breakpoints, INDEX_AT))


def category_of(index: float) -> Category:
    if index >= 75:
        return "good"
    if index >= 50:
        return "moderate"
    return "poor" if index >= 25 else "bad"


def air_quality(
    co2_ppm: float | None = None,
    pm25: float | None = None,
    tvoc_ppb: float | None = None,
    settings: ComfortSettings | None = None,
) -> AirQuality | None:
    """The index from the pollutants measured (a negative or non-finite one is left out)."""
    s = settings or ComfortSettings()
    values = {"co2": co2_ppm, "pm25": pm25, "tvoc": tvoc_ppb}
    sub: dict[Pollutant, float] = {}
    for pollutant in POLLUTANTS:
        value = _number(values[pollutant])
        if not math.isnan(value) and value >= 0:
            sub[pollutant] = sub_index(value, s.breakpoints(pollutant))
    if not sub:
        return None
    driver = min(sub, key=lambda p: sub[p])  # ties: the first in POLLUTANTS
    return AirQuality(sub[driver], category_of(sub[driver]), driver, sub)


# --- Samples -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ComfortSample:
    """The readings of one space in one hour (None: not measured)."""

    space: str
    hour: datetime
    occupied: bool
    air_c: float | None
    rh_pct: float | None
    co2_ppm: float | None = None
    pm25: float | None = None
    tvoc_ppb: float | None = None
    outdoor_daily_mean_c: float | None = None
    radiant_c: float | None = None  # mean radiant temperature; None: the air temperature


@dataclass(frozen=True, slots=True)
class Assessment:
    """One sample judged: PMV, PPD and operative temperature (None: unknown), air quality."""

    sample: ComfortSample
    season: Season
    pmv: float | None
    ppd: float | None
    operative_c: float | None
    thermal: Thermal
    air: AirQuality | None

    @property
    def poor_air(self) -> bool:
        return self.air is not None and self.air.category in OUTSIDE_AIR

    @property
    def outside(self) -> bool:
        return self.thermal in ("warm", "cool") or self.poor_air

    @property
    def known(self) -> bool:
        return self.thermal != "unknown" or self.air is not None

    @property
    def colour(self) -> Colour:
        """The comfort map's class: poor air first (health before comfort), then thermal."""
        return "poor_air" if self.poor_air else self.thermal


def thermal_state(
    pmv: float, operative: float, band: tuple[float, float], pmv_limit: float
) -> Thermal:
    if math.isnan(pmv):  # beyond the PMV model: a room at 33 C is too warm all the same
        if operative > band[1]:
            return "warm"
        return "cool" if operative < band[0] else "unknown"
    if pmv > pmv_limit:
        return "warm"
    if pmv < -pmv_limit:
        return "cool"
    if operative > band[1]:
        return "warm"
    return "cool" if operative < band[0] else "comfortable"


def evaluate(
    samples: Sequence[ComfortSample], settings: ComfortSettings | None = None
) -> list[Assessment]:
    """Each sample judged, with one PMV computation for all of them."""
    s = settings or ComfortSettings()
    seasons = [season_of(x.outdoor_daily_mean_c, x.hour, s) for x in samples]
    air = np.array([_number(x.air_c) for x in samples], dtype=np.float64)
    measured = np.array([_number(x.radiant_c) for x in samples], dtype=np.float64)
    radiant = np.where(np.isnan(measured), air, measured)
    rh = np.array([_number(x.rh_pct) for x in samples], dtype=np.float64)
    clo = np.array([s.clo(season) for season in seasons], dtype=np.float64)
    pmv, ppd = pmv_ppd(air, radiant, rh, clo, met=s.met, air_speed_ms=s.air_speed_ms)
    out = []
    for i, (x, season) in enumerate(zip(samples, seasons, strict=True)):
        top = operative_c(float(air[i]), float(radiant[i]), s.air_speed_ms)
        state = thermal_state(float(pmv[i]), top, s.band(season), s.pmv_limit)
        out.append(
            Assessment(
                sample=x,
                season=season,
                pmv=_optional(float(pmv[i])),
                ppd=_optional(float(ppd[i])),
                operative_c=_optional(top),
                thermal=state,
                air=air_quality(x.co2_ppm, x.pm25, x.tvoc_ppb, s),
            )
        )
    return out


# --- Tallies over occupied hours ----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ComfortSummary:
    """Occupied hours of one space: outside the band, unknown, and the mean PPD."""

    space: str
    occupied_h: int
    assessed_h: int  # occupied hours of which something (thermal or air) is known
    outside_h: int  # thermally outside or poor air
    warm_h: int
    cool_h: int
    poor_air_h: int
    thermal_unknown_h: int
    air_unknown_h: int
    ppd_mean: float | None  # over the occupied hours with a PPD
    ppd_h: int  # occupied hours with a PPD (not those judged by the band alone)

    @property
    def outside_pct(self) -> float | None:
        return 100 * self.outside_h / self.assessed_h if self.assessed_h else None

    def to_json(self) -> dict[str, object]:
        return {
            "space": self.space,
            "occupied_h": self.occupied_h,
            "assessed_h": self.assessed_h,
            "outside_h": self.outside_h,
            "outside_pct": _round(self.outside_pct, 1),
            "warm_h": self.warm_h,
            "cool_h": self.cool_h,
            "poor_air_h": self.poor_air_h,
            "thermal_unknown_h": self.thermal_unknown_h,
            "air_unknown_h": self.air_unknown_h,
            "ppd_mean": _round(self.ppd_mean, 1),
        }


@dataclass
class ComfortTally:
    """Hourly assessments of one space added up; unoccupied hours are not counted."""

    space: str
    occupied_h: int = 0
    assessed_h: int = 0
    outside_h: int = 0
    warm_h: int = 0
    cool_h: int = 0
    poor_air_h: int = 0
    thermal_unknown_h: int = 0
    air_unknown_h: int = 0
    ppd_sum: float = 0.0
    ppd_h: int = 0

    def add(self, a: Assessment) -> None:
        if a.sample.space != self.space:
            raise ValueError(f"{a.sample.space} is not {self.space}")
        if not a.sample.occupied:
            return
        self.occupied_h += 1
        self.assessed_h += a.known
        self.outside_h += a.outside
        self.warm_h += a.thermal == "warm"
        self.cool_h += a.thermal == "cool"
        self.poor_air_h += a.poor_air
        self.thermal_unknown_h += a.thermal == "unknown"
        self.air_unknown_h += a.air is None
        if a.ppd is not None:
            self.ppd_sum += a.ppd
            self.ppd_h += 1

    def summary(self) -> ComfortSummary:
        return ComfortSummary(
            space=self.space,
            occupied_h=self.occupied_h,
            assessed_h=self.assessed_h,
            outside_h=self.outside_h,
            warm_h=self.warm_h,
            cool_h=self.cool_h,
            poor_air_h=self.poor_air_h,
            thermal_unknown_h=self.thermal_unknown_h,
            air_unknown_h=self.air_unknown_h,
            ppd_mean=self.ppd_sum / self.ppd_h if self.ppd_h else None,
            ppd_h=self.ppd_h,
        )


def tally(
    samples: Iterable[ComfortSample], settings: ComfortSettings | None = None
) -> dict[str, ComfortSummary]:
    """Per space, its occupied hours (a repeated space and hour: the last sample counts)."""
    latest: dict[tuple[str, datetime], ComfortSample] = {}
    spaces: set[str] = set()
    for x in samples:
        spaces.add(x.space)
        if x.occupied:
            latest[(x.space, x.hour)] = x
    tallies = {space: ComfortTally(space) for space in sorted(spaces)}
    for a in evaluate(list(latest.values()), settings):
        tallies[a.sample.space].add(a)
    return {space: t.summary() for space, t in tallies.items()}


@dataclass(frozen=True, slots=True)
class BuildingComfort:
    """Zone-hours of all spaces: the share outside the band and the mean PPD."""

    spaces: int
    occupied_h: int
    assessed_h: int
    outside_h: int
    unknown_h: int  # occupied zone-hours of which nothing is known
    ppd_mean: float | None

    @property
    def outside_pct(self) -> float | None:
        return 100 * self.outside_h / self.assessed_h if self.assessed_h else None

    def to_json(self) -> dict[str, object]:
        return {
            "spaces": self.spaces,
            "occupied_h": self.occupied_h,
            "assessed_h": self.assessed_h,
            "outside_h": self.outside_h,
            "outside_pct": _round(self.outside_pct, 1),
            "unknown_h": self.unknown_h,
            "ppd_mean": _round(self.ppd_mean, 1),
        }


def roll_up(summaries: Mapping[str, ComfortSummary] | Iterable[ComfortSummary]) -> BuildingComfort:
    """The building from its spaces; the mean PPD weighs each space by its hours with a PPD."""
    items = list(summaries.values() if isinstance(summaries, Mapping) else summaries)
    ppd_h = sum(x.ppd_h for x in items)
    ppd_sum = sum((x.ppd_mean or 0.0) * x.ppd_h for x in items)
    occupied = sum(x.occupied_h for x in items)
    assessed = sum(x.assessed_h for x in items)
    return BuildingComfort(
        spaces=len(items),
        occupied_h=occupied,
        assessed_h=assessed,
        outside_h=sum(x.outside_h for x in items),
        unknown_h=occupied - assessed,
        ppd_mean=ppd_sum / ppd_h if ppd_h else None,
    )


# --- Live comfort map ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SpaceComfort:
    """The latest state of one space, for the comfort map."""

    space: str
    hour: datetime
    pmv: float | None
    ppd: float | None
    operative_c: float | None
    iaq_index: float | None
    iaq_category: Category | None
    iaq_driver: Pollutant | None
    colour: Colour

    def to_json(self) -> dict[str, object]:
        return {
            "space": self.space,
            "hour": self.hour.isoformat(),
            "pmv": _round(self.pmv, 2),
            "ppd": _round(self.ppd, 1),
            "operative_c": _round(self.operative_c, 1),
            "iaq_index": _round(self.iaq_index, 1),
            "iaq_category": self.iaq_category,
            "iaq_driver": self.iaq_driver,
            "colour": self.colour,
        }


def assess(
    samples: list[ComfortSample], settings: ComfortSettings | None = None
) -> list[SpaceComfort]:
    """Each space's latest sample judged (occupied or not), by space name."""
    latest: dict[str, ComfortSample] = {}
    for x in samples:
        if x.space not in latest or x.hour >= latest[x.space].hour:
            latest[x.space] = x
    ordered = [latest[space] for space in sorted(latest)]
    return [_space_comfort(a) for a in evaluate(ordered, settings)]


def _space_comfort(a: Assessment) -> SpaceComfort:
    return SpaceComfort(
        space=a.sample.space,
        hour=a.sample.hour,
        pmv=a.pmv,
        ppd=a.ppd,
        operative_c=a.operative_c,
        iaq_index=None if a.air is None else a.air.index,
        iaq_category=None if a.air is None else a.air.category,
        iaq_driver=None if a.air is None else a.air.driver,
        colour=a.colour,
    )


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)
