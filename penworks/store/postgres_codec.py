"""How observations become PostgreSQL rows and back.

The checks are the shared ones of penworks.store.codec. PostgreSQL columns have one type
each, so a value goes to one of three columns: value_f (float), value_i (int, and bools as
0/1) or value_t (text), next to the same kind code as in SQLite. Timestamps are timestamptz.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Final

from penworks.core import Observation
from penworks.store.codec import (
    KIND_TEXT,
    Stored,
    decode_quality,
    decode_value,
    encode_observations,
)

VALUE_COLUMNS: Final = ("value_f", "value_i", "value_t", "kind", "quality")
"""A value and its quality: what samples, latest and the ends of a rollup keep."""
SAMPLE_COLUMNS: Final = ("point_id", "ts", *VALUE_COLUMNS)


def columns(prefix: str = "") -> str:
    """VALUE_COLUMNS for SQL, each with a prefix ("l." or "last_")."""
    return ", ".join(prefix + column for column in VALUE_COLUMNS)


ValueColumns = tuple[float | None, int | None, str | None]
NamedSample = tuple[str, int, datetime, ValueColumns, int, int]
"""point name, ts (µs, for grouping), ts, value columns, kind, quality."""
StageRow = tuple[int, datetime, float | None, int | None, str | None, int, int]
"""The columns of SAMPLE_COLUMNS, ready to COPY."""


def value_columns(stored: Stored, kind: int) -> ValueColumns:
    if kind == KIND_TEXT:
        return None, None, str(stored)
    if type(stored) is float:
        return stored, None, None
    return None, int(stored), None


def encode_samples(observations: Sequence[Observation]) -> list[NamedSample]:
    """The batch checked as every backend checks it, the first of equal (point, ts) kept.

    The store keeps the first of equal (point, ts) too; dropping the others here keeps
    each one statement from meeting the same key twice.
    """
    rows = encode_observations(observations)  # raises InvalidObservation, with its index
    unique: dict[tuple[str, int], NamedSample] = {}
    for (point, micros, stored, kind, quality), obs in zip(rows, observations, strict=True):
        key = (point, micros)
        if key not in unique:
            unique[key] = (point, micros, obs.ts, value_columns(stored, kind), kind, quality)
    return list(unique.values())


def decode_columns(
    point: str,
    ts: datetime,
    value_f: float | None,
    value_i: int | None,
    value_t: str | None,
    kind: int,
    quality: int,
) -> Observation:
    raw = value_f if value_f is not None else value_i if value_i is not None else value_t
    return Observation(point, ts, decode_value(raw, kind), decode_quality(quality))
