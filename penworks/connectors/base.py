"""The connector contract: one narrow, typed interface per protocol (configure/read/write/scan).

A connector turns device data into Observations on the bus (``obs.<point>``), turns input it
cannot map into DeadLetters (``deadletter.<connector>``), and writes commands that control
hands it. It never crashes on bad input and reconnects on its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from penworks.core import Observation, Value


class DeviceState(StrEnum):
    ONLINE = "online"
    DEGRADED = "degraded"
    OFFLINE = "offline"


@dataclass(frozen=True, slots=True)
class DeviceHealth:
    """How one device (or broker connection) is doing, as a connector sees it."""

    connector: str
    device: str
    state: DeviceState
    last_contact: datetime | None
    errors: int
    latency_ms: float | None = None
    detail: str = ""


@dataclass(frozen=True, slots=True)
class DiscoveredPoint:
    """Something a scan found that could become a point of the model."""

    connector: str
    address: str  # topic + path, register, object id, node id
    name: str
    kind: str
    unit: str | None = None
    suggested_brick: str | None = None
    sample: Value | None = None
    extra: dict[str, str] = field(default_factory=dict)


class Connector(Protocol):
    """What the runtime and control need from every protocol connector."""

    name: str

    async def run(self) -> None:
        """Connect, subscribe or poll, and publish observations until cancelled."""
        ...

    async def read(self, point_id: str) -> Observation | None:
        """The freshest value of a point (polled now where the protocol allows)."""
        ...

    async def write(self, point_id: str, value: Value) -> None:
        """Write a value to the device; CommandRejected if refused before sending."""
        ...

    async def relinquish(self, point_id: str) -> None:
        """Give up a written value, where the protocol has such a notion."""
        ...

    async def scan(self, seconds: float) -> list[DiscoveredPoint]:
        """Discover what the devices offer."""
        ...

    async def wait_state(self, state: DeviceState) -> None:
        """Wait until the connector as a whole is in `state` (subscribed or polling: online)."""
        ...

    def health(self) -> list[DeviceHealth]: ...

    def stats(self) -> dict[str, int]:
        """Counters: received, observations, dead letters, ..."""
        ...
