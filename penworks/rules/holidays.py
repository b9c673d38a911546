"""Holiday calendars: public holidays and make-up working days, year by year, from a YAML file.

A calendar covers the years its file lists. A day of a year it does not cover is answered by
the weekday rule (Monday to Friday working) and counted, so the platform can warn that the
operator must add that year. The Chinese calendar ships with the package
(``penworks/rules/data/holidays-cn.yaml``).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from importlib import resources
from pathlib import Path
from typing import Annotated

from pydantic import BeforeValidator, Field, field_validator, model_validator

from penworks.core.repeats import repeated
from penworks.core.yamlfile import load_yaml_model
from penworks.model.schema import LOCAL_ID, Strict

DEFAULT_CALENDAR = "cn"
_LONGEST_HOLIDAY = timedelta(days=31)


class HolidayDef(Strict):
    """One holiday: a day or a span of days off (the whole span, weekend days included)."""

    name: str = Field(min_length=1, description="Name, e.g. Spring Festival")
    local_name: str | None = Field(None, description="Name in the local language, e.g. 春节")
    start: date = Field(description="First day off")
    end: date | None = Field(None, description="Last day off (inclusive); the start when omitted")

    @property
    def last(self) -> date:
        return self.start if self.end is None else self.end

    @model_validator(mode="after")
    def _span(self) -> HolidayDef:
        if self.last < self.start:
            raise ValueError(f"{self.name}: ends on {self.last} before it starts on {self.start}")
        if self.last - self.start > _LONGEST_HOLIDAY:
            raise ValueError(f"{self.name}: longer than {_LONGEST_HOLIDAY.days} days")
        return self


class WorkdayDef(Strict):
    """A make-up working day (调休上班): a Saturday or Sunday that is a working day."""

    date: dt.date = Field(description="The Saturday or Sunday that is a working day")
    holiday: str = Field(description="Name of the holiday of the same year it makes up for")

    @model_validator(mode="after")
    def _weekend(self) -> WorkdayDef:
        if self.date.weekday() < 5:
            raise ValueError(
                f"{self.date} is a {self.date:%A}: a make-up working day is a Saturday or Sunday"
            )
        return self


class YearDef(Strict):
    """The holidays of one year, as its official notice sets them."""

    holidays: list[HolidayDef] = Field(description="Holidays of the year")
    workdays: list[WorkdayDef] = Field(
        default_factory=list, description="Weekend days that are working days"
    )

    @model_validator(mode="after")
    def _consistent(self) -> YearDef:
        if problems := _year_problems(self):
            raise ValueError("; ".join(problems))
        return self


def _year_keys(value: object) -> object:
    # YAML reads `2026:` as a number; text keys let errors point at the year's line.
    if isinstance(value, dict):
        return {str(k) if isinstance(k, int) else k: v for k, v in value.items()}
    return value


class HolidayFile(Strict):
    """A holiday calendar file."""

    name: str = Field(pattern=LOCAL_ID, description="Calendar name, e.g. cn")
    description: str = Field("", description="What the calendar holds and where it comes from")
    years: Annotated[
        dict[Annotated[str, Field(pattern=r"^\d{4}$")], YearDef], BeforeValidator(_year_keys)
    ] = Field(description="Year -> its holidays and make-up working days")

    @field_validator("years")
    @classmethod
    def _in_their_year(cls, years: dict[str, YearDef]) -> dict[str, YearDef]:
        # A span may reach into the next or previous year (New Year's Eve), not lie outside.
        outside = [
            f"{h.name} ({h.start}) is not in {year}"
            for year, spec in years.items()
            for h in spec.holidays
            if h.last.year < int(year) or h.start.year > int(year)
        ]
        if outside:
            raise ValueError("; ".join(outside))
        return years


def _year_problems(spec: YearDef) -> list[str]:
    problems = []
    names = {h.name for h in spec.holidays}
    for name in repeated(h.name for h in spec.holidays):
        problems.append(f"holiday {name!r} is listed twice")
    days: dict[date, str] = {}
    for holiday in spec.holidays:
        for day in _span(holiday.start, holiday.last):
            if day in days:
                problems.append(f"{day} is in both {days[day]} and {holiday.name}")
            days[day] = holiday.name
    for workday in spec.workdays:
        if workday.holiday not in names:
            problems.append(
                f"make-up working day {workday.date} is for {workday.holiday!r}, which is not "
                f"a holiday of the year (known: {', '.join(sorted(names))})"
            )
        if workday.date in days:
            problems.append(f"{workday.date} is both a holiday and a working day")
    for text in repeated(w.date.isoformat() for w in spec.workdays):
        problems.append(f"make-up working day {text} is listed twice")
    return problems


def _span(first: date, last: date) -> Iterable[date]:
    for offset in range((last - first).days + 1):
        yield first + timedelta(days=offset)


@dataclass(frozen=True, slots=True)
class Holiday:
    name: str
    start: date
    end: date  # inclusive
    local_name: str | None = None


class DayKind(StrEnum):
    WORKDAY = "workday"
    WEEKEND = "weekend"
    HOLIDAY = "holiday"
    MAKEUP_WORKDAY = "makeup_workday"  # a weekend day that is a working day


@dataclass(frozen=True, slots=True)
class CalendarDay:
    """What a calendar says of one day."""

    day: date
    kind: DayKind
    holiday: Holiday | None  # the holiday (of a make-up working day: the one it makes up for)
    covered: bool  # False: the calendar does not cover the year, the weekday rule answered

    @property
    def working(self) -> bool:
        return self.kind in (DayKind.WORKDAY, DayKind.MAKEUP_WORKDAY)


class HolidayCalendar:
    """Public holidays and make-up working days of the years a calendar file covers."""

    def __init__(self, spec: HolidayFile, source: str = "") -> None:
        self.name = spec.name
        self.description = spec.description
        self.source = source
        self._years = frozenset(int(year) for year in spec.years)
        self._holidays: dict[date, Holiday] = {}
        self._workdays: dict[date, Holiday] = {}
        self._by_year: dict[int, list[Holiday]] = {}
        for year, year_spec in sorted((int(y), s) for y, s in spec.years.items()):
            by_name = {}
            for h in year_spec.holidays:
                holiday = Holiday(h.name, h.start, h.last, h.local_name)
                by_name[h.name] = holiday
                self._by_year.setdefault(year, []).append(holiday)
                self._holidays.update(dict.fromkeys(_span(h.start, h.last), holiday))
            for w in year_spec.workdays:
                self._workdays[w.date] = by_name[w.holiday]
        self._uncovered: Counter[int] = Counter()

    @classmethod
    def load(cls, path: Path) -> HolidayCalendar:
        """A calendar from a YAML file; ConfigError naming the file and line otherwise."""
        return cls(load_yaml_model(path, HolidayFile), source=str(path))

    @classmethod
    def default(cls) -> HolidayCalendar:
        """The Chinese public holidays shipped with Penworks."""
        data = resources.files("penworks.rules").joinpath("data", "holidays-cn.yaml")
        with resources.as_file(data) as path:
            return cls.load(path)

    @property
    def years(self) -> list[int]:
        return sorted(self._years)

    def covers(self, year: int) -> bool:
        return year in self._years

    def holidays(self, year: int) -> list[Holiday]:
        return list(self._by_year.get(year, ()))

    def day(self, day: date) -> CalendarDay:
        covered = day.year in self._years
        if not covered:
            self._uncovered[day.year] += 1
        if (holiday := self._holidays.get(day)) is not None:
            return CalendarDay(day, DayKind.HOLIDAY, holiday, True)
        if (made_up := self._workdays.get(day)) is not None:
            return CalendarDay(day, DayKind.MAKEUP_WORKDAY, made_up, True)
        kind = DayKind.WEEKEND if day.weekday() >= 5 else DayKind.WORKDAY
        return CalendarDay(day, kind, None, covered)

    def is_working_day(self, day: date) -> bool:
        return self.day(day).working

    def uncovered_lookups(self) -> dict[int, int]:
        """Years asked about that the calendar does not cover, and how many lookups each."""
        return dict(sorted(self._uncovered.items()))

    def warnings(self, today: date) -> list[str]:
        """What an operator must fix: this year missing, or next year missing from December."""
        wanted = [today.year] + ([today.year + 1] if today.month == 12 else [])
        return [
            f"holiday calendar {self.name!r} does not cover {year}: add the year's holidays "
            f"and make-up working days to {self.source or 'its file'}; until then days of {year} "
            "follow the weekday rule"
            for year in wanted
            if not self.covers(year)
        ]
