"""The schedule book: whether each schedule is on at an instant, when it next changes, and why.

A day's periods come from, in order: an exception covering the day, the holiday calendar (a
holiday follows the schedule's holiday periods, a make-up working day the periods of the
weekday it stands for), the weekly periods. Periods are local wall time in the book's zone.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from penworks.core import ConfigError, PenworksError
from penworks.core.yamlfile import load_yaml_model
from penworks.rules.holidays import DEFAULT_CALENDAR, DayKind, HolidayCalendar
from penworks.rules.schedules_config import WEEKDAYS, Period, ScheduleDef, SchedulesConfig

DEFAULT_TIMEZONE = "Asia/Shanghai"
HORIZON_DAYS = 366  # how far next_change looks ahead
MAX_VIEW_DAYS = 366
_CACHE_LIMIT = 20_000


class UnknownSchedule(PenworksError, KeyError):
    """A schedule id that the schedules file does not have."""

    def __init__(self, schedule_id: str, known: list[str]) -> None:
        super().__init__(schedule_id)
        self.schedule_id = schedule_id
        self.known = known

    def __str__(self) -> str:
        known = ", ".join(self.known) if self.known else "none"
        return f"unknown schedule {self.schedule_id!r} (known: {known})"


class PlanSource(StrEnum):
    WEEKLY = "weekly"
    HOLIDAY = "holiday"
    MAKEUP_WORKDAY = "makeup_workday"
    EXCEPTION = "exception"


@dataclass(frozen=True, slots=True)
class DayPlan:
    """The periods of one schedule on one day, and where they come from."""

    day: date
    periods: tuple[Period, ...]
    source: PlanSource
    label: str  # the weekday, the holiday's name, or the exception's name
    calendar_covered: bool | None  # None: the schedule follows no calendar

    def to_json(self) -> dict[str, Any]:
        return {
            "date": self.day.isoformat(),
            "periods": [str(p) for p in self.periods],
            "source": self.source.value,
            "label": self.label,
            "calendar_covered": self.calendar_covered,
        }


@dataclass(frozen=True, slots=True)
class ScheduleView:
    """A schedule at an instant: on or off, the period it is in, the next change, and why."""

    schedule: str
    description: str
    at: datetime
    on: bool
    period: Period | None  # the period of the day that holds `at`, when on
    next_change: datetime | None  # None: no change within a year
    plan: DayPlan

    def to_json(self) -> dict[str, Any]:
        return {
            "schedule": self.schedule,
            "description": self.description,
            "at": self.at.isoformat(),
            "on": self.on,
            "period": None if self.period is None else str(self.period),
            "next_change": None if self.next_change is None else self.next_change.isoformat(),
            "why": self.plan.source.value,
            "label": self.plan.label,
            "today": self.plan.to_json(),
        }


class ScheduleBook:
    """Every schedule of a schedules file; implements the rules' ScheduleSource."""

    def __init__(
        self,
        config: SchedulesConfig,
        calendars: Mapping[str, HolidayCalendar],
        *,
        timezone: str = DEFAULT_TIMEZONE,
    ) -> None:
        self.config = config
        self.zone = ZoneInfo(config.timezone or timezone)
        self._schedules = {s.id: s for s in config.schedules}
        self._calendars = dict(calendars)
        for schedule in config.schedules:
            rule = schedule.holidays
            if rule is not None and rule.calendar not in self._calendars:
                raise ConfigError(
                    f"schedule {schedule.id}: holiday calendar {rule.calendar!r} is not loaded"
                )
        self._plans: dict[tuple[str, date], DayPlan] = {}

    @classmethod
    def load(cls, path: Path, *, timezone: str = DEFAULT_TIMEZONE) -> ScheduleBook:
        """The schedules of a YAML file, with the calendars it names; ConfigError otherwise.

        `timezone` is the platform's, used when the file gives none.
        """
        config = load_yaml_model(path, SchedulesConfig)
        calendars = {
            name: HolidayCalendar.load(path.parent / file)
            for name, file in config.calendars.items()
        }
        if DEFAULT_CALENDAR not in calendars:
            calendars[DEFAULT_CALENDAR] = HolidayCalendar.default()
        return cls(config, calendars, timezone=timezone)

    # ScheduleSource

    def schedule_ids(self) -> list[str]:
        return list(self._schedules)

    def is_on(self, schedule_id: str, at: datetime) -> bool:
        local = self._local(at)
        plan = self.plan(schedule_id, local.date())
        return self._period_at(plan, local) is not None

    # Views

    def schedule(self, schedule_id: str) -> ScheduleDef:
        try:
            return self._schedules[schedule_id]
        except KeyError:
            raise UnknownSchedule(schedule_id, self.schedule_ids()) from None

    def calendars(self) -> dict[str, HolidayCalendar]:
        return dict(self._calendars)

    def plan(self, schedule_id: str, day: date) -> DayPlan:
        """The periods of a schedule on a local day, and where they come from."""
        key = (schedule_id, day)
        if (cached := self._plans.get(key)) is None:
            if len(self._plans) >= _CACHE_LIMIT:
                self._plans.clear()
            cached = self._plans[key] = self._make_plan(self.schedule(schedule_id), day)
        return cached

    def next_change(self, schedule_id: str, at: datetime) -> datetime | None:
        """The first instant after `at` where the schedule turns on or off; None within a year."""
        first = self._local(at).date() - timedelta(days=1)
        for start, end in self._runs(schedule_id, first, HORIZON_DAYS + 2):
            if start > at:
                return start
            if end is None or end > at:
                return end
        return None

    def view(self, schedule_id: str, at: datetime) -> ScheduleView:
        local = self._local(at)
        plan = self.plan(schedule_id, local.date())
        period = self._period_at(plan, local)
        return ScheduleView(
            schedule=schedule_id,
            description=self.schedule(schedule_id).description,
            at=at,
            on=period is not None,
            period=period,
            next_change=self.next_change(schedule_id, at),
            plan=plan,
        )

    def days(self, schedule_id: str, start: date, days: int) -> list[DayPlan]:
        """Plans of consecutive days, for a calendar view (at most a year)."""
        if not 1 <= days <= MAX_VIEW_DAYS:
            raise ValueError(f"days must be 1 to {MAX_VIEW_DAYS}, got {days}")
        return [self.plan(schedule_id, start + timedelta(days=i)) for i in range(days)]

    def warnings(self, today: date) -> list[str]:
        """Holiday calendars in use that miss this year (or next year, from December)."""
        used = sorted({s.holidays.calendar for s in self._schedules.values() if s.holidays})
        return [w for name in used for w in self._calendars[name].warnings(today)]

    # Inside

    def _local(self, at: datetime) -> datetime:
        if at.tzinfo is None:
            raise ValueError(f"{at} has no time zone: schedules need an aware datetime")
        return at.astimezone(self.zone)

    def _make_plan(self, schedule: ScheduleDef, day: date) -> DayPlan:
        covered: bool | None = None
        for exception in schedule.exceptions:
            if exception.covers(day):
                return DayPlan(day, exception.periods, PlanSource.EXCEPTION, exception.name, None)
        rule = schedule.holidays
        if rule is not None:
            info = self._calendars[rule.calendar].day(day)
            covered = info.covered
            if info.kind is DayKind.HOLIDAY and info.holiday is not None:
                return DayPlan(day, rule.holiday, PlanSource.HOLIDAY, info.holiday.name, covered)
            if info.kind is DayKind.MAKEUP_WORKDAY and info.holiday is not None:
                periods = schedule.weekly.periods(WEEKDAYS.index(rule.workday_as))
                label = f"make-up working day ({info.holiday.name})"
                return DayPlan(day, periods, PlanSource.MAKEUP_WORKDAY, label, covered)
        periods = schedule.weekly.periods(day.weekday())
        return DayPlan(day, periods, PlanSource.WEEKLY, WEEKDAYS[day.weekday()], covered)

    def _period_at(self, plan: DayPlan, local: datetime) -> Period | None:
        for period in plan.periods:
            start, end = self._bounds(plan.day, period)
            if start <= local < end:
                return period
        return None

    def _bounds(self, day: date, period: Period) -> tuple[datetime, datetime]:
        # Wall-clock arithmetic: midnight + seconds stays on the day's wall clock (DST safe).
        midnight = datetime.combine(day, time(0), tzinfo=self.zone)
        start = midnight + timedelta(seconds=period.start)
        end = midnight + timedelta(seconds=period.end)
        return start, end

    def _runs(
        self, schedule_id: str, first: date, days: int
    ) -> Iterator[tuple[datetime, datetime | None]]:
        """Stretches of 'on' from `first` on, joined across midnight; an end of None is open."""
        horizon = datetime.combine(first + timedelta(days=days), time(0), tzinfo=self.zone)
        run: tuple[datetime, datetime] | None = None
        for offset in range(days):
            plan = self.plan(schedule_id, first + timedelta(days=offset))
            for period in plan.periods:
                start, end = self._bounds(plan.day, period)
                if run is not None and start <= run[1]:
                    run = (run[0], max(run[1], end))
                    continue
                if run is not None:
                    yield run
                run = (start, end)
        if run is not None:
            yield run[0], (None if run[1] >= horizon else run[1])
