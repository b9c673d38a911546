"""OpcuaConnector: variable nodes of OPC UA servers in, Observations on the bus out.

One ServerLink per configured server holds its session (see link.py); this class checks
bindings against the config, routes reads and writes to the right link, refuses commands
that must not reach a server, and adds up health and counters.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from penworks.bus import Bus
from penworks.connectors.base import DeviceHealth, DeviceState, DiscoveredPoint
from penworks.connectors.health import DeviceHealthTracker
from penworks.connectors.opcua.browse import browse_variables
from penworks.connectors.opcua.config import OpcuaConnectorConfig
from penworks.connectors.opcua.discovery import discovered_devices
from penworks.connectors.opcua.link import ServerLink
from penworks.connectors.opcua.outbox import Outbox
from penworks.connectors.opcua.points import PointEntry, build_entries
from penworks.connectors.opcua.session import SESSION_ERRORS
from penworks.core import (
    Clock,
    CommandRejected,
    Observation,
    PayloadError,
    Point,
    UnknownPointError,
    Value,
)
from penworks.core.backoff import Backoff
from penworks.model.schema import OpcuaBinding

COUNTERS = (
    "data_changes",
    "reads",
    "polls",
    "observations",
    "dead_letters",
    "writes",
    "writes_refused",
    "commands_rejected",
    "errors",
    "sessions",
    "sessions_lost",
    "reconnects",
)


class OpcuaConnector:
    """The OPC UA connector (a penworks.connectors.Connector).

    ``points`` are the points bound to it with their bindings (``SiteModel.bindings("opcua")``);
    each binding names a server of ``config``. Points with ``subscribe: true`` are monitored
    items of their server's subscription; the others are read every ``poll_s``.
    """

    def __init__(
        self,
        config: OpcuaConnectorConfig,
        points: Sequence[tuple[Point, OpcuaBinding]],
        bus: Bus,
        clock: Clock,
    ) -> None:
        self.name = config.name
        self.config = config
        entries = build_entries(config, points)  # ConfigError for a server it does not know
        self._entries = {e.point.id: e for e in entries}
        self._outbox = Outbox(config.name, bus, clock.now)
        self._tracker = DeviceHealthTracker(config.name, bus, clock)
        self._links = {
            server.name: ServerLink(
                server,
                [e for e in entries if e.server == server.name],
                self._outbox,
                self._tracker,
                clock,
                Backoff(config.reconnect_initial_s, config.reconnect_max_s),
            )
            for server in config.servers
        }

    async def run(self) -> None:
        """Hold a session with every server until cancelled."""
        async with asyncio.TaskGroup() as tasks:
            for link in self._links.values():
                tasks.create_task(link.run(), name=f"opcua-{self.name}-{link.name}")

    async def read(self, point_id: str) -> Observation | None:
        """Read the point's node now (when its server is connected); the latest observation."""
        entry = self._entries.get(point_id)
        if entry is None:
            raise UnknownPointError(point_id)
        return await self._links[entry.server].read_now(entry)

    async def write(self, point_id: str, value: Value, priority: int | None = None) -> None:
        """Write the node's Value attribute with the node's own type.

        OPC UA has no priority array: `priority` is accepted and not sent. CommandRejected
        before sending (unknown or read-only point, wrong kind, outside limits, a value the
        node's type cannot hold); ConnectorError when the server refuses or cannot be reached.
        """
        entry = self._commandable(point_id)
        try:
            checked = entry.point.check_command_value(value)
        except PayloadError as exc:
            self._outbox.counts["commands_rejected"] += 1
            raise CommandRejected(f"{point_id}: {exc}") from None
        await self._links[entry.server].write(entry, checked)

    async def relinquish(self, point_id: str, priority: int | None = None) -> None:
        """OPC UA has no priority array, so there is nothing to relinquish: always refused."""
        self._commandable(point_id)
        self._outbox.counts["commands_rejected"] += 1
        raise CommandRejected(
            f"{point_id}: OPC UA has no priority array, so a written value cannot be "
            "relinquished; write the value the node should hold instead"
        )

    def _commandable(self, point_id: str) -> PointEntry:
        entry = self._entries.get(point_id)
        if entry is None:
            self._outbox.counts["commands_rejected"] += 1
            raise CommandRejected(f"{point_id}: not a point of connector {self.name}")
        if not entry.point.writable:
            self._outbox.counts["commands_rejected"] += 1
            raise CommandRejected(f"{point_id}: the point is not writable")
        return entry

    async def scan(self, seconds: float) -> list[DiscoveredPoint]:
        """Browse every connected server (at most `seconds` each) for the variables it offers."""
        found: list[DiscoveredPoint] = []
        for link in self._links.values():
            client = link.client
            if client is None:
                continue
            try:
                async with asyncio.timeout(seconds):
                    browse = await browse_variables(client)
            except SESSION_ERRORS:
                continue  # the link's own polls report the server's trouble
            entry = link.config.model_dump(mode="json", exclude_defaults=True)
            for device in discovered_devices(link.name, entry, browse.variables):
                found.extend(device.points)
        return found

    async def wait_state(self, state: DeviceState) -> None:
        """Wait until the connector as a whole (every server) is in `state`."""
        await self._tracker.wait_state(state)

    def health(self) -> list[DeviceHealth]:
        return self._tracker.health()

    def stats(self) -> dict[str, int]:
        counts = self._outbox.counts
        stats = {key: counts[key] for key in COUNTERS}
        stats["points"] = len(self._entries)
        stats["servers_connected"] = sum(1 for link in self._links.values() if link.connected)
        return stats
