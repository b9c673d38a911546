"""The connector contract: one narrow, typed interface per protocol (configure/read/write/scan).

A connector turns device data into Observations on the bus (``obs.<point>``), turns input it
cannot map into DeadLetters (``deadletter.<connector>``), and writes commands that control
hands it. It never crashes on bad input and reconnects on its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol

from penworks.core import Observation, Value, utc


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

    def to_json(self) -> dict[str, Any]:
        return {
            "connector": self.connector,
            "device": self.device,
            "state": self.state.value,
            "last_contact": None if self.last_contact is None else self.last_contact.isoformat(),
            "errors": self.errors,
            "latency_ms": self.latency_ms,
            "detail": self.detail,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> DeviceHealth:
        contact = data.get("last_contact")
        return cls(
            connector=str(data["connector"]),
            device=str(data["device"]),
            state=DeviceState(data["state"]),
            last_contact=None if contact is None else utc(datetime.fromisoformat(contact)),
            errors=int(data["errors"]),
            latency_ms=None if data.get("latency_ms") is None else float(data["latency_ms"]),
            detail=str(data.get("detail", "")),
        )


@dataclass(frozen=True, slots=True)
class DiscoveredPoint:
    """Something a scan found that could become a point of the model.

    `binding` is the point's binding as a site file would hold it (without `connector`,
    which is the connector kind), ready for a draft site; `device` groups points into
    equipment in that draft.
    """

    connector: str
    address: str  # topic + path, register, object id, node id
    name: str
    kind: str
    unit: str | None = None
    suggested_brick: str | None = None
    sample: Value | None = None
    extra: dict[str, str] = field(default_factory=dict)
    device: str = ""
    writable: bool = False
    description: str | None = None
    binding: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class DiscoveredDevice:
    """A device a scan found: how to reach it, and the points it offers."""

    name: str  # local id of the equipment in a draft site (lower snake case)
    label: str  # what the device calls itself
    brick: str  # suggested Brick class of the equipment
    points: list[DiscoveredPoint]
    health_device: str  # the device as the connector's health reports name it
    config: dict[str, Any] = field(default_factory=dict)  # its entry in the connector config


@dataclass(frozen=True, slots=True)
class Discovery:
    """What `penworks discover PROTOCOL` found: devices, and the connector config to reach them."""

    connector: str  # connector kind: modbus, bacnet, opcua, mqtt
    devices: list[DiscoveredDevice]
    connector_config: dict[str, Any] = field(default_factory=dict)

    @property
    def unsure_points(self) -> int:
        """How many points came without a suggested Brick class."""
        return sum(1 for d in self.devices for p in d.points if p.suggested_brick is None)


class Connector(Protocol):
    """What the runtime and control need from every protocol connector."""

    name: str

    async def run(self) -> None:
        """Connect, subscribe or poll, and publish observations until cancelled."""
        ...

    async def read(self, point_id: str) -> Observation | None:
        """The freshest value of a point (polled now where the protocol allows)."""
        ...

    async def write(self, point_id: str, value: Value, priority: int | None = None) -> None:
        """Write a value to the device; CommandRejected if refused before sending.

        `priority` (1-16) is used by protocols that arbitrate writes (BACnet); others ignore it.
        A device that refuses the write raises ConnectorError with the device's reason.
        """
        ...

    async def relinquish(self, point_id: str, priority: int | None = None) -> None:
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
