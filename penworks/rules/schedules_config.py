"""The schedules file: weekly periods, holidays and exceptions of each schedule.

```yaml
timezone: Asia/Shanghai
calendars: {campus: holidays-campus.yaml}   # "cn" (shipped) is always there
schedules:
  - id: office_hours
    description: Office floors, occupied hours
    weekly:
      weekdays: ["08:00-19:00"]
      sat: ["09:00-12:00", "13:00-17:00"]
    holidays: {calendar: cn, holiday: [], workday_as: mon}
    exceptions:
      - {name: Fit-out works, start: 2026-07-01, end: 2026-07-15, periods: ["07:00-22:00"]}
```
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Literal, NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BeforeValidator, Field, ValidationInfo, field_validator, model_validator

from penworks.core.repeats import repeated
from penworks.model.schema import LOCAL_ID, Strict
from penworks.rules.holidays import DEFAULT_CALENDAR

DAY_S = 86_400
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
_PERIOD = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?-(\d{1,2}):(\d{2})(?::(\d{2}))?$")


class Period(NamedTuple):
    """Seconds of the local day: on from `start` (included) to `end` (excluded)."""

    start: int
    end: int

    def __str__(self) -> str:
        return f"{_clock(self.start)}-{_clock(self.end)}"


def _clock(seconds: int) -> str:
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours:02d}:{minutes:02d}" + (f":{secs:02d}" if secs else "")


def parse_period(text: str) -> Period:
    """'08:00-19:00' (or with seconds; '24:00' ends a day) -> Period; ValueError with the fix."""
    found = _PERIOD.match(text.replace(" ", ""))
    if found is None:
        raise ValueError(f"{text!r} is not a period: write HH:MM-HH:MM, e.g. 08:00-19:00")
    h1, m1, s1, h2, m2, s2 = (int(g) if g else 0 for g in found.groups())
    if m1 > 59 or m2 > 59 or s1 > 59 or s2 > 59 or h1 > 23 or h2 > 24:
        raise ValueError(f"{text!r}: not a time of day (00:00 to 24:00)")
    start, end = h1 * 3600 + m1 * 60 + s1, h2 * 3600 + m2 * 60 + s2
    if end > DAY_S:
        raise ValueError(f"{text!r}: a day ends at 24:00")
    if end <= start:
        raise ValueError(
            f"{text!r} ends before it starts: a period that crosses midnight is two periods, "
            f"e.g. {_clock(start)}-24:00 on one day and 00:00-{_clock(end)} on the next"
        )
    return Period(start, end)


def parse_periods(value: object) -> tuple[Period, ...]:
    """A list of periods (or one period as a string), sorted; overlapping ones are refused.

    Periods that touch (08:00-12:00, 12:00-13:00) are joined into one.
    """
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list | tuple):
        raise ValueError("give a list of periods, e.g. ['08:00-12:00', '13:00-18:00'], or []")
    periods = sorted(p if isinstance(p, Period) else parse_period(_text(p)) for p in value)
    joined: list[Period] = []
    for period in periods:
        if joined and period.start < joined[-1].end:
            raise ValueError(f"periods {joined[-1]} and {period} overlap")
        if joined and period.start == joined[-1].end:
            joined[-1] = Period(joined[-1].start, period.end)
        else:
            joined.append(period)
    return tuple(joined)


def _text(item: object) -> str:
    if not isinstance(item, str):
        raise ValueError(f"{item!r} is not a period: write it as text, e.g. '08:00-19:00'")
    return item


Periods = Annotated[tuple[Period, ...], BeforeValidator(parse_periods)]


class WeeklyDef(Strict):
    """Periods per weekday. A day's own key wins over weekdays/weekend, which win over daily."""

    mon: Periods | None = Field(None, description="Monday's periods")
    tue: Periods | None = Field(None, description="Tuesday's periods")
    wed: Periods | None = Field(None, description="Wednesday's periods")
    thu: Periods | None = Field(None, description="Thursday's periods")
    fri: Periods | None = Field(None, description="Friday's periods")
    sat: Periods | None = Field(None, description="Saturday's periods")
    sun: Periods | None = Field(None, description="Sunday's periods")
    weekdays: Periods | None = Field(None, description="Monday to Friday, unless a day has its own")
    weekend: Periods | None = Field(None, description="Saturday and Sunday, unless given alone")
    daily: Periods | None = Field(None, description="Every day that has nothing more specific")

    def periods(self, weekday: int) -> tuple[Period, ...]:
        """Periods of a weekday (0 Monday); a day given nowhere is off."""
        own: tuple[Period, ...] | None = getattr(self, WEEKDAYS[weekday])
        group = self.weekdays if weekday < 5 else self.weekend
        for candidate in (own, group, self.daily):
            if candidate is not None:
                return candidate
        return ()


