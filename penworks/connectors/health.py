"""Device health: how each device of a connector is doing, reported on the bus.

Every polling or session-based connector keeps a DeviceHealthTracker. A success makes the
device online; a failure counts an error, makes it degraded, and offline after the
device's `offline_after` failures in a row. Each report is published on ``health.<connector>`` as
DeviceHealth JSON, which the HealthConnector turns into the observations of points bound
with ``connector: health``, so device health has history and alarms like any other point.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import replace

from penworks.bus import Bus, Overflow, health_subject, observation_subject
from penworks.connectors.base import DeviceHealth, DeviceState, DiscoveredPoint
from penworks.core import (
    Clock,
    CommandRejected,
    Observation,
    Point,
    UnknownPointError,
    Value,
)
from penworks.model.schema import HealthBinding, HealthField

log = logging.getLogger(__name__)


class DeviceHealthTracker:
    """Per-device state, last contact, error count and latency, for one connector."""

    def __init__(
        self,
        connector: str,
        bus: Bus,
        clock: Clock,
        devices: Sequence[str] = (),
        *,
        offline_after: int = 3,
    ) -> None:
        if offline_after < 1:
            raise ValueError("offline_after must be at least 1")
        self.connector = connector
        self._bus = bus
        self._clock = clock
        self._subject = health_subject(connector)
        self._offline_after = offline_after
        self._health: dict[str, DeviceHealth] = {}
        self._failures_in_row: dict[str, int] = {}
        self._offline_after_of: dict[str, int] = {}
        self._changed = asyncio.Event()
        for device in devices:
            self.add(device)

    def add(
        self, device: str, detail: str = "not contacted yet", *, offline_after: int | None = None
    ) -> None:
        """Track a device (offline until first contact); a known device is left as it is.

        `offline_after` is the device's own count of failures in a row that make it offline
        (the tracker's when None).
        """
        if device not in self._health:
            threshold = self._offline_after if offline_after is None else offline_after
            if threshold < 1:
                raise ValueError("offline_after must be at least 1")
            self._health[device] = DeviceHealth(
                self.connector, device, DeviceState.OFFLINE, None, 0, None, detail
            )
            self._failures_in_row[device] = 0
            self._offline_after_of[device] = threshold

    async def success(self, device: str, latency_s: float | None = None, detail: str = "") -> None:
        """A request to the device was answered: it is online."""
        self._failures_in_row[device] = 0
        latency = None if latency_s is None else round(latency_s * 1000.0, 3)
        await self._report(
            device,
            state=DeviceState.ONLINE,
            last_contact=self._clock.now(),
            latency_ms=latency,
            detail=detail or "answering",
        )

    async def degraded(self, device: str, detail: str, latency_s: float | None = None) -> None:
        """The device answers, but not everything it should (some points refused)."""
        self._failures_in_row[device] = 0
        current = self._get(device)
        latency = current.latency_ms if latency_s is None else round(latency_s * 1000.0, 3)
        await self._report(
            device,
            state=DeviceState.DEGRADED,
            last_contact=self._clock.now(),
            latency_ms=latency,
            errors=current.errors + 1,
            detail=detail,
        )

    async def failure(self, device: str, detail: str) -> None:
        """A request failed (timeout, refused, connection lost): degraded, then offline."""
        current = self._get(device)
        count = self._failures_in_row[device] + 1
        self._failures_in_row[device] = count
        if count >= self._offline_after_of[device] or current.state is DeviceState.OFFLINE:
            state = DeviceState.OFFLINE
        else:
            state = DeviceState.DEGRADED
        await self._report(device, state=state, errors=current.errors + 1, detail=detail)

    async def offline(self, device: str, detail: str) -> None:
        """The device is known to be unreachable (connection closed, session lost)."""
        current = self._get(device)
        self._failures_in_row[device] = self._offline_after_of[device]
        await self._report(
            device, state=DeviceState.OFFLINE, errors=current.errors + 1, detail=detail
        )

    def _get(self, device: str) -> DeviceHealth:
        self.add(device)
        return self._health[device]

    async def _report(self, device: str, **changes: object) -> None:
        before = self._get(device)
        after = replace(before, **changes)  # type: ignore[arg-type]
        self._health[device] = after
        if after.state is not before.state:
            level = logging.INFO if after.state is DeviceState.ONLINE else logging.WARNING
            log.log(
                level, "%s: device %s %s (%s)", self.connector, device, after.state, after.detail
            )
            self._changed.set()
            self._changed = asyncio.Event()
        await self._bus.publish(self._subject, after.to_json())

    def health(self) -> list[DeviceHealth]:
        return list(self._health.values())

    def device(self, device: str) -> DeviceHealth:
        return self._get(device)

    def state(self) -> DeviceState:
        """The connector as a whole: online when every device is, offline when none is."""
        states = {h.state for h in self._health.values()}
        if not states or states == {DeviceState.ONLINE}:
            return DeviceState.ONLINE
        if states == {DeviceState.OFFLINE}:
            return DeviceState.OFFLINE
        return DeviceState.DEGRADED

    async def wait_state(self, state: DeviceState) -> None:
        """Wait until the connector as a whole is in `state`."""
        while self.state() is not state:
            await self._changed.wait()

    async def wait_device(self, device: str, state: DeviceState) -> None:
        """Wait until one device is in `state`."""
        while self._get(device).state is not state:
            await self._changed.wait()


def health_value(health: DeviceHealth, field: HealthField) -> Value | None:
    """The value a health point of `field` takes from one report (None: nothing to say)."""
    if field == "online":
        return health.state is not DeviceState.OFFLINE
    if field == "comm_loss":
        return health.state is DeviceState.OFFLINE
    if field == "state":
        return health.state.value
    if field == "errors":
        return health.errors
    return health.latency_ms


class HealthConnector:
    """Turns the health reports of every connector into observations of health points."""

    def __init__(
        self,
        points: Sequence[tuple[Point, HealthBinding]],
        bus: Bus,
        clock: Clock,
        *,
        name: str = "health",
    ) -> None:
        self.name = name
        self._bus = bus
        self._clock = clock
        self._points = {p.id: (p, b) for p, b in points}
        self._by_device: dict[tuple[str, str], list[tuple[Point, HealthBinding]]] = {}
        for point, binding in points:
            key = (binding.source, binding.device)
            self._by_device.setdefault(key, []).append((point, binding))
        self._latest: dict[str, Observation] = {}
        self._reports = 0
        self._observations = 0
        self._malformed = 0
        self._subscription = bus.subscribe(
            "health.>", name="health-points", maxsize=10_000, overflow=Overflow.DROP_OLDEST
        )

    async def run(self) -> None:
        async for _, message in self._subscription:
            if not isinstance(message, dict):
                self._malformed += 1
                continue
            try:
                report = DeviceHealth.from_json(message)
            except (KeyError, ValueError, TypeError) as exc:
                self._malformed += 1
                log.warning("%s: malformed health report %r: %s", self.name, message, exc)
                continue
            await self.ingest(report)

    async def ingest(self, report: DeviceHealth) -> None:
        self._reports += 1
        for point, binding in self._by_device.get((report.connector, report.device), ()):
            value = health_value(report, binding.field)
            if value is None:
                continue
            observation = Observation(point.id, self._clock.now(), value)
            self._latest[point.id] = observation
            self._observations += 1
            await self._bus.publish(observation_subject(point.id), observation)

    async def read(self, point_id: str) -> Observation | None:
        if point_id not in self._points:
            raise UnknownPointError(point_id)
        return self._latest.get(point_id)

    async def write(self, point_id: str, value: Value, priority: int | None = None) -> None:
        raise CommandRejected(f"{point_id}: device health points are read-only")

    async def relinquish(self, point_id: str, priority: int | None = None) -> None:
        raise CommandRejected(f"{point_id}: device health points are read-only")

    async def scan(self, seconds: float) -> list[DiscoveredPoint]:
        return []

    async def wait_state(self, state: DeviceState) -> None:
        if state is not DeviceState.ONLINE:
            await asyncio.Event().wait()  # always online: waits for ever on another state

    def health(self) -> list[DeviceHealth]:
        return []

    def stats(self) -> dict[str, int]:
        return {
            "reports": self._reports,
            "observations": self._observations,
            "malformed": self._malformed,
        }
