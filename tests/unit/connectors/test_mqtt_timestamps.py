from __future__ import annotations

from datetime import UTC, datetime

import pytest

from penworks.connectors.mqtt.timestamps import device_time
from penworks.core import PayloadError

INSTANT = datetime(2025, 3, 1, 12, 0, 30, 250000, tzinfo=UTC)


@pytest.mark.parametrize(
    "raw",
    [
        "2025-03-01T12:00:30.25Z",
        "2025-03-01T12:00:30.250+00:00",
        "2025-03-01T13:00:30.25+01:00",
        "2025-03-01T07:00:30.25-05:00",
        INSTANT.timestamp(),
        INSTANT.timestamp() * 1000,  # epoch milliseconds as a float
        int(INSTANT.timestamp() * 1000),  # epoch milliseconds as an int
    ],
)
def test_device_times_become_the_same_utc_instant(raw: object) -> None:
    ts = device_time(raw)
    assert ts == INSTANT
    assert ts.tzinfo is UTC


def test_epoch_seconds_as_int() -> None:
    assert device_time(1_740_830_400) == datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        ("2025-03-01T12:00:30", "no time zone"),
        ("2025-03-01", "no time zone"),
        ("yesterday", "not ISO 8601"),
        ("", "not ISO 8601"),
        (True, "bool"),
        (None, "NoneType"),
        ([1], "list"),
        (float("nan"), "not a finite number"),
        (float("inf"), "not a finite number"),
        (1e300, "out of range"),
        (10**400, "out of range"),
    ],
)
def test_bad_device_times_are_payload_errors(raw: object, why: str) -> None:
    with pytest.raises(PayloadError, match=why):
        device_time(raw)
