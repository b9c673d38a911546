"""All time in Penworks comes from a Clock: real in production, simulated for the twin and tests."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """Where every room reads time from, and how it waits."""

    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Wait `seconds` of this clock's time."""
        ...

    @property
    def speed(self) -> float:
        """Clock seconds per wall-clock second."""
        ...


class RealClock:
    """Wall-clock time."""

    speed = 1.0

    def now(self) -> datetime:
        return datetime.now(UTC)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds))


class SimClock:
    """Simulated time that runs `speed` times faster than the wall clock from a chosen start.

    Time is derived from the monotonic clock, so it never jumps backwards and every reader
    sees the same simulated instant for the same wall instant.
    """

    def __init__(self, start: datetime, speed: float = 1.0) -> None:
        if start.tzinfo is None:
            raise ValueError("SimClock start must be timezone-aware")
        if not 0 < speed <= 10_000:
            raise ValueError(f"speed must be in (0, 10000], got {speed}")
        self._start = start.astimezone(UTC)
        self._speed = float(speed)
        self._t0 = time.monotonic()

    @property
    def speed(self) -> float:
        return self._speed

    def now(self) -> datetime:
        elapsed = (time.monotonic() - self._t0) * self._speed
        return self._start + timedelta(seconds=elapsed)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds) / self._speed)


async def sleep_or_wake(clock: Clock, seconds: float, wake: asyncio.Event) -> None:
    """Sleep `seconds` of clock time, or less if `wake` is set first (a timer brought
    forward). The event is left as it is: the caller clears it when it has looked."""
    sleeper = asyncio.ensure_future(clock.sleep(seconds))
    waker = asyncio.ensure_future(wake.wait())
    try:
        await asyncio.wait({sleeper, waker}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in (sleeper, waker):
            task.cancel()
        await asyncio.gather(sleeper, waker, return_exceptions=True)
