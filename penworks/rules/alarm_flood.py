"""Alarm flood detection per area (EEMUA 191: more than 10 alarms in 10 minutes).

Every alarm raised in an area counts, the ones a flood holds back included (they were
raised, and leaving them out would end the flood while alarms still pour in). A flood
starts when the count within the sliding window exceeds the threshold and ends when it
drops below the release figure; the annunciations of alarms held back until then are not
counted again, or the end of a flood would start the next one.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta

KEEP_PAST = timedelta(days=1)  # floods over are kept for the KPIs of the last 24 hours


@dataclass(slots=True)
class Flood:
    area: str
    since: datetime
    held_total: int = 0  # annunciations held back since it began


@dataclass(frozen=True, slots=True)
class PastFlood:
    area: str
    since: datetime
    ended: datetime


class FloodWatch:
    """Sliding counts of raised alarms per area and the floods they make."""

    def __init__(self, threshold: int, window: timedelta, release_below: int) -> None:
        self._threshold = threshold
        self._window = window
        self._release_below = release_below
        self._raised: dict[str, deque[datetime]] = {}
        self._floods: dict[str, Flood] = {}
        self._past: deque[PastFlood] = deque()

    def raised(self, area: str, at: datetime) -> Flood | None:
        """Count an alarm raised in the area; the flood it starts, if it starts one."""
        times = self._raised.setdefault(area, deque())
        times.append(at)
        self._trim(times, at)
        if area not in self._floods and len(times) > self._threshold:
            self._floods[area] = Flood(area, at)
            return self._floods[area]
        return None

    def flood(self, area: str) -> Flood | None:
        return self._floods.get(area)

    def floods(self) -> list[Flood]:
        return sorted(self._floods.values(), key=lambda f: (f.since, f.area))

    def count(self, area: str, now: datetime) -> int:
        times = self._raised.get(area)
        if times is None:
            return 0
        self._trim(times, now)
        return len(times)

    def ended(self, now: datetime) -> list[Flood]:
        """The floods whose count dropped below the release figure; they are over now."""
        over = [f for f in self._floods.values() if self.count(f.area, now) < self._release_below]
        for flood in over:
            del self._floods[flood.area]
            self._past.append(PastFlood(flood.area, flood.since, now))
        while self._past and self._past[0].ended <= now - KEEP_PAST:
            self._past.popleft()
        return over

    def next_deadline(self) -> datetime | None:
        """When the earliest flood can end: when enough raised alarms leave the window."""
        deadlines = []
        for flood in self._floods.values():
            times = self._raised.get(flood.area, deque())
            expiring = len(times) - self._release_below  # index of the last one that must go
            deadlines.append(times[expiring] + self._window if expiring >= 0 else flood.since)
        return min(deadlines, default=None)

    def past(self, since: datetime) -> list[PastFlood]:
        """Floods over that ended at or after `since`."""
        return [f for f in self._past if f.ended >= since]

    def restore(
        self, raised: dict[str, list[datetime]], current: list[Flood], past: list[PastFlood]
    ) -> None:
        self._raised = {area: deque(sorted(times)) for area, times in raised.items()}
        self._floods = {f.area: f for f in current}
        self._past = deque(sorted(past, key=lambda f: f.ended))

    def _trim(self, times: deque[datetime], now: datetime) -> None:
        start = now - self._window
        while times and times[0] <= start:
            times.popleft()
