"""A time-of-use tariff as data: seasons by month, bands by time of day, prices per kWh.

A period may run across midnight (22:00 to 06:00); a period without seasons holds in every
season. The tariff must give every minute of every season exactly one band, and every band
of every season a price. The default is a Shanghai commercial tariff shipped as package data
(`data/tariff-shanghai-commercial.yaml`, JSON-style YAML: its prices are illustrative).
"""

from __future__ import annotations

import json
from datetime import datetime, time
from functools import cached_property
from importlib import resources
from pathlib import Path
from zoneinfo import ZoneInfo

from pydantic import Field, model_validator

from penworks.apps.api import Strict

DEFAULT_TARIFF = "tariff-shanghai-commercial.yaml"
MINUTES = 24 * 60


class Season(Strict):
    name: str
    months: list[int] = Field(min_length=1)


class Period(Strict):
    band: str
    start: time
    end: time  # == start: the whole day; < start: across midnight
    seasons: list[str] = Field(default_factory=list, description="Empty: every season")

    def minutes(self) -> set[int]:
        a = self.start.hour * 60 + self.start.minute
        b = self.end.hour * 60 + self.end.minute
        length = (b - a) % MINUTES or MINUTES
        return {(a + i) % MINUTES for i in range(length)}


class Tariff(Strict):
    name: str
    timezone: str = "Asia/Shanghai"
    currency: str = "CNY"
    seasons: list[Season] = Field(min_length=1)
    periods: list[Period] = Field(min_length=1)
    prices: dict[str, dict[str, float]]  # season -> band -> price per kWh

    @model_validator(mode="after")
    def _complete(self) -> Tariff:
        ZoneInfo(self.timezone)
        months = sorted(m for s in self.seasons for m in s.months)
        if months != list(range(1, 13)):
            raise ValueError("the seasons must hold each month exactly once")
        for season in self.seasons:
            covered: list[int] = []
            for period in self._periods(season.name):
                covered.extend(period.minutes())
            if sorted(covered) != list(range(MINUTES)):
                raise ValueError(f"season {season.name}: periods must cover the day once")
            bands = {p.band for p in self._periods(season.name)}
            missing = bands - set(self.prices.get(season.name, {}))
            if missing:
                raise ValueError(f"season {season.name}: no price for {sorted(missing)}")
        return self

    def _periods(self, season: str) -> list[Period]:
        return [p for p in self.periods if not p.seasons or season in p.seasons]

    @cached_property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def season_at(self, ts: datetime) -> str:
        month = ts.astimezone(self.zone).month
        return next(s.name for s in self.seasons if month in s.months)

    def band_at(self, ts: datetime) -> str:
        local = ts.astimezone(self.zone)
        minute = local.hour * 60 + local.minute
        season = self.season_at(ts)
        return next(p.band for p in self._periods(season) if minute in p.minutes())

    def price_at(self, ts: datetime) -> float:
        return self.prices[self.season_at(ts)][self.band_at(ts)]

    def bands(self) -> list[str]:
        return list(dict.fromkeys(p.band for p in self.periods))


def load_tariff(path: Path | None = None) -> Tariff:
    """A tariff file (JSON-style YAML: full-line `#` comments and one JSON object), or the
    default Shanghai commercial tariff shipped with the app."""
    if path is None:
        text = resources.files("penworks.apps.energy").joinpath("data", DEFAULT_TARIFF)
        raw = text.read_text(encoding="utf-8")
    else:
        raw = path.read_text(encoding="utf-8")
    body = "\n".join(line for line in raw.splitlines() if not line.lstrip().startswith("#"))
    return Tariff.model_validate(json.loads(body))
