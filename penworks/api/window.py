"""The time window and interval of a history query, with defaults and checks."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from penworks.api.problems import ProblemError
from penworks.core import utc
from penworks.store import Aggregate

DEFAULT_SPAN = timedelta(hours=1)
AUTO_INTERVALS = 360  # intervals per window when an aggregate comes without one
MAX_INTERVALS = 100_000


@dataclass(frozen=True, slots=True)
class Window:
    start: datetime
    end: datetime
    interval: timedelta | None  # None for raw values


def resolve_window(
    now: datetime,
    start: datetime | None,
    end: datetime | None,
    agg: Aggregate,
    interval: timedelta | None,
) -> Window:
    """Fill in defaults (the last hour ending now) and refuse windows that make no sense."""
    end = utc(end) if end is not None else utc(now)
    start = utc(start) if start is not None else end - DEFAULT_SPAN
    if start >= end:
        raise _bad(f"start {start.isoformat()} must be before end {end.isoformat()}")
    if agg is Aggregate.RAW:
        return Window(start, end, None)
    return Window(start, end, _checked_interval(end - start, interval))


def _checked_interval(span: timedelta, interval: timedelta | None) -> timedelta:
    if interval is None:
        return timedelta(seconds=max(1, math.ceil(span.total_seconds() / AUTO_INTERVALS)))
    if interval <= timedelta(0):
        raise _bad(f"interval must be positive, got {interval.total_seconds()} s")
    if span / interval > MAX_INTERVALS:
        raise _bad(
            f"{interval.total_seconds()} s intervals over {span.total_seconds()} s make more "
            f"than {MAX_INTERVALS} intervals; use a longer interval or a shorter window"
        )
    return interval


def _bad(detail: str) -> ProblemError:
    return ProblemError(400, "Invalid history window", detail, kind="history-window")
