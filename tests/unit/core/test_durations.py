"""Durations as people write them in config files."""

from __future__ import annotations

from datetime import timedelta

import pytest

from penworks.core.durations import parse_duration


@pytest.mark.parametrize(
    ("given", "seconds"),
    [
        (90, 90),
        (2.5, 2.5),
        ("45", 45),
        ("30s", 30),
        ("10m", 600),
        ("1h30m", 5400),
        ("2d", 172_800),
        ("1.5h", 5400),
        ("PT10M", 600),
        ("P1DT2H", 93_600),
        ("PT0.5S", 0.5),
        (timedelta(minutes=3), 180),
    ],
)
def test_accepted_forms(given: object, seconds: float) -> None:
    assert parse_duration(given) == timedelta(seconds=seconds)


@pytest.mark.parametrize("given", ["", "10 minutes", "m", "P", "PT", "-5", -1, True, None, "1x"])
def test_other_forms_are_refused_with_the_accepted_ones_named(given: object) -> None:
    with pytest.raises(ValueError, match="duration"):
        parse_duration(given)