class HolidayRule(Strict):
    """How a schedule follows a holiday calendar."""

    calendar: str = Field(
        DEFAULT_CALENDAR, pattern=LOCAL_ID, description="Calendar name (cn: shipped, or calendars)"
    )
    holiday: Periods = Field((), description="Periods on a holiday; off when empty")
    workday_as: Weekday = Field(
        "mon", description="Weekday whose periods a make-up working day (a weekend day) follows"
    )


class ExceptionDef(Strict):
    """Periods for a date or a date range, winning over the weekly periods and holidays."""

    name: str = Field(min_length=1, description="What it is for, shown in views and the API")
    date: dt.date | None = Field(None, description="The day (or give start and end)")
    start: dt.date | None = Field(None, description="First day of a range")
    end: dt.date | None = Field(None, description="Last day of a range (inclusive)")
    periods: Periods = Field((), description="Periods on those days; off when empty")

    @model_validator(mode="after")
    def _days(self) -> ExceptionDef:
        if self.date is not None and (self.start is not None or self.end is not None):
            raise ValueError(f"{self.name}: give either date, or start and end, not both")
        if self.date is None and (self.start is None or self.end is None):
            raise ValueError(f"{self.name}: give a date, or a start and an end")
        if self.first > self.last:
            raise ValueError(f"{self.name}: ends on {self.last} before it starts on {self.first}")
        return self

    @property
    def first(self) -> dt.date:
        day = self.date if self.date is not None else self.start
        assert day is not None  # the validator made sure
        return day

    @property
    def last(self) -> dt.date:
        day = self.date if self.date is not None else self.end
        assert day is not None
        return day

    def covers(self, day: dt.date) -> bool:
        return self.first <= day <= self.last


class ScheduleDef(Strict):
    """One schedule: when something is on (occupied hours, lighting, a plant's run times)."""

    id: str = Field(pattern=LOCAL_ID, description="Schedule id, used by bindings and rules")
    description: str = Field("", description="What it is for")
    weekly: WeeklyDef = Field(description="Weekly periods")
    holidays: HolidayRule | None = Field(
        None, description="Follow a holiday calendar ({} for cn); holidays ignored when omitted"
    )
    exceptions: list[ExceptionDef] = Field(
        default_factory=list, description="Dates with their own periods (win over holidays)"
    )

    @field_validator("exceptions")
    @classmethod
    def _no_overlap(cls, exceptions: list[ExceptionDef]) -> list[ExceptionDef]:
        ordered = sorted(exceptions, key=lambda e: e.first)
        for before, after in zip(ordered, ordered[1:], strict=False):
            if after.first <= before.last:
                raise ValueError(f"exceptions {before.name!r} and {after.name!r} share days")
        return exceptions


class SchedulesConfig(Strict):
    """The schedules file."""

    timezone: str | None = Field(
        None,
        description="IANA time zone the periods are in, e.g. Asia/Shanghai "
        "(default: the platform's time zone)",
    )
    calendars: dict[str, str] = Field(
        default_factory=dict,
        description="Holiday calendar name -> YAML file (relative to this file); "
        "cn is the shipped Chinese calendar unless named here",
    )
    schedules: list[ScheduleDef] = Field(default_factory=list, description="The schedules")

    @field_validator("timezone")
    @classmethod
    def _zone(cls, name: str | None) -> str | None:
        if name is None:
            return None
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"unknown time zone {name!r}: use an IANA name such as Asia/Shanghai"
            ) from None
        return name

    @field_validator("calendars")
    @classmethod
    def _calendar_names(cls, calendars: dict[str, str]) -> dict[str, str]:
        for name in calendars:
            if re.match(LOCAL_ID, name) is None:
                raise ValueError(f"calendar name {name!r}: use lower snake case, e.g. campus")
        return calendars

    @field_validator("schedules")
    @classmethod
    def _references(cls, schedules: list[ScheduleDef], info: ValidationInfo) -> list[ScheduleDef]:
        if twice := repeated(s.id for s in schedules):
            raise ValueError(f"schedule ids given more than once: {', '.join(twice)}")
        known = {DEFAULT_CALENDAR, *info.data.get("calendars", {})}
        for schedule in schedules:
            if schedule.holidays is not None and schedule.holidays.calendar not in known:
                raise ValueError(
                    f"schedule {schedule.id}: unknown holiday calendar "
                    f"{schedule.holidays.calendar!r} (known: {', '.join(sorted(known))})"
                )
        return schedules
