"""The rule engine's clock work: a heap of due times, and when `every` and `at` fire next.

Timers are never cancelled in the heap: whoever set one remembers the due time it still
wants, and a popped timer that no longer matches is stale and ignored (cheaper than removing
entries from the middle of a heap, and thousands of rules restart durations all the time).
"""

from __future__ import annotations

import heapq
import itertools
from datetime import UTC, datetime, time, timedelta
from typing import Generic, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from penworks.core import ConfigError

T = TypeVar("T")
EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


class TimerHeap(Generic[T]):
    """Targets ordered by due time; equal times keep the order they were pushed in."""

    def __init__(self) -> None:
        self._heap: list[tuple[datetime, int, T]] = []
        self._order = itertools.count()

    def __len__(self) -> int:
        return len(self._heap)

    def push(self, due: datetime, target: T) -> bool:
        """Add a timer; True if it is now the earliest (a sleeping waiter should wake)."""
        order = next(self._order)
        heapq.heappush(self._heap, (due, order, target))
        return self._heap[0][1] == order

    def next_due(self) -> datetime | None:
        return self._heap[0][0] if self._heap else None

    def pop_due(self, now: datetime) -> list[tuple[datetime, T]]:
        """Every timer due at or before `now`, earliest first."""
        due: list[tuple[datetime, T]] = []
        while self._heap and self._heap[0][0] <= now:
            when, _, target = heapq.heappop(self._heap)
            due.append((when, target))
        return due

    def clear(self) -> None:
        self._heap.clear()


def next_every(now: datetime, period: timedelta) -> datetime:
    """The next multiple of `period` after `now` (counted from 2000-01-01 UTC), so that
    `every: 5m` fires at :00, :05, ... whenever the engine started."""
    steps = (now - EPOCH) // period + 1
    return EPOCH + steps * period


def parse_time_of_day(text: str) -> time:
    """'07:30' or '07:30:15' (checked by the rule schema) as a time."""
    hour, minute, *second = (int(p) for p in text.split(":"))
    return time(hour, minute, second[0] if second else 0)


def next_at(now: datetime, times: tuple[time, ...], zone: ZoneInfo) -> datetime:
    """The first of these local times of day after `now`, in UTC."""
    local = now.astimezone(zone)
    best: datetime | None = None
    for days in (0, 1, 2):  # a time skipped by a daylight-saving change falls on a later day
        day = local.date() + timedelta(days=days)
        for at in times:
            candidate = datetime.combine(day, at, tzinfo=zone).astimezone(UTC)
            if candidate > now and (best is None or candidate < best):
                best = candidate
        if best is not None:
            return best
    raise ValueError("no time of day given")  # pragma: no cover - the schema requires one


def next_trigger(
    every: timedelta | None, at: tuple[str, ...], now: datetime, zone: ZoneInfo
) -> datetime | None:
    """When a rule's `every` or `at` next fires, if it has either."""
    candidates = []
    if every is not None:
        candidates.append(next_every(now, every))
    if at:
        candidates.append(next_at(now, tuple(parse_time_of_day(t) for t in at), zone))
    return min(candidates) if candidates else None


def time_zone(name: str) -> ZoneInfo:
    """The IANA time zone, or ConfigError."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"unknown time zone {name!r}: use an IANA name such as Asia/Shanghai"
        ) from None
