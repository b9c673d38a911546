"""What control needs from the connector that owns a point (every connector has these)."""

from __future__ import annotations

from typing import Protocol

from penworks.core import Observation, Value


class WritePort(Protocol):
    """The write side of a connector, as the command path uses it."""

    async def write(self, point_id: str, value: Value, priority: int | None = None) -> None:
        """Write a value; CommandRejected if refused before sending, ConnectorError (with the
        device's reason) if the device refuses."""
        ...

    async def relinquish(self, point_id: str, priority: int | None = None) -> None:
        """Give up the written value (the device falls back to its own control)."""
        ...

    async def read(self, point_id: str) -> Observation | None:
        """The freshest value of the point (polled now where the protocol allows)."""
        ...
