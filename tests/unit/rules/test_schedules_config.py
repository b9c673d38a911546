"""The schedules file refuses mistakes with the file, the line and the reason."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import penworks.rules.schedules_config as schedules_config
from penworks.core import ConfigError
from penworks.rules.schedules import ScheduleBook
from penworks.rules.schedules_config import Period, parse_periods

GOOD = """\
timezone: Asia/Shanghai
schedules:
  - id: office
    weekly:
      weekdays: ["08:00-12:00", "13:00-19:00"]
      sat: "09:00-13:00"
    holidays: {calendar: cn, workday_as: mon}
    exceptions:
      - {name: Fit-out works, start: 2026-07-01, end: 2026-07-03, periods: ["07:00-22:00"]}
      - {name: Open day, date: 2026-10-03}
"""


def load(tmp_path: Path, text: str) -> ScheduleBook:
    path = tmp_path / "schedules.yaml"
    path.write_text(text, encoding="utf-8")
    return ScheduleBook.load(path)


def test_the_good_file_and_the_example_load(tmp_path: Path) -> None:
    assert load(tmp_path, GOOD).schedule_ids() == ["office"]
    (tmp_path / "holidays-campus.yaml").write_text(
        "name: campus\nyears: {2026: {holidays: [{name: Founders Day, start: 2026-06-18}]}}\n",
        encoding="utf-8",
    )
    example = re.search(r"```yaml\n(.*?)```", schedules_config.__doc__ or "", re.S)
    assert example is not None
    assert load(tmp_path, example.group(1)).schedule_ids() == ["office_hours"]


@pytest.mark.parametrize(
    ("change", "line", "reason"),
    [
        (('"13:00-19:00"', '"19:00-08:00"'), 5, "'19:00-08:00' ends before it starts"),
        (('"13:00-19:00"', '"11:00-13:00"'), 5, "periods 08:00-12:00 and 11:00-13:00 overlap"),
        (('"09:00-13:00"', '"9am-1pm"'), 6, "'9am-1pm' is not a period: write HH:MM-HH:MM"),
        (('"09:00-13:00"', '"09:00-25:00"'), 6, "not a time of day"),
        (('"09:00-13:00"', '"00:00-24:01"'), 6, "a day ends at 24:00"),
        (("calendar: cn", "calendar: campus"), 3, "unknown holiday calendar 'campus'"),
        (("workday_as: mon", "workday_as: monday"), 7, "Input should be 'mon'"),
        (("date: 2026-10-03}", "date: 2026-10-03, start: 2026-10-01}"), 10, "not both"),
        (("{name: Open day, date: 2026-10-03}", "{name: Open day}"), 10, "give a date"),
        (("date: 2026-10-03", "date: 2026-07-02"), 9, "share days"),
        (("end: 2026-07-03", "end: 2026-06-03"), 9, "ends on 2026-06-03 before it starts"),
        (("timezone: Asia/Shanghai", "timezone: Mars/Olympus"), 1, "unknown time zone"),
        (("    weekly:", "    weeky:"), 5, "weeky: Extra inputs are not permitted"),
        (("id: office", "id: Office"), 3, "should match pattern"),
    ],
)
def test_mistakes_are_refused_with_their_line(
    tmp_path: Path, change: tuple[str, str], line: int, reason: str
) -> None:
    text = GOOD.replace(*change)
    assert text != GOOD
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, text)
    assert f"schedules.yaml:{line}:" in str(caught.value)
    assert reason in str(caught.value)


def test_a_schedule_id_given_twice_is_refused(tmp_path: Path) -> None:
    text = GOOD + "  - {id: office, weekly: {daily: '00:00-24:00'}}\n"
    with pytest.raises(ConfigError, match="schedule ids given more than once: office"):
        load(tmp_path, text)


def test_a_missing_calendar_file_is_named(tmp_path: Path) -> None:
    text = "calendars: {campus: nowhere.yaml}\n" + GOOD.replace("timezone: Asia/Shanghai\n", "")
    with pytest.raises(ConfigError, match=r"nowhere\.yaml: cannot read"):
        load(tmp_path, text)


def test_touching_periods_are_joined_and_sorted() -> None:
    assert parse_periods(["13:00-18:00", "08:00-12:00", "12:00-13:00"]) == (
        Period(8 * 3600, 18 * 3600),
    )
    assert parse_periods("00:00-24:00") == (Period(0, 86_400),)
    assert str(parse_periods(["07:30:15-08:00"])[0]) == "07:30:15-08:00"
    assert parse_periods([]) == ()
