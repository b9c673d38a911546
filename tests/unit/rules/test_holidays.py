"""Holiday calendars: the shipped Chinese calendar, coverage, and files that are refused."""

from __future__ import annotations

import textwrap
from datetime import date, timedelta
from pathlib import Path

import pytest

from penworks.core import ConfigError
from penworks.rules.holidays import DayKind, HolidayCalendar


@pytest.fixture(scope="module")
def cn() -> HolidayCalendar:
    return HolidayCalendar.default()


def test_the_shipped_calendar_covers_2024_to_2026(cn: HolidayCalendar) -> None:
    assert cn.name == "cn"
    assert cn.years == [2024, 2025, 2026]
    assert cn.covers(2026)
    assert not cn.covers(2027)
    assert not cn.covers(2023)


def test_the_2026_spring_festival(cn: HolidayCalendar) -> None:
    for offset in range(9):  # February 15 to 23
        day = cn.day(date(2026, 2, 15) + timedelta(days=offset))
        assert day.kind is DayKind.HOLIDAY
        assert day.holiday is not None
        assert day.holiday.name == "Spring Festival"
        assert day.holiday.local_name == "春节"
        assert not day.working
    assert cn.day(date(2026, 2, 24)).kind is DayKind.WORKDAY
    saturday = cn.day(date(2026, 2, 14))
    assert saturday.kind is DayKind.MAKEUP_WORKDAY
    assert saturday.working
    assert saturday.holiday is not None
    assert saturday.holiday.name == "Spring Festival"
    assert cn.is_working_day(date(2026, 2, 28))
    assert not cn.is_working_day(date(2026, 3, 1))  # an ordinary Sunday


@pytest.mark.parametrize(
    ("day", "kind"),
    [
        ("2024-02-18", DayKind.MAKEUP_WORKDAY),  # a Sunday after the Spring Festival
        ("2024-05-11", DayKind.MAKEUP_WORKDAY),
        ("2024-06-10", DayKind.HOLIDAY),  # Dragon Boat Festival
        ("2024-06-08", DayKind.WEEKEND),  # the weekend before it, off anyway
        ("2025-01-28", DayKind.HOLIDAY),  # Spring Festival eve, a holiday from 2025
        ("2025-10-08", DayKind.HOLIDAY),  # National Day and Mid-Autumn, 8 days
        ("2025-10-11", DayKind.MAKEUP_WORKDAY),
        ("2026-01-04", DayKind.MAKEUP_WORKDAY),
        ("2026-05-05", DayKind.HOLIDAY),
        ("2026-05-09", DayKind.MAKEUP_WORKDAY),
        ("2026-09-20", DayKind.MAKEUP_WORKDAY),
        ("2026-10-07", DayKind.HOLIDAY),
        ("2026-10-08", DayKind.WORKDAY),
    ],
)
def test_days_of_the_covered_years(cn: HolidayCalendar, day: str, kind: DayKind) -> None:
    assert cn.day(date.fromisoformat(day)).kind is kind


def test_every_make_up_working_day_is_a_weekend_day(cn: HolidayCalendar) -> None:
    makeups = [
        date(year, 1, 1) + timedelta(days=n)
        for year in cn.years
        for n in range(366)
        if cn.day(date(year, 1, 1) + timedelta(days=n)).kind is DayKind.MAKEUP_WORKDAY
    ]
    assert len(makeups) == 8 + 5 + 6
    assert all(day.weekday() >= 5 for day in makeups)


def test_a_year_it_does_not_cover_follows_the_weekday_rule_and_is_counted() -> None:
    cn = HolidayCalendar.default()
    new_year = cn.day(date(2027, 1, 1))  # a Friday; surely a holiday, but not in the file
    assert new_year.kind is DayKind.WORKDAY
    assert not new_year.covered
    assert cn.day(date(2027, 1, 2)).kind is DayKind.WEEKEND
    assert cn.day(date(2026, 6, 1)).covered
    assert cn.uncovered_lookups() == {2027: 2}
    assert cn.warnings(date(2026, 11, 30)) == []
    [warning] = cn.warnings(date(2026, 12, 1))
    assert "does not cover 2027" in warning
    assert "holidays-cn.yaml" in warning
    assert len(cn.warnings(date(2027, 12, 1))) == 2


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "holidays.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


GOOD = """\
name: campus
years:
  2026:
    holidays:
      - {name: Founders Day, start: 2026-06-18}
      - {name: Summer Break, start: 2026-08-03, end: 2026-08-07}
    workdays:
      - {date: 2026-08-08, holiday: Summer Break}
"""


def test_a_calendar_file_of_ones_own(tmp_path: Path) -> None:
    campus = HolidayCalendar.load(write(tmp_path, GOOD))
    assert campus.name == "campus"
    assert campus.years == [2026]
    assert campus.day(date(2026, 6, 18)).kind is DayKind.HOLIDAY
    assert campus.day(date(2026, 8, 8)).kind is DayKind.MAKEUP_WORKDAY
    assert [h.name for h in campus.holidays(2026)] == ["Founders Day", "Summer Break"]


@pytest.mark.parametrize(
    ("change", "line", "reason"),
    [
        (("date: 2026-08-08", "date: 2026-08-10"), 8, "2026-08-10 is a Monday"),
        (("holiday: Summer Break}", "holiday: Winter Break}"), 4, "not a holiday of the year"),
        (("end: 2026-08-07", "end: 2026-08-01"), 6, "ends on 2026-08-01 before it starts"),
        (("start: 2026-06-18", "start: 2025-06-18"), 3, "is not in 2026"),
        (("start: 2026-06-18", "start: 2026-08-05"), 4, "is in both Founders Day and Summer Break"),
        (("start: 2026-06-18", "start: 18 June"), 5, "valid date"),
        (("date: 2026-08-08", "date: 2026-08-08, note: x"), 8, "Extra inputs"),
    ],
)
def test_mistakes_are_refused_with_their_line(
    tmp_path: Path, change: tuple[str, str], line: int, reason: str
) -> None:
    text = GOOD.replace(*change)
    assert text != GOOD
    with pytest.raises(ConfigError) as caught:
        HolidayCalendar.load(write(tmp_path, text))
    assert f"holidays.yaml:{line}:" in str(caught.value)
    assert reason in str(caught.value)
