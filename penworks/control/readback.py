"""Read-back: a write is confirmed by an observation of the point with the written value."""

from __future__ import annotations

import asyncio
import math

from penworks.core import Observation, Quality, Value


def same_value(written: Value, seen: Value, tolerance: float, relative: float) -> bool:
    """Whether a value read back is the one written (numbers within the tolerances)."""
    if isinstance(written, bool) or isinstance(seen, bool):
        numeric = isinstance(seen, int | float) and isinstance(written, int | float)
        return numeric and bool(seen) == bool(written) and seen in (0, 1) and written in (0, 1)
    if isinstance(written, int | float) and isinstance(seen, int | float):
        return math.isclose(written, seen, rel_tol=relative, abs_tol=tolerance)
    return written == seen


class Waiter:
    """One write waiting for its read-back."""

    __slots__ = (
        "_done",
        "confirmed",
        "last_seen",
        "point",
        "relative",
        "replaced_by",
        "tolerance",
        "value",
    )

    def __init__(self, point: str, value: Value, tolerance: float, relative: float) -> None:
        self.point = point
        self.value = value
        self.tolerance = tolerance
        self.relative = relative
        self.confirmed: Observation | None = None
        self.last_seen: Observation | None = None
        self.replaced_by: str | None = None  # a later write with another value, by its id
        self._done = asyncio.Event()

    def offer(self, observation: Observation) -> bool:
        """Take an observation of the point; True if it confirms the write."""
        if observation.quality is Quality.BAD:
            return False
        self.last_seen = observation
        if same_value(self.value, observation.value, self.tolerance, self.relative):
            self.confirmed = observation
            self._done.set()
            return True
        return False

    def replace(self, command_id: str) -> None:
        self.replaced_by = command_id
        self._done.set()

    async def wait(self, timeout_s: float) -> None:
        """Until confirmed or replaced, or the wall-clock timeout passes."""
        if self._done.is_set() or timeout_s <= 0:
            return
        try:
            async with asyncio.timeout(timeout_s):
                await self._done.wait()
        except TimeoutError:
            return

    def missing(self) -> str:
        """What was seen instead, for the detail of a failed command."""
        if self.last_seen is None:
            return "no observation of the point arrived"
        seen = self.last_seen
        return f"last seen {seen.value!r} at {seen.ts.isoformat()} ({seen.quality.name.lower()})"


class Readbacks:
    """Writes waiting for read-back, found by point id on every observation."""

    def __init__(self) -> None:
        self._waiting: dict[str, list[Waiter]] = {}

    def expect(self, point: str, value: Value, tolerance: float, relative: float) -> Waiter:
        waiter = Waiter(point, value, tolerance, relative)
        self._waiting.setdefault(point, []).append(waiter)
        return waiter

    def observe(self, observation: Observation) -> None:
        waiters = self._waiting.get(observation.point)
        if waiters is None:
            return
        left = [w for w in waiters if not w.offer(observation)]
        if left:
            self._waiting[observation.point] = left
        else:
            del self._waiting[observation.point]

    def replace(self, point: str, value: Value | None, command_id: str) -> None:
        """A later write to the point: earlier waits for another value cannot succeed."""
        for waiter in self._waiting.get(point, []):
            if value is None or not same_value(
                waiter.value, value, waiter.tolerance, waiter.relative
            ):
                waiter.replace(command_id)

    def drop(self, waiter: Waiter) -> None:
        waiters = self._waiting.get(waiter.point)
        if waiters is not None and waiter in waiters:
            waiters.remove(waiter)
            if not waiters:
                del self._waiting[waiter.point]

    def pending(self) -> int:
        return sum(len(w) for w in self._waiting.values())
