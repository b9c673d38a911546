"""A Clock for tests: time moves only when the test moves it, and sleepers wake when it
passes their time."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta


class ManualClock:
    """Clock time that a test moves with `advance` (or `await move(...)`)."""

    speed = 1.0

    def __init__(self, at: datetime) -> None:
        self.at = at
        self._sleepers: list[tuple[datetime, asyncio.Future[None]]] = []

    def now(self) -> datetime:
        return self.at

    async def sleep(self, seconds: float) -> None:
        if seconds <= 0:
            await asyncio.sleep(0)
            return
        entry = (self.at + timedelta(seconds=seconds), asyncio.get_running_loop().create_future())
        self._sleepers.append(entry)
        try:
            await entry[1]
        finally:
            self._sleepers.remove(entry)

    def advance(self, seconds: float = 0, **delta: float) -> datetime:
        """Move time on (seconds, or timedelta keywords), waking every sleeper now due."""
        self.at += timedelta(seconds=seconds, **delta)
        for until, future in self._sleepers:
            if until <= self.at and not future.done():
                future.set_result(None)
        return self.at

    async def move(self, seconds: float = 0, **delta: float) -> datetime:
        """Advance, then let the woken sleepers run."""
        at = self.advance(seconds, **delta)
        await asyncio.sleep(0)
        return at

    @property
    def sleepers(self) -> int:
        """How many are asleep now."""
        return sum(1 for _, future in self._sleepers if not future.done())

    def sleeping(self) -> int:
        return self.sleepers
