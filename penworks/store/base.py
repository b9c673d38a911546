"""The History protocol: where observations and dead letters are kept."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol

from penworks.core import DeadLetter, Observation


class Aggregate(StrEnum):
    """How a range query summarises each interval."""

    RAW = "raw"
    AVG = "avg"
    MIN = "min"
    MAX = "max"
    LAST = "last"


@dataclass(frozen=True, slots=True)
class DeadLetterCount:
    source: str
    channel: str
    reason: str
    count: int
    last_ts: datetime


class History(Protocol):
    """Time-series history of points, plus the dead letters of input that was refused.

    Writes are idempotent on (point, ts): replaying the same observations changes nothing.
    """

    async def open(self) -> None: ...

    async def close(self) -> None:
        """Flush and close; after close, nothing acknowledged is lost."""
        ...

    async def append(self, observations: Sequence[Observation]) -> int:
        """Store a batch; returns how many rows were new."""
        ...

    async def latest(self, points: Sequence[str] | None = None) -> dict[str, Observation]:
        """The last stored observation of each point (all points when None)."""
        ...

    async def range(
        self,
        point: str,
        start: datetime,
        end: datetime,
        agg: Aggregate = Aggregate.RAW,
        interval: timedelta | None = None,
        limit: int = 100_000,
    ) -> list[Observation]:
        """Observations with start <= ts < end, oldest first.

        With an aggregate other than RAW, one observation per interval (ts = interval start,
        aligned to the epoch) for intervals that hold data; numbers only for avg/min/max.
        """
        ...

    async def count(self, point: str | None = None) -> int: ...

    async def append_dead_letters(self, letters: Sequence[DeadLetter]) -> None: ...

    async def dead_letters(self, source: str | None = None, limit: int = 100) -> list[DeadLetter]:
        """The newest dead letters first."""
        ...

    async def dead_letter_counts(self) -> list[DeadLetterCount]:
        """Dead letters counted per source, channel and reason."""
        ...
