"""Deadlines: many things that must each be done within one timeout, watched by one task.

A timer per thing (`asyncio.timeout`, `wait_for`) costs a timer handle in the loop's heap,
made and cancelled each time, which at thousands of publishes a second is a real share of
the work. All things here share one timeout, so they fall due in the order they were added:
adding one is a deque append, and one task sleeps until the oldest is due.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")

STEP_S = 0.01  # things are checked this often at most


class Deadlines(Generic[T]):
    """Calls `expire(thing)` for each thing not `done(thing)` within `timeout_s` of `add`.

    The watching task starts with the first `add` (on the running loop) and ends at `close`.
    """

    def __init__(
        self, timeout_s: float, done: Callable[[T], bool], expire: Callable[[T], None]
    ) -> None:
        if timeout_s <= 0:
            raise ValueError("timeout_s must be positive")
        self.timeout_s = timeout_s
        self._done = done
        self._expire = expire
        self._due: deque[tuple[float, T]] = deque()
        self._more = asyncio.Event()
        self._watch: asyncio.Task[None] | None = None

    def add(self, thing: T) -> None:
        loop = asyncio.get_running_loop()
        self._due.append((loop.time() + self.timeout_s, thing))
        if self._watch is None:
            self._watch = loop.create_task(self._run(), name="deadlines")
        if len(self._due) == 1:
            self._more.set()

    def __len__(self) -> int:
        """Things added and not yet seen done or expired."""
        return len(self._due)

    async def close(self) -> None:
        if self._watch is not None:
            self._watch.cancel()
            await asyncio.gather(self._watch, return_exceptions=True)
            self._watch = None

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        due = self._due
        while True:
            if not due:
                self._more.clear()
                await self._more.wait()
                continue
            late = due[0][0] - loop.time()
            if late > 0:
                await asyncio.sleep(max(late, STEP_S))
                continue
            _, thing = due.popleft()
            if not self._done(thing):
                self._expire(thing)
