"""ModbusConnector: register maps as data, polled over Modbus TCP (pymodbus), onto the bus.

Built from (Point, ModbusBinding) pairs as ``SiteModel.bindings("modbus")`` returns them and
a ModbusConnectorConfig. Each configured device gets its own DevicePoller (its connection,
its lock, its read plan, its poll loop); run() runs them all side by side. Device health
goes through one DeviceHealthTracker, under each device's config name and with each
device's own offline_after.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Sequence

from penworks.bus import Bus
from penworks.connectors.base import DeviceHealth, DeviceState, DiscoveredPoint
from penworks.connectors.health import DeviceHealthTracker
from penworks.connectors.modbus.commands import prepare_write
from penworks.connectors.modbus.config import ModbusConnectorConfig
from penworks.connectors.modbus.counters import Counters
from penworks.connectors.modbus.discovery import DEFAULT_RANGES, describe_device
from penworks.connectors.modbus.observations import Output
from penworks.connectors.modbus.plan import Slot
from penworks.connectors.modbus.poller import DevicePoller
from penworks.core import (
    Clock,
    CommandRejected,
    ConfigError,
    ConnectorError,
    Observation,
    Point,
    UnknownPointError,
    Value,
)
from penworks.core.backoff import Backoff
from penworks.model.schema import ModbusBinding

log = logging.getLogger(__name__)

_LAST_ADDRESS = 65535


class ModbusConnector:
    """The Modbus TCP connector (a penworks.connectors.Connector)."""

    def __init__(
        self,
        config: ModbusConnectorConfig,
        points: Sequence[tuple[Point, ModbusBinding]],
        bus: Bus,
        clock: Clock,
    ) -> None:
        self.name = config.name
        self.config = config
        self._counters = Counters()
        self._output = Output(config.name, bus, clock, self._counters)
        self._slots = {point.id: Slot(point, binding) for point, binding in points}
        _check_bindings(config, self._slots.values())
        self._tracker = DeviceHealthTracker(config.name, bus, clock)
        for device in config.devices:
            self._tracker.add(device.name, offline_after=device.offline_after)
        self._pollers = {
            device.name: DevicePoller(
                device,
                [s for s in self._slots.values() if s.binding.device == device.name],
                output=self._output,
                tracker=self._tracker,
                counters=self._counters,
                clock=clock,
                backoff=Backoff(config.reconnect_initial_s, config.reconnect_max_s),
            )
            for device in config.devices
        }

    @property
    def pollers(self) -> dict[str, DevicePoller]:
        """The poller of each device, by device name."""
        return dict(self._pollers)

    async def run(self) -> None:
        """Poll every device, each in its own task, until cancelled."""
        async with asyncio.TaskGroup() as group:
            for poller in self._pollers.values():
                group.create_task(poller.run(), name=f"{self.name}.{poller.name}")

    async def read(self, point_id: str) -> Observation | None:
        """Read the point's block from the device now; its observation (None if never read)."""
        slot = self._slots.get(point_id)
        if slot is None:
            raise UnknownPointError(point_id)
        return await self._pollers[slot.binding.device].read(point_id)

    async def write(self, point_id: str, value: Value, priority: int | None = None) -> None:
        """Write, read back and publish; Modbus has no priorities, so `priority` is ignored.

        CommandRejected before anything is sent (not ours, read-only, wrong kind, outside
        the point's limits or the register type's range); ConnectorError if the device
        refuses or does not answer.
        """
        slot = self._slots.get(point_id)
        if slot is None:
            self._counters.commands_rejected += 1
            raise CommandRejected(f"{point_id}: not a point of connector {self.name}")
        try:
            write = prepare_write(slot, value)
        except CommandRejected:
            self._counters.commands_rejected += 1
            raise
        await self._pollers[slot.binding.device].write(slot, write)

    async def relinquish(self, point_id: str, priority: int | None = None) -> None:
        """Modbus has no priority array: nothing can be relinquished."""
        self._counters.commands_rejected += 1
        raise CommandRejected(
            f"{point_id}: Modbus has no priority array, so there is no written value to "
            "relinquish; write the value the device should take instead"
        )

    async def scan(self, seconds: float) -> list[DiscoveredPoint]:
        """What each configured device offers (SunSpec models, else a register probe).

        Devices are scanned side by side, each for at most `seconds`, through the same
        connection and lock as their polls; a device that fails or runs out of time adds
        nothing.
        """
        found = await asyncio.gather(*(self._scan(p, seconds) for p in self._pollers.values()))
        return [point for points in found for point in points]

    async def _scan(self, poller: DevicePoller, seconds: float) -> list[DiscoveredPoint]:
        try:
            async with asyncio.timeout(seconds):
                device = await describe_device(
                    poller.session, name=poller.name, ranges=DEFAULT_RANGES
                )
        except (ConnectorError, TimeoutError) as exc:
            log.warning("%s: scanning %s failed: %s", self.name, poller.name, exc)
            return []
        return device.points

    async def wait_state(self, state: DeviceState) -> None:
        await self._tracker.wait_state(state)

    def health(self) -> list[DeviceHealth]:
        return self._tracker.health()

    def stats(self) -> dict[str, int]:
        counts = self._counters.as_dict()
        sessions = [p.session for p in self._pollers.values()]
        counts["connects"] = sum(s.connects for s in sessions)
        counts["max_in_flight"] = max((s.peak_in_flight for s in sessions), default=0)
        counts["bad_registers"] = sum(len(p.bad_registers) for p in self._pollers.values())
        return counts


def _check_bindings(config: ModbusConnectorConfig, slots: Iterable[Slot]) -> None:
    known = [d.name for d in config.devices]
    for slot in slots:
        binding = slot.binding
        if binding.device not in known:
            raise ConfigError(
                f"point {slot.point.id}: its modbus binding names device {binding.device!r}, "
                f"which connector {config.name} does not configure "
                f"(known: {', '.join(known) or 'none'})"
            )
        if slot.end - 1 > _LAST_ADDRESS:
            raise ConfigError(
                f"point {slot.point.id}: {binding.type} at address {binding.address} "
                f"runs past the last Modbus address {_LAST_ADDRESS}"
            )
