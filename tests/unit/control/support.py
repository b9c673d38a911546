"""Helpers of the control tests: a clock to move by hand, a fake connector, a running service."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from penworks.bus import MemoryBus, Subscription, observation_subject
from penworks.control import (
    Actor,
    ActorKind,
    CommandRequest,
    ControlConfig,
    ControlService,
)
from penworks.core import ConnectorError, Observation, Quality, Value
from penworks.model import SiteModel
from penworks.store import Journal, MemoryJournal
from tests.clocks import ManualClock as SharedManualClock

REPO = Path(__file__).resolve().parents[3]
SMALL_OFFICE = REPO / "tests" / "data" / "sites" / "small_office.yaml"
BUILDING15 = REPO / "sites" / "building15.yaml"
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

SETPOINT = "b15.f3.r301.vav.setpoint"  # number 16..30, MQTT
LIGHTS = "b15.f3.r301.lights.level"  # number 0..100, MQTT
TEMPERATURE = "b15.f3.r301.zone_air_temp"  # read-only

OPERATOR = Actor(ActorKind.OPERATOR, "li.wei")
RULE = Actor(ActorKind.RULE, "zone_too_warm")
APP = Actor(ActorKind.APP, "energy")
SCHEDULE = Actor(ActorKind.SCHEDULE, "office_hours")
SYSTEM = Actor(ActorKind.SYSTEM, "platform")


class ManualClock(SharedManualClock):
    """The shared manual clock, starting at this module's T0."""

    def __init__(self, at: datetime = T0) -> None:
        super().__init__(at)


class FakePort:
    """A connector's write side. Every call is recorded; by default a write is echoed on the
    bus as an observation of the written value (a device that reports what it was told)."""

    def __init__(self, bus: MemoryBus, clock: ManualClock) -> None:
        self.bus = bus
        self.clock = clock
        self.calls: list[tuple[str, str, Value | None, int | None]] = []
        self.echo = True
        self.reports: dict[str, Value] = {}  # the device reports this instead of the value
        self.fail: str | None = None  # the device refuses with this reason
        self.on_relinquish: dict[str, Value] = {}  # what the device falls back to
        self.reads = 0
        self.read_value: dict[str, Value] = {}
        self.gate: asyncio.Event | None = None  # when set, writes wait for it to open

    async def write(self, point_id: str, value: Value, priority: int | None = None) -> None:
        self.calls.append(("write", point_id, value, priority))
        if self.gate is not None:
            await self.gate.wait()
        if self.fail is not None:
            raise ConnectorError(self.fail)
        if self.echo:
            await self.report(point_id, self.reports.get(point_id, value))

    async def relinquish(self, point_id: str, priority: int | None = None) -> None:
        self.calls.append(("relinquish", point_id, None, priority))
        if self.fail is not None:
            raise ConnectorError(self.fail)
        if point_id in self.on_relinquish:
            await self.report(point_id, self.on_relinquish[point_id])

    async def read(self, point_id: str) -> Observation | None:
        self.reads += 1
        if point_id in self.read_value:
            return Observation(point_id, self.clock.now(), self.read_value[point_id])
        return None

    async def report(self, point_id: str, value: Value, quality: Quality = Quality.GOOD) -> None:
        observation = Observation(point_id, self.clock.now(), value, quality)
        await self.bus.publish(observation_subject(point_id), observation)

    def writes(
        self, point_id: str | None = None
    ) -> list[tuple[str, str, Value | None, int | None]]:
        return [c for c in self.calls if point_id is None or c[1] == point_id]


@dataclass
class Harness:
    """A running ControlService over a memory bus, a memory (or given) journal and a fake
    connector; `events` sees every `event.command`."""

    service: ControlService
    bus: MemoryBus
    clock: ManualClock
    journal: Journal
    port: FakePort
    events: Subscription
    unconnected: set[str] = field(default_factory=set)

    async def command(
        self,
        value: Value | None,
        priority: int = 8,
        actor: Actor = OPERATOR,
        point: str = SETPOINT,
        **extra: Any,
    ) -> Any:
        request = CommandRequest(point, value, priority, actor, **extra)
        return await self.service.submit(request)

    async def event(self, within_s: float = 5.0) -> dict[str, Any]:
        async with asyncio.timeout(within_s):
            items = await self.events.batch(1)
        assert items, "the event subscription closed"
        message = items[0][1]
        assert isinstance(message, dict)
        return message


@contextlib.asynccontextmanager
async def running(
    model: SiteModel,
    config: ControlConfig | None = None,
    *,
    journal: Journal | None = None,
    clock: ManualClock | None = None,
    restore: bool = False,
) -> AsyncIterator[Harness]:
    """A ControlService with its run() going for the body of the block."""
    bus = MemoryBus()
    clock = clock or ManualClock()
    journal = journal or MemoryJournal()
    port = FakePort(bus, clock)
    unconnected: set[str] = set()
    service = ControlService(
        model,
        bus,
        clock,
        journal,
        config or ControlConfig(confirm_timeout_s=2.0),
        lambda point_id: None if point_id in unconnected else port,
    )
    if restore:
        await service.restore()
    events = bus.subscribe("event.command", name="test-events", maxsize=100_000)
    task = asyncio.create_task(service.run(), name="control-under-test")
    try:
        await eventually(lambda: any(s.name == "control" for s in bus.stats()))
        yield Harness(service, bus, clock, journal, port, events, unconnected)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await bus.close()


async def eventually(check: Callable[[], bool], within_s: float = 5.0) -> None:
    """Wait until check() holds, for state that has no event to wait on; TimeoutError after."""
    async with asyncio.timeout(within_s):
        while not check():  # noqa: ASYNC110  # there is no event for this to wait on
            await asyncio.sleep(0.005)
