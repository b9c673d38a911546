"""The composition root: config -> bus, store, model, connectors, history writer,
automation (commands, alarms, schedules, notifications, rules), smart apps, API.

The only place that wires rooms together. Start-up goes in dependency order; shutdown goes
in reverse and drains: inputs stop first, then the history writer writes what is queued,
then the automation services stop, then the store and the journal close, so a clean stop
leaves nothing half-written.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Collection, Generator, Sequence
from dataclasses import asdict
from typing import Any, Protocol, TypeVar

import uvicorn

from penworks.api import create_app
from penworks.apps.host import AppHost, AppServices
from penworks.auth import AccessPolicy, AuthService
from penworks.automation import Automation
from penworks.bus import Bus, MemoryBus
from penworks.config import ConnectorConfig, MqttConnectorConfig, PlatformConfig
from penworks.connectors import Connector, DeviceHealth, DeviceState
from penworks.connectors.backoff import Backoff
from penworks.connectors.bacnet import BacnetConnector, BacnetConnectorConfig
from penworks.connectors.health import HealthConnector
from penworks.connectors.modbus import ModbusConnector, ModbusConnectorConfig
from penworks.connectors.mqtt import MqttConnector
from penworks.connectors.opcua import OpcuaConnector, OpcuaConnectorConfig
from penworks.core import Clock, Point, RealClock
from penworks.model import SiteModel
from penworks.model.schema import (
    BacnetBinding,
    HealthBinding,
    ModbusBinding,
    MqttBinding,
    OpcuaBinding,
    ScheduleBinding,
)
from penworks.pipeline import HistoryWriter
from penworks.store import SqliteJournal
from penworks.store.sqlite import SqliteHistory

log = logging.getLogger(__name__)


class _ApiServer(uvicorn.Server):
    """uvicorn without its own signal handling: the platform decides when to stop."""

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield


B = TypeVar("B")


def bound_points(model: SiteModel, connector: str, kind: type[B]) -> list[tuple[Point, B]]:
    """The points a connector kind owns, with their bindings of that kind."""
    return [(p, b) for p, b in model.bindings(connector) if isinstance(b, kind)]


def reached_points(
    config: ConnectorConfig, model: SiteModel, kind: type[B]
) -> list[tuple[Point, B]]:
    """The points of the devices (or servers, or broker) this connector config reaches."""
    return [(p, b) for p, b in bound_points(model, config.type, kind) if config.reaches(b)]


def _mqtt(config: MqttConnectorConfig, model: SiteModel, bus: Bus, clock: Clock) -> Connector:
    return MqttConnector(
        reached_points(config, model, MqttBinding),
        bus,
        clock,
        url=config.url,
        client_id=config.client_id,
        watch=config.watch,
        qos=config.qos,
        name=config.name,
    )


def _modbus(config: ModbusConnectorConfig, model: SiteModel, bus: Bus, clock: Clock) -> Connector:
    return ModbusConnector(config, reached_points(config, model, ModbusBinding), bus, clock)


def _bacnet(config: BacnetConnectorConfig, model: SiteModel, bus: Bus, clock: Clock) -> Connector:
    return BacnetConnector(config, reached_points(config, model, BacnetBinding), bus, clock)


def _opcua(config: OpcuaConnectorConfig, model: SiteModel, bus: Bus, clock: Clock) -> Connector:
    return OpcuaConnector(config, reached_points(config, model, OpcuaBinding), bus, clock)


# Connector kinds: the config type -> how to build the connector from it.
CONNECTOR_FACTORIES: dict[type[Any], Callable[[Any, SiteModel, Bus, Clock], Connector]] = {
    MqttConnectorConfig: _mqtt,
    ModbusConnectorConfig: _modbus,
    BacnetConnectorConfig: _bacnet,
    OpcuaConnectorConfig: _opcua,
}


def build_connector(config: ConnectorConfig, model: SiteModel, bus: Bus, clock: Clock) -> Connector:
    return CONNECTOR_FACTORIES[type(config)](config, model, bus, clock)


def unreachable_points(
    connectors: list[ConnectorConfig], model: SiteModel, owned: Collection[str] = ()
) -> list[str]:
    """Points bound to a connector kind or device that no configured connector reaches
    (nor an in-process link, which owns the points in `owned`).

    Health and schedule points need none: the platform serves every one of them.
    """
    return [
        point.id
        for point in model.points()
        if (binding := model.binding(point.id)) is not None
        and not isinstance(binding, HealthBinding | ScheduleBinding)
        and point.id not in owned
        and not any(c.reaches(binding) for c in connectors)
    ]


def owners(
    configs: list[ConnectorConfig], connectors: list[Connector], model: SiteModel
) -> dict[str, Connector]:
    """Point id -> the running connector that reaches it (where commands are written)."""
    found: dict[str, Connector] = {}
    for config, connector in zip(configs, connectors, strict=True):
        for point, binding in model.bindings(config.type):
            if config.reaches(binding):
                found.setdefault(point.id, connector)
    return found


def build_health_connector(model: SiteModel, bus: Bus, clock: Clock) -> HealthConnector | None:
    """The connector of device-health points, when the model has any."""
    points = bound_points(model, "health", HealthBinding)
    return HealthConnector(points, bus, clock) if points else None


class Link(Connector, Protocol):
    """A connector built outside the config and handed to the Platform (the twin's
    in-process link): it runs like a configured one and owns the points it names."""

    def point_ids(self) -> Collection[str]:
        """The points whose data it publishes and whose commands it takes."""
        ...


class Platform:
    """One platform process on embedded defaults (MemoryBus, SQLite).

    `links` are connectors built by the caller on `bus` (then the platform's bus): they run
    with the configured connectors, and each owns the points it names, whatever the config's
    connectors reach.
    """

    def __init__(
        self,
        config: PlatformConfig,
        clock: Clock,
        model: SiteModel,
        *,
        links: Sequence[Link] = (),
        bus: MemoryBus | None = None,
    ) -> None:
        self.config = config
        self.clock = clock
        self.model = model
        self.bus = bus if bus is not None else MemoryBus()
        self.history = SqliteHistory(config.history_path)
        self.writer = HistoryWriter(self.bus, self.history, clock, queue_size=config.bus.queue_size)
        self.connectors = [build_connector(c, model, self.bus, clock) for c in config.connectors]
        self.links = list(links)
        linked = {pid: link for link in self.links for pid in link.point_ids()}
        self.unreachable = unreachable_points(config.connectors, model, linked)
        if self.unreachable:
            log.warning(
                "%d bound points have no configured connector or device and will get no data, "
                "e.g. %s",
                len(self.unreachable),
                ", ".join(self.unreachable[:3]),
            )
        # Health points are made from the other connectors' reports: it starts first.
        self.health_points = build_health_connector(model, self.bus, clock)
        self.journal = SqliteJournal(config.journal_path)
        config.data_dir.mkdir(parents=True, exist_ok=True)
        # Tokens live in wall time whatever the building's clock does (the demo runs at 60x).
        self.auth = AuthService.in_data_dir(config.data_dir, RealClock())
        self.setup_token: str | None = None  # while nobody can sign in: printed at start
        self._writers: dict[str, Connector] = {
            **owners(config.connectors, self.connectors, model),
            **linked,
        }
        self.automation = Automation(
            config.automation, model, self.bus, clock, self.journal, self._writers.get
        )
        self.apps = AppHost(
            config.apps,
            AppServices(
                model,
                self.bus,
                self.history,
                self.automation.control,
                self.automation.alarms,
                clock,
            ),
        )
        self.app = create_app(
            model=model,
            history=self.history,
            policy=AccessPolicy(model, config.access),
            auth=self.auth,
            bus=self.bus,
            status=self,
            devices=self,
            clock=clock,
            control=self.automation.control,
            alarms=self.automation.alarms,
            rules=self.automation.rules,
            schedules=self.automation.schedules,
            notifier=self.automation.notifier,
            apps=self.apps,
        )
        self._server = _ApiServer(
            uvicorn.Config(
                self.app,
                host=config.api.host,
                port=config.api.port,
                log_level="warning",
                lifespan="off",
            )
        )
        self._stop = asyncio.Event()
        self.connector_restarts: dict[str, int] = {}
        self.url: str | None = None

    def request_stop(self) -> None:
        self._stop.set()

    async def run(self, on_ready: Callable[[str], None] | None = None) -> None:
        """Run until request_stop(); then stop inputs, drain history and close the store."""
        self.config.data_dir.mkdir(parents=True, exist_ok=True)
        await self.history.open()
        await self.journal.open()
        await self.auth.open()
        self.setup_token = await self.auth.setup_token()
        writer = asyncio.create_task(self.writer.run(), name="history-writer")
        try:
            await self.automation.restore()
            async with asyncio.TaskGroup() as tasks:
                # Rules, alarms and control subscribe before any input publishes.
                automation = tasks.create_task(self.automation.run(), name="automation")
                await self._wait_for(self.automation.started, automation)
                # Apps command through control and raise alarms: they start after automation.
                apps = tasks.create_task(self.apps.run(), name="apps")
                inputs = [
                    tasks.create_task(self._supervise(c), name=f"connector-{c.name}")
                    for c in self._all_connectors()
                ]
                if self.automation.schedule_points is not None:
                    schedule_points = self.automation.schedule_points.run()
                    inputs.append(tasks.create_task(schedule_points, name="schedule-points"))
                api = tasks.create_task(self._server.serve(), name="api")
                await self._wait_started(api)
                if on_ready is not None and self.url is not None:
                    on_ready(self.url)
                await self._stop.wait()
                for task in [*inputs, apps]:
                    task.cancel()
                self._server.should_exit = True
                automation.cancel()
        finally:
            await self.writer.stop()
            await writer
            await self.history.close()
            await self.journal.close()
            await self.auth.close()
            log.info("platform stopped; history flushed")

    async def _supervise(self, connector: Connector) -> None:
        """Run a connector; if it fails, log why and start it again after a pause.

        The one place that catches any exception: a fault in one connector's code must not
        take the platform, and every other connector, down with it.
        """
        backoff = Backoff(1.0, 60.0)
        while True:
            try:
                await connector.run()
                return
            except Exception:
                self.connector_restarts[connector.name] = (
                    self.connector_restarts.get(connector.name, 0) + 1
                )
                log.exception("connector %s failed; restarting it", connector.name)
            await asyncio.sleep(backoff.next_delay())

    def _all_connectors(self) -> list[Connector]:
        extra: list[Connector] = [self.health_points] if self.health_points else []
        return extra + self._inputs()

    def _inputs(self) -> list[Connector]:
        """The connectors that reach devices: configured ones and links."""
        return [*self.connectors, *self.links]

    def device_health(self) -> list[DeviceHealth]:
        """Every device of every connector (what /api/devices lists)."""
        return [h for c in self._inputs() for h in c.health()]

    async def wait_inputs_online(self, timeout_s: float) -> bool:
        """Wait until every connector is online; False if one is not within `timeout_s`."""
        try:
            async with asyncio.timeout(timeout_s):
                for connector in self._inputs():
                    await connector.wait_state(DeviceState.ONLINE)
        except TimeoutError:
            return False
        return True

    async def _wait_for(self, event: asyncio.Event, task: asyncio.Task[None]) -> None:
        """Wait for `event`, or for `task` to end first (its failure reaches the task group)."""
        waiter = asyncio.ensure_future(event.wait())
        try:
            await asyncio.wait([waiter, task], return_when=asyncio.FIRST_COMPLETED)
        finally:
            waiter.cancel()

    async def _wait_started(self, api: asyncio.Task[None]) -> None:
        while not self._server.started:
            if api.done():
                return  # serve() failed; the task group reports why
            await asyncio.sleep(0.02)
        sockets = [s for server in self._server.servers for s in server.sockets]
        host, port = sockets[0].getsockname()[:2]
        self.url = f"http://{host}:{port}"

    async def status(self) -> dict[str, Any]:
        """What /api/health reports: connectors, bus queues, history writer."""
        connectors = [
            {**asdict(h), "state": h.state.value, "stats": c.stats()}
            for c in self._inputs()
            for h in c.health()
        ]
        if self.health_points is not None:
            connectors.append(
                {"connector": "health", "state": "online", "stats": self.health_points.stats()}
            )
        return {
            "connectors": connectors,
            "bus": [asdict(s) for s in self.bus.stats()],
            "history": asdict(self.writer.stats()),
            "offline": [c["device"] for c in connectors if c["state"] == DeviceState.OFFLINE.value],
            "unreachable_points": len(self.unreachable),
            "connector_restarts": dict(self.connector_restarts),
            "automation": self.automation.status(),
        }
