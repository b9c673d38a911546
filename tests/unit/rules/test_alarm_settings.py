"""Alarm settings as a person writes them in the platform config."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from pydantic import ValidationError

from penworks.core import ConfigError
from penworks.core.yamlfile import load_yaml_model
from penworks.rules.alarm_settings import AlarmSettings
from penworks.rules.alarm_types import AlarmPriority, parse_priority


def test_defaults_follow_isa_18_2() -> None:
    s = AlarmSettings()
    assert (s.max_shelve, s.flood_threshold, s.flood_window, s.flood_release_below) == (
        timedelta(hours=8),
        10,
        timedelta(minutes=10),
        5,
    )
    assert (s.chatter_transitions, s.chatter_window, s.chatter_release) == (
        3,
        timedelta(seconds=60),
        timedelta(minutes=5),
    )
    assert s.flood_suppresses_at_or_below is AlarmPriority.MEDIUM
    assert s.stale_after == timedelta(hours=24)


def test_durations_and_priorities_as_written(tmp_path: Path) -> None:
    path = tmp_path / "alarms.yaml"
    path.write_text(
        "max_shelve: 4h\nflood_window: PT15M\nchatter_window: 90\n"
        "flood_suppresses_at_or_below: high\nstale_after: 2d\n"
    )
    s = load_yaml_model(path, AlarmSettings)
    assert (s.max_shelve, s.flood_window, s.chatter_window, s.stale_after) == (
        timedelta(hours=4),
        timedelta(minutes=15),
        timedelta(seconds=90),
        timedelta(days=2),
    )
    assert s.flood_suppresses_at_or_below is AlarmPriority.HIGH
    assert AlarmSettings.model_validate(s.model_dump(mode="json")) == s


@pytest.mark.parametrize(
    ("data", "why"),
    [
        ({"max_shelf": "1h"}, "Extra inputs are not permitted"),
        ({"max_shelve": "forever"}, "is not a duration"),
        ({"chatter_release": 0}, "chatter_release must be longer than zero"),
        ({"flood_threshold": 4}, r"flood_release_below \(5\) must not exceed flood_threshold"),
        ({"flood_suppresses_at_or_below": "urgent"}, "use one of critical, high, medium, low"),
        ({"chatter_transitions": 1}, "greater than or equal to 2"),
    ],
)
def test_bad_settings_are_refused(data: dict[str, object], why: str) -> None:
    with pytest.raises(ValidationError, match=why):
        AlarmSettings.model_validate(data)


def test_a_bad_file_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "alarms.yaml"
    path.write_text("max_shelve: 8h\nflood_window: soon\n")
    with pytest.raises(ConfigError, match=r"alarms.yaml:2"):
        load_yaml_model(path, AlarmSettings)


def test_priority_names() -> None:
    assert parse_priority("CRITICAL") is AlarmPriority.CRITICAL
    assert parse_priority(4) is AlarmPriority.LOW
    for bad in (True, 0, 5, None):
        with pytest.raises(ValueError, match="is not an alarm priority"):
            parse_priority(bad)
