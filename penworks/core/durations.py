"""Durations as people write them in config files: 90, "30s", "10m", "1h30m", "2d", "PT10M"."""

from __future__ import annotations

import re
from datetime import timedelta

_SHORT = re.compile(
    r"^(?:(?P<d>\d+(?:\.\d+)?)d)?(?:(?P<h>\d+(?:\.\d+)?)h)?"
    r"(?:(?P<m>\d+(?:\.\d+)?)m)?(?:(?P<s>\d+(?:\.\d+)?)s)?$"
)
_ISO = re.compile(
    r"^P(?:(?P<d>\d+)D)?(?:T(?:(?P<h>\d+)H)?(?:(?P<m>\d+)M)?(?:(?P<s>\d+(?:\.\d+)?)S)?)?$"
)
_UNITS = {"d": 86400.0, "h": 3600.0, "m": 60.0, "s": 1.0}


def parse_duration(value: object) -> timedelta:
    """A duration from seconds (a number), a short form ("10m", "1h30m") or ISO 8601
    ("PT10M"); ValueError naming the accepted forms otherwise."""
    if isinstance(value, timedelta):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        seconds = float(value)
    elif isinstance(value, str):
        seconds = _seconds(value.strip())
    else:
        raise ValueError(f"{value!r} is not a duration")
    if seconds < 0:
        raise ValueError(f"{value!r}: a duration cannot be negative")
    try:
        return timedelta(seconds=seconds)
    except OverflowError:
        raise ValueError(f"{value!r} is longer than a calendar holds") from None


def _seconds(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        pass
    found = (_ISO if text.startswith("P") else _SHORT).match(text)
    if found is None or not any(found.groupdict().values()):
        raise ValueError(
            f"{text!r} is not a duration: give seconds (90), a short form (30s, 10m, 1h30m, 2d) "
            "or ISO 8601 (PT10M)"
        )
    return sum(float(v) * _UNITS[k] for k, v in found.groupdict().items() if v is not None)
