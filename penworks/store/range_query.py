"""A checked range request, shared by every backend: same refusals, same messages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from penworks.core import StoreError
from penworks.store.base import Aggregate
from penworks.store.codec import KIND_NUMBER, to_micros, to_micros_span

KIND_NAMES: Final = {0: "number", 1: "bool", 2: "text"}
MAX_STEP: Final = 2**61  # µs; keeps the bucket arithmetic inside 64-bit integers


@dataclass(frozen=True, slots=True)
class RangeQuery:
    """A checked range request, in microseconds."""

    point: str
    start: int
    end: int
    agg: Aggregate
    step: int  # interval in µs; 0 for raw
    limit: int

    @classmethod
    def build(
        cls,
        point: str,
        start: datetime,
        end: datetime,
        agg: Aggregate,
        interval: timedelta | None,
        limit: int,
    ) -> RangeQuery:
        try:
            agg = Aggregate(agg)
        except ValueError:
            raise StoreError(f"unknown aggregate {agg!r}; use one of {list(Aggregate)}") from None
        if limit < 1:
            raise StoreError(f"limit must be at least 1, got {limit}")
        return cls(point, to_micros(start), to_micros(end), agg, _step(agg, interval), limit)

    @property
    def empty(self) -> bool:
        return self.start >= self.end

    def check_numeric(self, kind: int) -> None:
        """avg, min and max refuse an interval that holds a bool or a text."""
        if kind != KIND_NUMBER:
            raise StoreError(
                f"{self.agg.value} needs numbers, but point {self.point!r} holds"
                f" {KIND_NAMES.get(kind, 'unknown')} values; use 'last' or 'raw'"
            )


def _step(agg: Aggregate, interval: timedelta | None) -> int:
    if agg is Aggregate.RAW:
        return 0
    if interval is None:
        raise StoreError(f"aggregate {agg.value!r} needs an interval")
    step = to_micros_span(interval)
    if not 0 < step <= MAX_STEP:
        raise StoreError(
            f"interval must be between 1 µs and {timedelta(microseconds=MAX_STEP)}, got {interval}"
        )
    return step
