"""The bounded bus subscriptions an app reads: observations of its points, and events.

Both drop the oldest message when the app falls behind (a slow app must not hold up the
platform) and count what they dropped.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from types import TracebackType
from typing import Any

from penworks.bus import Subscription
from penworks.core import Observation


class _Stream:
    def __init__(self, subscription: Subscription) -> None:
        self._subscription = subscription

    @property
    def dropped(self) -> int:
        """Messages dropped because the app read too slowly."""
        return self._subscription.stats().dropped

    async def close(self) -> None:
        await self._subscription.close()

    async def __aenter__(self) -> _Stream:
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        await self.close()


class ObservationStream(_Stream):
    """Observations of the selected points, in arrival order."""

    def __init__(self, subscription: Subscription, points: frozenset[str]) -> None:
        super().__init__(subscription)
        self.points = points

    async def __aenter__(self) -> ObservationStream:
        return self

    async def __aiter__(self) -> AsyncIterator[Observation]:
        async for _subject, message in self._subscription:
            if isinstance(message, Observation) and message.point in self.points:
                yield message


class EventStream(_Stream):
    """Events (`event.<...>` messages) as (subject, data) pairs."""

    async def __aenter__(self) -> EventStream:
        return self

    async def __aiter__(self) -> AsyncIterator[tuple[str, dict[str, Any]]]:
        async for subject, message in self._subscription:
            if isinstance(message, dict):
                yield subject, message
