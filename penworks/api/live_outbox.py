"""What a live socket has yet to send, bounded: a slow client loses its oldest items, counted.

Observations are gathered into one `{"type": "observations", "items": [...]}` message per
flush, so a busy building costs a browser a few messages a second, not thousands; alarms and
events follow it one message each, in the order they came.
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Any


class Outbox:
    def __init__(self, limit: int) -> None:
        if limit < 1:
            raise ValueError("an outbox holds at least one item")
        self._observations: deque[dict[str, Any]] = deque()
        self._others: deque[dict[str, Any]] = deque()
        self._limit = limit
        self.dropped = 0
        self.ready = asyncio.Event()  # set while anything waits to be sent

    def observation(self, item: dict[str, Any]) -> None:
        self._put(self._observations, item)

    def message(self, message: dict[str, Any]) -> None:
        self._put(self._others, message)

    def _put(self, queue: deque[dict[str, Any]], item: dict[str, Any]) -> None:
        if len(queue) >= self._limit:
            queue.popleft()
            self.dropped += 1
        queue.append(item)
        self.ready.set()

    def take(self) -> list[dict[str, Any]]:
        """Everything waiting, as the messages to send, oldest first; empties the outbox."""
        messages: list[dict[str, Any]] = []
        if self._observations:
            messages.append({"type": "observations", "items": list(self._observations)})
            self._observations.clear()
        messages.extend(self._others)
        self._others.clear()
        self.ready.clear()
        return messages

    def __len__(self) -> int:
        return len(self._observations) + len(self._others)
