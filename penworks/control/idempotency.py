"""Idempotency keys: the same key from the same actor again gets the first outcome."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from penworks.control.types import CommandOutcome, CommandRequest

Key = tuple[str, str, str]  # actor kind, actor name, idempotency key


def key_of(request: CommandRequest) -> Key | None:
    if request.idempotency_key is None:
        return None
    return (str(request.actor.kind), request.actor.name, request.idempotency_key)


# The outcome of the first command with a key; None when it ended without one (cancelled,
# or an error), and whoever waited on it tries for the key again.
Earlier = asyncio.Future[CommandOutcome | None]


class IdempotencyMemory:
    """Outcomes by key for `memory` of clock time; a key still in flight is waited for."""

    def __init__(self, memory: timedelta) -> None:
        self._memory = memory
        self._entries: dict[Key, tuple[datetime, Earlier]] = {}

    def claim(self, request: CommandRequest, now: datetime) -> Earlier | None:
        """The earlier outcome (maybe still to come) for this key; None if the key is new,
        in which case it is taken and `settle` or `release` must follow."""
        key = key_of(request)
        if key is None:
            return None
        self._prune(now)
        found = self._entries.get(key)
        if found is not None:
            return found[1]
        self._entries[key] = (now, asyncio.get_running_loop().create_future())
        return None

    def settle(self, outcome: CommandOutcome) -> None:
        key = key_of(outcome.request)
        found = None if key is None else self._entries.get(key)
        if found is not None and not found[1].done():
            found[1].set_result(outcome)

    def release(self, request: CommandRequest) -> None:
        """The first attempt ended without an outcome: the key is free again."""
        key = key_of(request)
        found = None if key is None else self._entries.pop(key, None)
        if found is not None and not found[1].done():
            found[1].set_result(None)

    def remember(self, outcome: CommandOutcome) -> None:
        """An outcome from the journal (at start)."""
        key = key_of(outcome.request)
        if key is None:
            return
        future: Earlier = asyncio.get_running_loop().create_future()
        future.set_result(outcome)
        self._entries[key] = (outcome.ts, future)

    def __len__(self) -> int:
        return len(self._entries)

    def _prune(self, now: datetime) -> None:
        # Entries are added in time order, so the oldest are first.
        horizon = now - self._memory
        while self._entries:
            key = next(iter(self._entries))
            ts, future = self._entries[key]
            if ts >= horizon or not future.done():
                return
            del self._entries[key]
