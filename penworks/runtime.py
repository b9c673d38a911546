"""The composition root: config -> bus, store, model, connectors, history writer, API.

The only place that wires rooms together. Start-up goes in dependency order; shutdown goes
in reverse and drains: inputs stop first, then the history writer writes what is queued,
then the store closes, so a clean stop leaves nothing half-written.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Generator
from dataclasses import asdict
from typing import Any

import uvicorn

from penworks.api import create_app
from penworks.bus import Bus, MemoryBus
from penworks.config import MqttConnectorConfig, PlatformConfig
from penworks.connectors import Connector, DeviceState
from penworks.connectors.mqtt import MqttConnector
from penworks.core import Clock
from penworks.model import SiteModel
from penworks.model.schema import MqttBinding
from penworks.pipeline import HistoryWriter
from penworks.store.sqlite import SqliteHistory

log = logging.getLogger(__name__)


class _ApiServer(uvicorn.Server):
    """uvicorn without its own signal handling: the platform decides when to stop."""

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield


def build_connector(
    config: MqttConnectorConfig, model: SiteModel, bus: Bus, clock: Clock
) -> Connector:
    points = [
        (point, binding)
        for point, binding in model.bindings(config.type)
        if isinstance(binding, MqttBinding)
    ]
    return MqttConnector(
        points,
        bus,
        clock,
        url=config.url,
        client_id=config.client_id,
        watch=config.watch,
        qos=config.qos,
        name=config.name,
    )


class Platform:
    """One platform process on embedded defaults (MemoryBus, SQLite)."""

    def __init__(self, config: PlatformConfig, clock: Clock, model: SiteModel) -> None:
        self.config = config
        self.clock = clock
        self.model = model
        self.bus = MemoryBus()
        self.history = SqliteHistory(config.history_path)
        self.writer = HistoryWriter(self.bus, self.history, clock, queue_size=config.bus.queue_size)
        self.connectors = [build_connector(c, model, self.bus, clock) for c in config.connectors]
        self.app = create_app(model=model, history=self.history, status=self, clock=clock)
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
        self.url: str | None = None

    def request_stop(self) -> None:
        self._stop.set()

    async def run(self, on_ready: Callable[[str], None] | None = None) -> None:
        """Run until request_stop(); then stop inputs, drain history and close the store."""
        self.config.data_dir.mkdir(parents=True, exist_ok=True)
        await self.history.open()
        writer = asyncio.create_task(self.writer.run(), name="history-writer")
        try:
            async with asyncio.TaskGroup() as tasks:
                inputs = [
                    tasks.create_task(c.run(), name=f"connector-{c.name}") for c in self.connectors
                ]
                api = tasks.create_task(self._server.serve(), name="api")
                await self._wait_started(api)
                if on_ready is not None and self.url is not None:
                    on_ready(self.url)
                await self._stop.wait()
                for task in inputs:
                    task.cancel()
                self._server.should_exit = True
        finally:
            await self.writer.stop()
            await writer
            await self.history.close()
            log.info("platform stopped; history flushed")

    async def wait_inputs_online(self, timeout_s: float) -> bool:
        """Wait until every connector is online; False if one is not within `timeout_s`."""
        try:
            async with asyncio.timeout(timeout_s):
                for connector in self.connectors:
                    await connector.wait_state(DeviceState.ONLINE)
        except TimeoutError:
            return False
        return True

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
            for c in self.connectors
            for h in c.health()
        ]
        return {
            "connectors": connectors,
            "bus": [asdict(s) for s in self.bus.stats()],
            "history": asdict(self.writer.stats()),
            "offline": [c["device"] for c in connectors if c["state"] == DeviceState.OFFLINE.value],
        }
