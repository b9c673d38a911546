"""The schedule book: weekly periods, holidays, make-up working days, exceptions, changes."""

from __future__ import annotations

import textwrap
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from penworks.core import PenworksError
from penworks.rules.schedules import PlanSource, ScheduleBook, UnknownSchedule

SCHEDULES = """\
timezone: Asia/Shanghai
schedules:
  - id: office
    description: Office floors, occupied hours
    weekly:
      weekdays: ["08:00-12:00", "13:00-19:00"]
      sat: "09:00-13:00"
    holidays: {}
    exceptions:
      - {name: Fit-out works, start: 2026-07-01, end: 2026-07-03, periods: ["07:00-22:00"]}
      - {name: Open day, date: 2026-10-03, periods: ["10:00-16:00"]}
  - id: lobby
    weekly: {daily: "00:00-24:00"}
  - id: night_purge
    weekly: {daily: ["22:00-24:00"], weekdays: ["00:00-05:00", "22:00-24:00"]}
  - id: plant
    weekly: {weekdays: "06:00-20:00", fri: "06:00-17:00"}
    holidays: {calendar: cn, holiday: ["08:00-12:00"], workday_as: fri}
"""
SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(text: str) -> datetime:
    """Local Shanghai time."""
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


@pytest.fixture
def book(tmp_path: Path) -> ScheduleBook:
    path = tmp_path / "schedules.yaml"
    path.write_text(SCHEDULES, encoding="utf-8")
    return ScheduleBook.load(path)


@pytest.mark.parametrize(
    ("when", "on"),
    [
        ("2026-03-03 07:59", False),  # a Tuesday
        ("2026-03-03 08:00", True),
        ("2026-03-03 12:30", False),  # lunch
        ("2026-03-03 18:59:59", True),
        ("2026-03-03 19:00", False),  # the end is not in the period
        ("2026-03-07 10:00", True),  # Saturday morning
        ("2026-03-07 14:00", False),
        ("2026-03-08 10:00", False),  # Sunday
    ],
)
def test_weekly_periods(book: ScheduleBook, when: str, on: bool) -> None:
    assert book.is_on("office", at(when)) is on


def test_a_holiday_is_off_and_says_which(book: ScheduleBook) -> None:
    assert not book.is_on("office", at("2026-02-17 10:00"))  # Spring Festival, a Tuesday
    view = book.view("office", at("2026-02-17 10:00"))
    assert view.plan.source is PlanSource.HOLIDAY
    assert view.plan.label == "Spring Festival"
    assert view.to_json()["why"] == "holiday"


def test_a_make_up_working_day_follows_the_weekday_it_stands_for(book: ScheduleBook) -> None:
    assert book.is_on("office", at("2026-02-14 14:00"))  # Saturday, works like a Monday
    assert not book.is_on("office", at("2026-03-14 14:00"))  # an ordinary Saturday
    plan = book.plan("office", date(2026, 2, 14))
    assert plan.source is PlanSource.MAKEUP_WORKDAY
    assert plan.label == "make-up working day (Spring Festival)"
    # The plant works make-up days like a Friday and runs a morning on holidays.
    assert [str(p) for p in book.plan("plant", date(2026, 2, 14)).periods] == ["06:00-17:00"]
    assert book.is_on("plant", at("2026-02-17 09:00"))
    assert not book.is_on("plant", at("2026-02-17 13:00"))


def test_an_exception_wins_over_the_week_and_over_holidays(book: ScheduleBook) -> None:
    assert book.is_on("office", at("2026-07-01 21:00"))  # fit-out, a Wednesday evening
    assert book.is_on("office", at("2026-07-03 07:30"))
    assert not book.is_on("office", at("2026-07-04 14:00"))  # a Saturday afternoon again
    assert book.is_on("office", at("2026-10-03 11:00"))  # National Day, but the open day
    view = book.view("office", at("2026-10-03 11:00"))
    assert (view.plan.source, view.plan.label) == (PlanSource.EXCEPTION, "Open day")
    assert not book.is_on("office", at("2026-10-02 11:00"))


def test_next_change_within_a_day_and_across_midnight(book: ScheduleBook) -> None:
    assert book.next_change("office", at("2026-03-03 10:00")) == at("2026-03-03 12:00")
    assert book.next_change("office", at("2026-03-03 12:00")) == at("2026-03-03 13:00")
    # Monday 22:00-24:00 and Tuesday 00:00-05:00 are one stretch.
    assert book.next_change("night_purge", at("2026-03-02 23:00")) == at("2026-03-03 05:00")
    # Friday night runs to midnight only: Saturday has the daily periods.
    assert book.next_change("night_purge", at("2026-03-06 23:00")) == at("2026-03-07 00:00")


def test_next_change_across_holidays(book: ScheduleBook) -> None:
    assert book.next_change("office", at("2026-02-13 20:00")) == at("2026-02-14 08:00")
    # After the make-up Saturday, nine days of Spring Festival.
    assert book.next_change("office", at("2026-02-14 19:00")) == at("2026-02-24 08:00")
    assert book.next_change("office", at("2026-09-30 19:00")) == at("2026-10-03 10:00")


def test_a_schedule_that_never_changes_has_no_next_change(book: ScheduleBook) -> None:
    assert book.is_on("lobby", at("2026-05-01 03:00"))
    assert book.next_change("lobby", at("2026-05-01 03:00")) is None
    assert book.view("lobby", at("2026-05-01 03:00")).next_change is None


