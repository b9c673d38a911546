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
import gc
import logging
import os
from collections.abc import Callable, Collection, Generator, Sequence
from dataclasses import asdict
from typing import Any, Final, Protocol, TypeVar

import uvicorn
from fastapi import FastAPI

from penworks.api import create_app
from penworks.apps.host import AppHost, AppServices
from penworks.auth import AccessPolicy, AuthService
from penworks.automation import Automation
from penworks.bus import Bus, MemoryBus
from penworks.bus.nats import NatsBus
from penworks.config import (
    ConnectorConfig,
    MqttConnectorConfig,
    NatsBusConfig,
    PlatformConfig,
    PostgresStoreConfig,
    Role,
)
from penworks.connectors import Connector, DeviceHealth, DeviceState
from penworks.connectors.bacnet import BacnetConnector, BacnetConnectorConfig
from penworks.connectors.health import HealthConnector
from penworks.connectors.modbus import ModbusConnector, ModbusConnectorConfig
from penworks.connectors.mqtt import MqttConnector
from penworks.connectors.opcua import OpcuaConnector, OpcuaConnectorConfig
from penworks.control.ports import WritePort
from penworks.control.remote import PortServer, RemotePorts
from penworks.core import Clock, ConfigError, PenworksError, Point, RealClock
from penworks.core.backoff import Backoff
from penworks.model import SiteModel
from penworks.model.entities import EntityKind
from penworks.model.schema import (
    BacnetBinding,
    HealthBinding,
    ModbusBinding,
    MqttBinding,
    OpcuaBinding,
    ScheduleBinding,
)
from penworks.pipeline import Fsync, HistoryWriter, Spool, SpoolingPublisher
from penworks.rules.alarm_types import AlarmPriority
from penworks.rules.sinks import AlarmCondition
from penworks.store import History, PostgresHistory, SqliteJournal
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
        share_group=config.share_group,
        username=config.username,
        password=config.password(os.environ),
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
    running = {c.name: c for c in connectors}
    return {
        pid: running[name] for pid, name in owner_names(configs, model).items() if name in running
    }


def owner_names(configs: list[ConnectorConfig], model: SiteModel) -> dict[str, str]:
    """Point id -> the name of the configured connector that reaches it."""
    found: dict[str, str] = {}
    for config in configs:
        for point, binding in model.bindings(config.type):
            if config.reaches(binding):
                found.setdefault(point.id, config.name)
    return found


_NEEDS_HISTORY: Final = frozenset({Role.HISTORY, Role.APPS, Role.API})


def check_roles(roles: Collection[Role]) -> frozenset[Role]:
    """The roles of one process; ConfigError when they cannot run apart as asked."""
    chosen = frozenset(roles)
    if not chosen:
        raise ConfigError("a platform process needs at least one role")
    lonely = sorted(r.value for r in chosen & {Role.APPS, Role.API})
    if lonely and Role.RULES not in chosen:
        raise ConfigError(
            f"role {' and '.join(lonely)} needs the rules role in the same process: commands "
            "are arbitrated and alarms kept there (e.g. --role rules,apps,api)"
        )
    return chosen


def build_bus(config: PlatformConfig) -> Bus:
    """The configured bus: in-process, or NATS JetStream shared with other processes."""
    if isinstance(config.bus, NatsBusConfig):
        return NatsBus(config.bus.settings())
    return MemoryBus()


