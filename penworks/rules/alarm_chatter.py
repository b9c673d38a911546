"""Chattering alarms: conditions that change too often to be worth annunciating each time.

An alarm chatters once its condition changes `transitions` times within `window` (ISA-18.2
counts 3 in a minute); it stops chattering after `release` without a change.
"""

from __future__ import annotations

from collections import deque
from datetime import datetime, timedelta


class ChatterWatch:
    """Recent condition changes per alarm, and which alarms chatter."""

    def __init__(self, transitions: int, window: timedelta, release: timedelta) -> None:
        self._transitions = transitions
        self._window = window
        self._release = release
        self._recent: dict[str, deque[datetime]] = {}
        self._chattering: dict[str, datetime] = {}  # alarm id -> its latest change
        self._forgot: datetime | None = None

    def changed(self, alarm_id: str, at: datetime) -> bool:
        """Count a condition change; whether the alarm starts chattering with it."""
        if alarm_id in self._chattering:
            self._chattering[alarm_id] = at
            return False
        times = self._recent.setdefault(alarm_id, deque(maxlen=self._transitions))
        times.append(at)
        while times and times[0] <= at - self._window:
            times.popleft()
        if len(times) < self._transitions:
            return False
        del self._recent[alarm_id]
        self._chattering[alarm_id] = at
        return True

    def chattering(self) -> list[str]:
        return sorted(self._chattering)

    def is_chattering(self, alarm_id: str) -> bool:
        return alarm_id in self._chattering

    def released(self, now: datetime) -> list[str]:
        """The alarms quiet for `release`; they no longer chatter."""
        quiet = [a for a, last in self._chattering.items() if last + self._release <= now]
        for alarm_id in quiet:
            del self._chattering[alarm_id]
        return sorted(quiet)

    def next_deadline(self) -> datetime | None:
        if not self._chattering:
            return None
        return min(self._chattering.values()) + self._release

    def forget(self, now: datetime) -> None:
        """Drop the counts of alarms that have not changed within the window (memory); at
        most once a window, as the book ticks often."""
        start = now - self._window
        if self._forgot is not None and self._forgot > start:
            return
        self._forgot = now
        stale = [a for a, times in self._recent.items() if not times or times[-1] <= start]
        for alarm_id in stale:
            del self._recent[alarm_id]

    def restore(self, recent: dict[str, list[datetime]], chattering: dict[str, datetime]) -> None:
        self._recent = {
            a: deque(sorted(times)[-self._transitions :], maxlen=self._transitions)
            for a, times in recent.items()
            if a not in chattering
        }
        self._chattering = dict(chattering)
