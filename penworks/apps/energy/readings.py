"""Numbers out of point values: bools and text are not readings of a quantity."""

from __future__ import annotations

from collections.abc import Mapping

from penworks.apps.api import Value


def as_number(value: object) -> float | None:
    """The value as a float, or None when it is not a number (bools are not)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def number(values: Mapping[str, Value], point: str | None) -> float | None:
    """The latest value of a point as a number (None: no point, no value, not a number)."""
    return None if point is None else as_number(values.get(point))