def build_history(config: PlatformConfig) -> History:
    """The configured history store: a SQLite file, or PostgreSQL shared with others."""
    store = config.store
    if isinstance(store, PostgresStoreConfig):
        return PostgresHistory(store.dsn, schema=store.schema_name, settings=store.settings())
    return SqliteHistory(config.history_path)


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
    """One platform process: all the roles on embedded defaults (MemoryBus, SQLite), or some
    of them (`config.roles`) sharing a NATS bus and a PostgreSQL store with other processes.

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
        bus: Bus | None = None,
    ) -> None:
        self.config = config
        self.clock = clock
        self.model = model
        self.roles = check_roles(config.roles)
        self.bus: Bus = bus if bus is not None else build_bus(config)
        self.history = build_history(config) if self.roles & _NEEDS_HISTORY else None
        # Spools where a part of another machine may be unreachable: the store, the bus.
        self.spools: list[Spool] = []
        self.writer = None
        if Role.HISTORY in self.roles and self.history is not None:
            remote_store = isinstance(config.store, PostgresStoreConfig) and config.spool.enabled
            self.writer = HistoryWriter(
                self.bus,
                self.history,
                clock,
                queue_size=config.bus.queue_size,
                spool=self._spool("history") if remote_store else None,
                retry_s=(0.1, 2.0),  # a store that is back is found within 2 s
            )
        gateway = Role.GATEWAY in self.roles
        self.publisher = None
        if gateway and isinstance(config.bus, NatsBusConfig) and config.spool.enabled:
            self.publisher = SpoolingPublisher(
                self.bus,
                self._spool("gateway"),
                publish_timeout_s=config.spool.publish_timeout_s,
                window=1000,  # publishes awaiting NATS's acknowledgement at once
            )
        inputs_bus: Bus = self.publisher if self.publisher is not None else self.bus
        self.connectors = (
            [build_connector(c, model, inputs_bus, clock) for c in config.connectors]
            if gateway
            else []
        )
        self.links = list(links) if gateway else []
        linked = {pid: link for link in self.links for pid in link.point_ids()}
        self.unreachable = unreachable_points(config.connectors, model, linked)
        if self.unreachable and gateway:
            log.warning(
                "%d bound points have no configured connector or device and will get no data, "
                "e.g. %s",
                len(self.unreachable),
                ", ".join(self.unreachable[:3]),
            )
        config.data_dir.mkdir(parents=True, exist_ok=True)
        self._writers: dict[str, WritePort] = {
            **owners(config.connectors, self.connectors, model),
            **linked,
        }
        # Connectors in another process are written to over the bus; those here directly.
        self._owner_names = {} if gateway else owner_names(config.connectors, model)
        self.remote_ports = None if gateway else RemotePorts(self.bus)
        self.port_server = (
            PortServer(self.bus, {c.name: c for c in self.connectors})
            if gateway and Role.RULES not in self.roles and self.connectors
            else None
        )
        self.health_points: HealthConnector | None = None
        self.journal: SqliteJournal | None = None
        self.automation: Automation | None = None
        self.apps: AppHost | None = None
        if Role.RULES in self.roles:
            # Health points are made from the connectors' reports: they start first.
            self.health_points = build_health_connector(model, self.bus, clock)
            self.journal = SqliteJournal(config.journal_path)
            self.automation = Automation(
                config.automation, model, self.bus, clock, self.journal, self._write_port
            )
        self.auth: AuthService | None = None
        self.setup_token: str | None = None  # while nobody can sign in: printed at start
        self.app: FastAPI | None = None
        self._server: _ApiServer | None = None
        if self.automation is not None and self.history is not None:
            self.apps = AppHost(
                config.apps if Role.APPS in self.roles else {},
                AppServices(
                    model,
                    self.bus,
                    self.history,
                    self.automation.control,
                    self.automation.alarms,
                    clock,
                ),
            )
        if Role.API in self.roles and self.automation is not None and self.history is not None:
            # Tokens live in wall time whatever the building's clock does (the demo runs at 60x).
            self.auth = AuthService.in_data_dir(config.data_dir, RealClock())
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

    def _spool(self, name: str) -> Spool:
        settings = self.config.spool
        spool = Spool(
            self.config.spool_path / name,
            capacity_bytes=int(settings.capacity_mb * 2**20),
            name=name,
            fsync=Fsync(settings.fsync),
            high_water=settings.high_water,
            low_water=settings.low_water,
        )
        self.spools.append(spool)
        return spool

    def _write_port(self, point_id: str) -> WritePort | None:
        """Where control writes a point: its connector here, or over the bus to its gateway."""
        port = self._writers.get(point_id)
        if port is None and self.remote_ports is not None:
            owner = self._owner_names.get(point_id)
            port = self.remote_ports.port(owner) if owner is not None else None
        return port

    def request_stop(self) -> None:
        self._stop.set()

    async def run(self, on_ready: Callable[[str], None] | None = None) -> None:
        """Run until request_stop(); then stop inputs, drain history and close the store."""
        self.config.data_dir.mkdir(parents=True, exist_ok=True)
        async with contextlib.AsyncExitStack() as stack:
            if isinstance(self.bus, NatsBus):
                await self.bus.connect()
                stack.push_async_callback(self.bus.close)
            for part in (self.history, self.journal, self.auth, *self.spools):
                if part is not None:
                    await part.open()
                    stack.push_async_callback(part.close)
            if self.auth is not None:
                self.setup_token = await self.auth.setup_token()
            if self.writer is not None:
                writer = asyncio.create_task(self.writer.run(), name="history-writer")
                stack.push_async_callback(self._drain, writer)
            if self.remote_ports is not None:
                stack.push_async_callback(self.remote_ports.close)
            await self._run_roles(on_ready)
        log.info("platform stopped; history flushed")

    async def _watch_spool(self, spool: Spool) -> None:
        """An alarm while a spool is nearly full (an event where no alarm book runs)."""
        alarm_id = f"system.spool.{spool.name}"
        if self.automation is not None:
            # Whatever an earlier run left raised is settled by the spool's state now.
            stats = spool.stats()
            await self._spool_alarm(alarm_id, spool.name, stats.high_water, stats.fill, 0)
        async for alert in spool.alerts():
            log.warning(
                "spool %s is %.0f%% full (%d records waiting)",
                alert.spool,
                100 * alert.fill,
                alert.records,
            )
            if self.automation is not None:
                await self._spool_alarm(
                    alarm_id, alert.spool, alert.high, alert.fill, alert.records
                )
            else:
                await self.bus.publish(
                    f"event.spool.{alert.spool}",
                    {"spool": alert.spool, "high": alert.high, "fill": alert.fill},
                )

    async def _spool_alarm(
        self, alarm_id: str, name: str, active: bool, fill: float, records: int
    ) -> None:
        assert self.automation is not None
        buildings = [e.id for e in self.model.entities() if e.kind is EntityKind.BUILDING]
        await self.automation.alarms.condition(
            AlarmCondition(
                alarm_id=alarm_id,
                rule="system.spool",
                point=None,
                area=buildings[0] if buildings else "site",
                priority=AlarmPriority.HIGH,
                message=f"{name} spool {fill:.0%} full, {records} records waiting",
                active=active,
                ts=self.clock.now(),
                value=round(100 * fill, 1),
            )
        )

    async def _apply_retention(self, history: PostgresHistory) -> None:
        """Drop what the store keeps no longer: at start, then daily."""
        while True:
            try:
                report = await history.apply_retention(self.clock.now())
                log.info("history retention: %s", report)
            except PenworksError:
                log.exception("history retention failed; trying again in an hour")
                await self.clock.sleep(3600)
                continue
            await self.clock.sleep(86_400)

    async def _drain(self, writer: asyncio.Task[None]) -> None:
        assert self.writer is not None
        await self.writer.stop()
        await writer

    async def _run_roles(self, on_ready: Callable[[str], None] | None) -> None:
        if self.automation is not None:
            await self.automation.restore()
        async with asyncio.TaskGroup() as tasks:
            services: list[asyncio.Task[None]] = []
            if self.automation is not None:
                # Rules, alarms and control subscribe before any input publishes.
                automation = tasks.create_task(self.automation.run(), name="automation")
                services.append(automation)
                await self._wait_for(self.automation.started, automation)
            if self.apps is not None:
                # Apps command through control and raise alarms: they start after automation.
                services.append(tasks.create_task(self.apps.run(), name="apps"))
            if self.port_server is not None:
                services.append(tasks.create_task(self.port_server.run(), name="ports"))
            if self.publisher is not None:
                services.append(tasks.create_task(self.publisher.run(), name="forwarder"))
            for spool in self.spools:
                watch = self._watch_spool(spool)
                services.append(tasks.create_task(watch, name=f"spool-{spool.name}"))
            if self.writer is not None and isinstance(self.history, PostgresHistory):
                keep = self._apply_retention(self.history)
                services.append(tasks.create_task(keep, name="retention"))
            inputs = [
                tasks.create_task(self._supervise(c), name=f"connector-{c.name}")
                for c in self._all_connectors()
            ]
            if self.automation is not None and self.automation.schedule_points is not None:
                schedule_points = self.automation.schedule_points.run()
                inputs.append(tasks.create_task(schedule_points, name="schedule-points"))
            if self._server is not None:
                api = tasks.create_task(self._server.serve(), name="api")
                await self._wait_started(api)
            if on_ready is not None:
                on_ready(self.url or "")
            await self._stop.wait()
            for task in [*inputs, *services]:
                task.cancel()
            if self._server is not None:
                self._server.should_exit = True

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
        assert self._server is not None
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
            "roles": sorted(self.roles),
            "bus": [asdict(s) for s in self.bus.stats()],
            "history": asdict(self.writer.stats()) if self.writer is not None else None,
            "forwarder": (
                asdict(self.publisher.publisher_stats()) if self.publisher is not None else None
            ),
            "spools": [asdict(s.stats()) for s in self.spools],
            "offline": [c["device"] for c in connectors if c["state"] == DeviceState.OFFLINE.value],
            "unreachable_points": len(self.unreachable),
            "connector_restarts": dict(self.connector_restarts),
            "automation": self.automation.status() if self.automation is not None else None,
        }


def keep_startup_heap() -> None:
    """Collect what starting left behind, then move every object alive now (the model,
    routes, compiled rules, caches: a few hundred thousand) out of the collector's sight.
    They live as long as the process, and each full collection would walk them all again:
    on a busy ingest path that is a quarter of the CPU. Call it once a process's platform
    is up (the CLI does), not per platform: frozen objects are never collected."""
    gc.collect()
    gc.freeze()
