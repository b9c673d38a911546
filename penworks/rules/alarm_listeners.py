"""Listeners of the alarm book: every listener gets every transition, none can block it.

Each listener has its own bounded queue; when a listener falls behind, its oldest
transition is dropped and counted, so a slow consumer shows in `dropped` instead of
holding up the book.
"""

from __future__ import annotations

import asyncio
from collections import deque

from penworks.core import PenworksError
from penworks.rules.alarm_types import AlarmTransition


class ListenerClosed(PenworksError):
    """The listener was closed and holds no more transitions."""


class AlarmListener:
    """A bounded queue of alarm transitions; iterate it, or `await get()`."""

    def __init__(self, fanout: Fanout, maxsize: int) -> None:
        if maxsize < 1:
            raise ValueError(f"a listener holds at least one transition, not {maxsize}")
        self.maxsize = maxsize
        self.delivered = 0
        self.dropped = 0
        self._fanout = fanout
        self._items: deque[AlarmTransition] = deque()
        self._ready = asyncio.Event()
        self._closed = False

    def put(self, transition: AlarmTransition) -> None:
        if self._closed:
            return
        if len(self._items) >= self.maxsize:
            self._items.popleft()
            self.dropped += 1
        self._items.append(transition)
        self.delivered += 1
        self._ready.set()

    async def get(self) -> AlarmTransition:
        """The oldest transition not yet taken; waits for one. ListenerClosed once closed
        and emptied."""
        while not self._items:
            if self._closed:
                raise ListenerClosed("the alarm listener is closed")
            self._ready.clear()
            await self._ready.wait()
        return self._items.popleft()

    def get_nowait(self) -> AlarmTransition | None:
        return self._items.popleft() if self._items else None

    def qsize(self) -> int:
        return len(self._items)

    @property
    def closed(self) -> bool:
        return self._closed

    def close(self) -> None:
        """Stop receiving; transitions already queued can still be taken."""
        self._closed = True
        self._fanout.remove(self)
        self._ready.set()

    def __aiter__(self) -> AlarmListener:
        return self

    async def __anext__(self) -> AlarmTransition:
        try:
            return await self.get()
        except ListenerClosed:
            raise StopAsyncIteration from None


class Fanout:
    """The open listeners of one alarm book."""

    def __init__(self) -> None:
        self._listeners: list[AlarmListener] = []

    def open(self, maxsize: int) -> AlarmListener:
        listener = AlarmListener(self, maxsize)
        self._listeners.append(listener)
        return listener

    def remove(self, listener: AlarmListener) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    def put(self, transition: AlarmTransition) -> None:
        for listener in self._listeners:
            listener.put(transition)

    def listeners(self) -> list[AlarmListener]:
        return list(self._listeners)
