"""A Clock for tests: time moves only when the test moves it, and sleepers wake when it
passes their time (penworks' SteppedClock, with the shorthands tests use)."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from penworks.core.clock import SteppedClock


class ManualClock(SteppedClock):
    """Clock time that a test moves with `advance` (or `await move(...)`)."""

    def __init__(self, at: datetime) -> None:
        super().__init__(at)
        self._now = at  # as the test gave it, zone included: some tests compare the text

    @property
    def at(self) -> datetime:
        return self.now()

    @at.setter
    def at(self, when: datetime) -> None:
        """Set the time without waking anyone (tests that replay what a journal holds)."""
        self._now = when

    def advance(self, seconds: float = 0, **delta: float) -> datetime:
        """Move time on (seconds, or timedelta keywords), waking every sleeper now due."""
        return self.advance_to(self.now() + timedelta(seconds=seconds, **delta))

    async def move(self, seconds: float = 0, **delta: float) -> datetime:
        """Advance, then let the woken sleepers run."""
        at = self.advance(seconds, **delta)
        await asyncio.sleep(0)
        return at

    def sleeping(self) -> int:
        return self.sleepers
