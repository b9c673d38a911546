"""Scenario files: entries at an instant or after the start, errors that name the entry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from penworks.core import ConfigError
from penworks.sim.building import Building
from penworks.sim.run import RunningTwin
from penworks.sim.scenario_file import read_file, schedule_file
from penworks.sim.scenarios import ScenarioKind
from tests.clocks import ManualClock

T0 = datetime(2026, 7, 15, 2, 0, tzinfo=UTC)


def test_a_file_schedules_its_scenarios(tmp_path: Path) -> None:
    path = tmp_path / "scenarios.yaml"
    path.write_text(
        "- {scenario: meeting_no_show, target: f3/m301, after: PT2H}\n"
        "- {scenario: meeting_no_show, target: f2/m201, at: '2026-07-15T15:00+08:00',"
        " duration_s: 600}\n"
    )
    building = Building(T0, [])
    first, second = schedule_file(path, building)
    assert (first.kind, first.target, first.start) == (
        ScenarioKind.MEETING_NO_SHOW,
        "f3/m301",
        T0 + timedelta(hours=2),
    )
    assert second.start == datetime(2026, 7, 15, 7, 0, tzinfo=UTC)
    assert second.end - second.start == timedelta(seconds=600)


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ("- {scenario: meteor, target: f3/r301, after: PT1H}", r":1: \[0\]\.scenario"),
        ("- {scenario: meeting_no_show, target: f3/m301}", "exactly one of at or after"),
        ("- {scenario: meeting_no_show, target: f3/m301, at: '2026-07-15T15:00'}", "time zone"),
        ("- {scenario: meeting_no_show, target: f9/x, after: PT1H}", r"\[0\]: .*cannot happen at"),
        (
            "- {scenario: meeting_no_show, target: f3/m301, after: soon}",
            r"\[0\]\.after: .*not a duration",
        ),
        ("- {scenario: meeting_no_show, target: f3/m301, after: P9999999999D}", "calendar holds"),
        ("- {scenario: meeting_no_show, target: f3/m301, after: P999999999D}", "past the calendar"),
        (
            "- {scenario: meeting_no_show, target: f3/m301, after: PT1H, duration_s: .inf}",
            r"\[0\]: duration must be a positive number",
        ),
    ],
)
def test_bad_entries_are_named(tmp_path: Path, entry: str, message: str) -> None:
    path = tmp_path / "scenarios.yaml"
    path.write_text(entry + "\n")
    with pytest.raises(ConfigError, match=message):
        schedule_file(path, Building(T0, []))


async def test_after_counts_from_when_the_building_s_time_starts(tmp_path: Path) -> None:
    path = tmp_path / "scenarios.yaml"
    path.write_text("- {scenario: meeting_no_show, target: f3/m301, after: PT5M}\n")
    building = Building(T0, [])
    entries = read_file(path, building)
    assert building.scenarios.scheduled() == []  # checked, not yet scheduled
    clock = ManualClock(T0)
    twin = RunningTwin(building, clock, "mqtt://127.0.0.1:1883", scenarios=entries)
    clock.advance(minutes=40)  # a slow start-up: the platform took its time to subscribe
    twin.request_stop()  # the building's time starts, and stops before its first step
    await twin.run()
    (injection,) = building.scenarios.scheduled()
    assert injection.start == T0 + timedelta(minutes=45)
