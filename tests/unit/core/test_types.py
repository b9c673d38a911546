from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from penworks.core import (
    Command,
    Observation,
    PayloadError,
    Point,
    PointKind,
    Quality,
    coerce_value,
    utc,
)


@pytest.mark.parametrize(
    ("kind", "raw", "expected"),
    [
        (PointKind.NUMBER, 21.5, 21.5),
        (PointKind.NUMBER, 3, 3),
        (PointKind.BOOL, True, True),
        (PointKind.BOOL, 0, False),
        (PointKind.BOOL, "ON", True),
        (PointKind.BOOL, "off", False),
        (PointKind.TEXT, "fault", "fault"),
    ],
)
def test_coerce_accepts_values_of_the_points_kind(
    kind: PointKind, raw: object, expected: object
) -> None:
    value = coerce_value(kind, raw)
    assert value == expected
    assert type(value) is type(expected)


@pytest.mark.parametrize(
    ("kind", "raw"),
    [
        (PointKind.NUMBER, True),
        (PointKind.NUMBER, "21"),
        (PointKind.NUMBER, float("nan")),
        (PointKind.NUMBER, float("inf")),
        (PointKind.NUMBER, None),
        (PointKind.BOOL, 2),
        (PointKind.BOOL, "maybe"),
        (PointKind.TEXT, 5),
    ],
)
def test_coerce_refuses_values_of_another_kind(kind: PointKind, raw: object) -> None:
    with pytest.raises(PayloadError, match="expected"):
        coerce_value(kind, raw)


def test_command_value_is_checked_against_limits() -> None:
    point = Point("b15.f3.r301.vav.zone_temp_sp", "Setpoint", writable=True, min=16, max=30)
    assert point.check_command_value(22) == 22
    with pytest.raises(PayloadError, match="below"):
        point.check_command_value(15.9)
    with pytest.raises(PayloadError, match="above"):
        point.check_command_value(30.5)
    with pytest.raises(PayloadError, match="number"):
        point.check_command_value("22")


def test_observation_json_round_trip_keeps_value_and_quality() -> None:
    ts = datetime(2026, 7, 1, 8, 30, tzinfo=UTC)
    obs = Observation("b15.f1.lobby.zone_air_temp", ts, 24.25, Quality.UNCERTAIN)
    assert Observation.from_json(obs.to_json()) == obs


def test_utc_converts_zones_and_refuses_naive_timestamps() -> None:
    shanghai = timezone(timedelta(hours=8))
    assert utc(datetime(2026, 7, 1, 16, tzinfo=shanghai)) == datetime(2026, 7, 1, 8, tzinfo=UTC)
    with pytest.raises(ValueError, match="timezone-aware"):
        utc(datetime(2026, 7, 1, 16))  # noqa: DTZ001


def test_command_priority_must_be_one_to_sixteen() -> None:
    assert Command("p", 1.0, priority=8).priority == 8
    with pytest.raises(ValueError, match="priority"):
        Command("p", 1.0, priority=17)
