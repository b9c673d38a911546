"""Rate limits: at most N writes to a point per window of clock time, per policy."""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from datetime import datetime, timedelta

from penworks.control.config import RateLimit


class RateLimiter:
    """Sliding windows of accepted writes, one per (policy, point)."""

    def __init__(self) -> None:
        self._windows: dict[tuple[str, str], deque[datetime]] = {}

    def refusal(
        self, point: str, limits: Sequence[tuple[str, RateLimit]], now: datetime
    ) -> str | None:
        """Why one more write to `point` now would break a limit, or None."""
        for policy, limit in limits:
            window = self._window(policy, point, limit.per, now)
            if len(window) >= limit.count:
                wait = (window[0] + limit.per - now).total_seconds()
                return (
                    f"at most {limit.count} writes per {_span(limit.per)} to {point} "
                    f"(policy {policy}); the next is allowed in {max(wait, 0.0):.0f} s"
                )
        return None

    def record(self, point: str, limits: Sequence[tuple[str, RateLimit]], now: datetime) -> None:
        """Count one accepted write against every limit of the point."""
        for policy, limit in limits:
            self._window(policy, point, limit.per, now).append(now)

    def _window(self, policy: str, point: str, per: timedelta, now: datetime) -> deque[datetime]:
        window = self._windows.setdefault((policy, point), deque())
        while window and window[0] <= now - per:
            window.popleft()
        return window


def _span(span: timedelta) -> str:
    seconds = span.total_seconds()
    for unit, size in (("h", 3600), ("min", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{seconds / size:g} {unit}"
    return f"{seconds:g} s"
