"""Device timestamps: ISO 8601 text with a zone, or epoch seconds or milliseconds."""

from __future__ import annotations

import math
from datetime import UTC, datetime

from penworks.core import PayloadError

EPOCH_MILLIS_FROM = 1e11
"""Epoch numbers at or above this are milliseconds: as seconds they would be past year 5000."""


def device_time(raw: object) -> datetime:
    """The UTC instant a device stamped, or PayloadError saying why it is not one.

    A timestamp without a zone is refused: guessing the device's zone would shift data silently.
    """
    if isinstance(raw, str):
        return _from_text(raw)
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        return _from_epoch(raw)
    raise PayloadError(f"timestamp is a {type(raw).__name__}, not ISO 8601 text or epoch number")


def _from_text(text: str) -> datetime:
    try:
        ts = datetime.fromisoformat(text)
    except ValueError:
        raise PayloadError("timestamp text is not ISO 8601") from None
    if ts.tzinfo is None or ts.utcoffset() is None:
        raise PayloadError("timestamp has no time zone")
    return ts.astimezone(UTC)


def _from_epoch(number: int | float) -> datetime:
    if isinstance(number, float) and not math.isfinite(number):
        raise PayloadError("timestamp is not a finite number")
    try:
        seconds = number / 1000 if abs(number) >= EPOCH_MILLIS_FROM else number
        return datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError):
        raise PayloadError("epoch timestamp is out of range") from None
