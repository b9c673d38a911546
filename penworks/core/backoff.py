"""Jittered exponential backoff between retries (wall time: it paces retries of a broker,
a device, a bus or a store, not building time)."""

from __future__ import annotations

import asyncio
import contextlib
import random


class Backoff:
    """Delays that double from `initial_s` up to `max_s`, each drawn from its upper half.

    The jitter keeps many clients that lost the same server from coming back in step.
    """

    def __init__(self, initial_s: float, max_s: float, rng: random.Random | None = None) -> None:
        if not 0 < initial_s <= max_s:
            raise ValueError(f"need 0 < initial_s <= max_s, got {initial_s} and {max_s}")
        self._initial = initial_s
        self._max = max_s
        self._rng = rng or random.Random()
        self._attempt = 0

    def next_delay(self) -> float:
        ceiling = min(self._max, self._initial * 2.0 ** min(self._attempt, 62))
        self._attempt += 1
        return self._rng.uniform(ceiling / 2, ceiling)

    def reset(self) -> None:
        self._attempt = 0


async def pause(seconds: float, interrupt: asyncio.Event) -> None:
    """Sleep `seconds`, or less if `interrupt` is set meanwhile."""
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(seconds):
            await interrupt.wait()
