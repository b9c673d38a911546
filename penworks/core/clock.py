"""All time in Penworks comes from a Clock: real in production, simulated for the twin and tests."""

from __future__ import annotations

import asyncio
import heapq
import itertools
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


class SteppedClock:
    """Simulated time that moves only when its owner moves it (`advance_to`, `advance`).

    Nothing depends on the wall clock, so the same inputs give the same run however fast the
    machine is: the lockstep of the twin and the platform runs on one, and tests do. Moving
    time wakes every sleeper whose time has come, earliest first (ties in the order they
    went to sleep); all of them see the new time.
    """

    speed = 1.0  # no relation to wall time; 1.0 leaves "wall seconds" conversions as they are

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("SteppedClock start must be timezone-aware")
        self._now = start.astimezone(UTC)
        # (due, order, future): a heap, so a move pops only what is due.
        self._sleepers: list[tuple[datetime, int, asyncio.Future[None]]] = []
        self._order = itertools.count()
        self._abandoned = 0  # cancelled sleepers still in the heap

    def now(self) -> datetime:
        return self._now

    async def sleep(self, seconds: float) -> None:
        if seconds <= 0:
            await asyncio.sleep(0)
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        due = self._now + timedelta(seconds=seconds)
        heapq.heappush(self._sleepers, (due, next(self._order), future))
        try:
            await future
        finally:
            if future.cancelled():
                self._forget_one()

    def advance_to(self, when: datetime) -> datetime:
        """Move time to `when` (never back), waking every sleeper now due, in due order."""
        if when < self._now:
            raise ValueError(f"a SteppedClock does not go back: {when} is before {self._now}")
        self._now = when
        sleepers = self._sleepers
        while sleepers and sleepers[0][0] <= when:
            future = heapq.heappop(sleepers)[2]
            if not future.done():
                future.set_result(None)
            else:
                self._abandoned = max(0, self._abandoned - 1)
        return when

    def advance(self, seconds: float = 0.0) -> datetime:
        """Move time on by `seconds`, waking every sleeper now due."""
        return self.advance_to(self._now + timedelta(seconds=seconds))

    @property
    def sleepers(self) -> int:
        """How many are asleep now."""
        return sum(1 for _, _, future in self._sleepers if not future.done())

    def next_due(self) -> datetime | None:
        """When the earliest sleeper wakes (None: nobody sleeps)."""
        due = [when for when, _, future in self._sleepers if not future.done()]
        return min(due, default=None)

    def _forget_one(self) -> None:
        # Cancelled sleepers (timers brought forward) stay in the heap until due; when they
        # are most of it, drop them, so a long run's heap stays the size of who sleeps.
        self._abandoned += 1
        if self._abandoned > 64 and self._abandoned * 2 > len(self._sleepers):
            self._sleepers = [s for s in self._sleepers if not s[2].done()]
            heapq.heapify(self._sleepers)
            self._abandoned = 0


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
