"""BacnetConnector: BACnet/IP devices' objects in as observations; commands out at a priority.

bacpypes3 speaks the protocol; this connector decides what to ask and when: one local BACnet
device (its own instance and address) for the connector, one DeviceSession per configured
device (found by address or Who-Is, polled with ReadPropertyMultiple, followed by COV, written
with WriteProperty), and one DeviceHealthTracker for them all, naming devices by instance.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Sequence

from penworks.bus import Bus
from penworks.connectors.bacnet.config import BacnetConnectorConfig
from penworks.connectors.bacnet.device import DeviceSession
from penworks.connectors.bacnet.discovery import describe_device
from penworks.connectors.bacnet.errors import BacnetBindError, BacnetFailure
from penworks.connectors.bacnet.objects import Command
from penworks.connectors.bacnet.points import PRESENT_VALUE, BoundPoint, bind_points
from penworks.connectors.bacnet.publish import Publisher
from penworks.connectors.bacnet.stack import BacnetStack
from penworks.connectors.bacnet.values import encode_command, relinquish_value
from penworks.connectors.base import DeviceHealth, DeviceState, DiscoveredPoint
from penworks.connectors.health import DeviceHealthTracker
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
from penworks.model.schema import BacnetBinding

log = logging.getLogger(__name__)

MINIMUM_ON_OFF = 6  # priority reserved for minimum on/off times (BACnet clause 19.2.3)
STATS = (
    "observations",
    "dead_letters",
    "errors",
    "timeouts",
    "writes",
    "relinquishes",
    "write_errors",
    "cov_subscribed",
    "cov_renewed",
    "cov_lost",
    "cov_refused",
    "cov_notifications",
)
REQUESTS = ("read_property", "read_property_multiple", "write_property", "subscribe_cov", "who_is")


class BacnetConnector:
    """The BACnet/IP connector (a penworks.connectors.Connector)."""

    def __init__(
        self,
        config: BacnetConnectorConfig,
        points: Sequence[tuple[Point, BacnetBinding]],
        bus: Bus,
        clock: Clock,
    ) -> None:
        self.name = config.name
        self.config = config
        self._points = bind_points(points, [d.instance for d in config.devices], config.name)
        self._counts: Counter[str] = Counter()
        self._requests: Counter[str] = Counter()
        self._tracker = DeviceHealthTracker(config.name, bus, clock)
        for device in config.devices:
            self._tracker.add(str(device.instance), offline_after=device.offline_after)
        self._publisher = Publisher(config.name, bus, clock, self._counts)
        self._sessions = {
            d.instance: DeviceSession(
                d,
                [bp for bp in self._points.values() if bp.device == d.instance],
                publisher=self._publisher,
                tracker=self._tracker,
                counts=self._counts,
                check_identity=config.discover_on_start,
            )
            for d in config.devices
        }

    # -- running ---------------------------------------------------------------------------

    async def run(self) -> None:
        """Bind the local device, then serve every configured device until cancelled."""
        backoff = Backoff(1.0, 30.0)
        while True:
            try:
                stack = await self._open()
            except BacnetBindError as exc:
                log.warning("%s: %s", self.name, exc)
                for session in self._sessions.values():
                    await self._tracker.offline(session.name, str(exc))
                await asyncio.sleep(backoff.next_delay())
                continue
            try:
                await self._serve(stack)
            finally:
                stack.close()

    async def _open(self) -> BacnetStack:
        timeouts = [d.timeout_s for d in self.config.devices] or [3.0]
        stack = await BacnetStack.open(
            self.config.local_address,
            self.config.instance,
            name=f"penworks-{self.name}",
            apdu_timeout_s=max(timeouts),
            requests=self._requests,  # counted across reopenings
        )
        log.info("%s: bound %s as device %d", self.name, stack.local, self.config.instance)
        return stack

    async def _serve(self, stack: BacnetStack) -> None:
        if not self._sessions:
            await asyncio.Event().wait()  # nothing to reach: idle until cancelled
        async with asyncio.TaskGroup() as tasks:
            for session in self._sessions.values():
                tasks.create_task(session.run(stack), name=f"bacnet-device-{session.name}")

    # -- reading ---------------------------------------------------------------------------

    async def read(self, point_id: str) -> Observation | None:
        """Read the point's object from its device now; its freshest observation."""
        bp = self._points.get(point_id)
        if bp is None:
            raise UnknownPointError(point_id)
        return await self._sessions[bp.device].read_now(bp)

    async def scan(self, seconds: float) -> list[DiscoveredPoint]:
        """The objects of the configured devices that have been found, as discovered points."""
        found: list[DiscoveredPoint] = []
        taken: set[str] = set()
        try:
            async with asyncio.timeout(seconds):
                for session in self._sessions.values():
                    if session.link is not None:
                        device = await describe_device(session.link, session.config.instance, taken)
                        found += device.points
        except (TimeoutError, BacnetFailure) as exc:
            log.info("%s: scan stopped: %s", self.name, exc or "out of time")
        return found

    # -- writing ---------------------------------------------------------------------------

    async def write(self, point_id: str, value: Value, priority: int | None = None) -> None:
        """WriteProperty of present-value at `priority` (None: the binding's write_priority).

        Refused (CommandRejected) before anything is sent: a point of another connector, not
        writable, bound to another property, an input object, a value of the wrong kind or
        outside the point's limits, a priority outside 1..16 or the reserved 6, and an object
        with no priority-array. A device that refuses raises ConnectorError with its reason.
        """
        bp = self._commandable(point_id)
        at = self._priority(bp, priority)
        try:
            encoded = encode_command(bp.obj, bp.point.check_command_value(value))
        except PayloadError as exc:
            raise CommandRejected(f"{point_id}: {exc}") from None
        await self._sessions[bp.device].write(bp, encoded, at)
        self._counts["writes"] += 1

    async def relinquish(self, point_id: str, priority: int | None = None) -> None:
        """Write null at `priority`: the object falls back to lower priorities, or its default."""
        bp = self._commandable(point_id)
        at = self._priority(bp, priority)
        await self._sessions[bp.device].write(bp, relinquish_value(), at)
        self._counts["relinquishes"] += 1

    def _commandable(self, point_id: str) -> BoundPoint:
        bp = self._points.get(point_id)
        if bp is None:
            raise CommandRejected(f"{point_id}: not a point of connector {self.name}")
        if not bp.point.writable:
            raise CommandRejected(f"{point_id}: the point is not writable")
        if bp.prop != PRESENT_VALUE:
            raise CommandRejected(
                f"{point_id}: commands write present-value; this point reads {bp.prop}"
            )
        info = bp.obj.info
        if info is None:
            raise CommandRejected(f"{point_id}: {bp.obj.type} objects take no commands")
        if info.command is Command.READ_ONLY:
            raise CommandRejected(
                f"{point_id}: {bp.obj} is an input: its present-value is what the device "
                "measures, read-only and without a priority-array"
            )
        return bp

    def _priority(self, bp: BoundPoint, priority: int | None) -> int:
        at = bp.binding.write_priority if priority is None else priority
        if not 1 <= at <= 16:
            raise CommandRejected(f"{bp.point.id}: priority must be 1..16, got {at}")
        if at == MINIMUM_ON_OFF:
            raise CommandRejected(f"{bp.point.id}: priority 6 is reserved for minimum on/off times")
        return at

    # -- health and counters ---------------------------------------------------------------

    def health(self) -> list[DeviceHealth]:
        return self._tracker.health()

    async def wait_state(self, state: DeviceState) -> None:
        await self._tracker.wait_state(state)

    def stats(self) -> dict[str, int]:
        """Counters: observations, dead letters, errors, writes, COV, and requests by service."""
        counts = {key: self._counts[key] for key in STATS}
        counts["reads"] = self._requests["read_property"] + self._requests["read_property_multiple"]
        counts.update({f"requests.{key}": self._requests[key] for key in REQUESTS})
        counts["cov_active"] = sum(s.subscribed_objects() for s in self._sessions.values())
        return counts