def test_any_time_zone_of_the_instant_gives_the_same_answer(book: ScheduleBook) -> None:
    utc = datetime(2026, 3, 3, 0, 30, tzinfo=UTC)  # 08:30 in Shanghai
    new_york = utc.astimezone(ZoneInfo("America/New_York"))  # still the Monday there
    assert book.is_on("office", utc)
    assert book.is_on("office", new_york)
    assert book.next_change("office", utc) == datetime(2026, 3, 3, 4, 0, tzinfo=UTC)
    with pytest.raises(ValueError, match="no time zone"):
        book.is_on("office", datetime(2026, 3, 3, 8, 30))  # noqa: DTZ001


def test_periods_are_wall_clock_time_across_a_dst_change(tmp_path: Path) -> None:
    path = tmp_path / "schedules.yaml"
    path.write_text(
        "timezone: America/New_York\nschedules: [{id: shop, weekly: {daily: '08:00-17:00'}}]\n",
        encoding="utf-8",
    )
    book = ScheduleBook.load(path)
    # Opens at 13:00 UTC on Saturday (EST), at 12:00 UTC on Sunday (EDT from 2026-03-08).
    assert book.next_change("shop", datetime(2026, 3, 7, 3, tzinfo=UTC)) == datetime(
        2026, 3, 7, 13, tzinfo=UTC
    )
    assert book.next_change("shop", datetime(2026, 3, 7, 23, tzinfo=UTC)) == datetime(
        2026, 3, 8, 12, tzinfo=UTC
    )


def test_the_platform_time_zone_applies_when_the_file_gives_none(tmp_path: Path) -> None:
    path = tmp_path / "schedules.yaml"
    path.write_text("schedules: [{id: shop, weekly: {daily: '08:00-17:00'}}]\n", encoding="utf-8")
    assert ScheduleBook.load(path).zone == SHANGHAI
    berlin = ScheduleBook.load(path, timezone="Europe/Berlin")
    assert berlin.is_on("shop", datetime(2026, 6, 1, 6, 30, tzinfo=UTC))  # 08:30 in Berlin


def test_the_view_says_on_or_off_the_period_the_next_change_and_why(book: ScheduleBook) -> None:
    view = book.view("office", at("2026-03-03 14:00"))
    assert view.to_json() == {
        "schedule": "office",
        "description": "Office floors, occupied hours",
        "at": "2026-03-03T14:00:00+08:00",
        "on": True,
        "period": "13:00-19:00",
        "next_change": "2026-03-03T19:00:00+08:00",
        "why": "weekly",
        "label": "tue",
        "today": {
            "date": "2026-03-03",
            "periods": ["08:00-12:00", "13:00-19:00"],
            "source": "weekly",
            "label": "tue",
            "calendar_covered": True,
        },
    }
    off = book.view("office", at("2026-03-03 12:15"))
    assert (off.on, off.period) == (False, None)


def test_days_for_a_calendar_view(book: ScheduleBook) -> None:
    days = book.days("office", date(2026, 2, 13), 4)
    assert [(d.day.day, d.source.value, [str(p) for p in d.periods]) for d in days] == [
        (13, "weekly", ["08:00-12:00", "13:00-19:00"]),
        (14, "makeup_workday", ["08:00-12:00", "13:00-19:00"]),
        (15, "holiday", []),
        (16, "holiday", []),
    ]
    with pytest.raises(ValueError, match="days must be 1 to 366"):
        book.days("office", date(2026, 1, 1), 400)


def test_unknown_schedules_are_named_with_the_known_ones(book: ScheduleBook) -> None:
    with pytest.raises(UnknownSchedule) as caught:
        book.is_on("ofice", at("2026-03-03 10:00"))
    assert isinstance(caught.value, KeyError)
    assert isinstance(caught.value, PenworksError)
    assert str(caught.value) == (
        "unknown schedule 'ofice' (known: office, lobby, night_purge, plant)"
    )
    assert book.schedule_ids() == ["office", "lobby", "night_purge", "plant"]


def test_a_year_the_calendar_does_not_cover_is_flagged(book: ScheduleBook) -> None:
    assert book.is_on("office", at("2027-01-01 10:00"))  # weekday rule: a Friday
    assert book.plan("office", date(2027, 1, 1)).calendar_covered is False
    assert book.plan("lobby", date(2027, 1, 1)).calendar_covered is None  # follows no calendar
    assert book.calendars()["cn"].uncovered_lookups() == {2027: 1}
    assert book.warnings(date(2026, 6, 1)) == []
    [warning] = book.warnings(date(2026, 12, 1))
    assert "'cn' does not cover 2027" in warning


def test_a_calendar_file_of_ones_own_next_to_the_schedules(tmp_path: Path) -> None:
    (tmp_path / "campus.yaml").write_text(
        textwrap.dedent(
            """\
            name: campus
            years:
              2026:
                holidays: [{name: Founders Day, start: 2026-06-18}]
            """
        ),
        encoding="utf-8",
    )
    path = tmp_path / "schedules.yaml"
    path.write_text(
        "calendars: {campus: campus.yaml}\n"
        "schedules:\n"
        "  - {id: labs, weekly: {weekdays: '08:00-18:00'}, holidays: {calendar: campus}}\n",
        encoding="utf-8",
    )
    book = ScheduleBook.load(path)
    assert not book.is_on("labs", at("2026-06-18 10:00"))  # Founders Day
    assert book.is_on("labs", at("2026-06-19 10:00"))  # Dragon Boat Festival: not on campus
    assert set(book.calendars()) == {"campus", "cn"}
