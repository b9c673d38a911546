"""The OPC UA connector rides out servers that stop, never answer, or go silent mid-session."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from penworks.bus import MemoryBus, Subscription
from penworks.connectors import DeviceHealth, DeviceState
from penworks.connectors.opcua import OpcuaConnector
from penworks.core import Quality, RealClock
from tests.conftest import free_port
from tests.unit.connectors.opcua.peer import (
    binding,
    connector_config,
    point,
    running_peer,
)
from tests.unit.connectors.support import eventually, next_observation, reach, running_connector

pytestmark = pytest.mark.integration

POSITION = "b15.lift1.position"
LOAD = "b15.lift1.load"
POINTS = [
    (point(POSITION), binding("Lift1.Position")),
    (point(LOAD), binding("Lift1.Load", subscribe=False)),
]


async def test_a_restarted_server_gets_its_subscription_back() -> None:
    port = free_port()
    url = f"opc.tcp://127.0.0.1:{port}/lifts/"
    bus = MemoryBus()
    obs = bus.subscribe(f"obs.{POSITION}", name="obs")
    reports = bus.subscribe("health.opcua", name="health")
    connector = OpcuaConnector(connector_config(url), POINTS, bus, RealClock())
    async with running_connector(connector):
        async with running_peer(port) as peer:
            await reach(connector, DeviceState.ONLINE)
            await peer.set("Lift1.Position", 2.0)
            await next_observation(obs, lambda o: o.value == 2.0)
        # The server stopped: offline, and the last value repeated as bad.
        await reach(connector, DeviceState.OFFLINE)
        bad = await next_observation(obs, lambda o: o.quality is Quality.BAD)
        assert bad.value == 2.0
        history = await _reports(reports)
        online = max(i for i, r in enumerate(history) if r.state is DeviceState.ONLINE)
        assert history[online + 1].state is DeviceState.OFFLINE
        assert "session lost" in history[online + 1].detail
        assert connector.stats()["servers_connected"] == 0
        async with running_peer(port) as peer:
            await reach(connector, DeviceState.ONLINE)
            await peer.set("Lift1.Position", 7.5)
            restored = await next_observation(obs, lambda o: o.value == 7.5)
            assert restored.quality is Quality.GOOD
            assert connector.stats()["reconnects"] == 1


async def test_nothing_listening_is_offline_with_the_reason() -> None:
    url = f"opc.tcp://127.0.0.1:{free_port()}/lifts/"
    connector = OpcuaConnector(connector_config(url), POINTS, MemoryBus(), RealClock())
    async with running_connector(connector):
        report = await _until(connector, lambda h: h.errors >= 2)
    assert report.state is DeviceState.OFFLINE
    assert "connection refused" in report.detail
    assert await connector.read(LOAD) is None


async def test_a_server_that_never_answers_times_out() -> None:
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await reader.read()  # takes the hello, answers nothing
        finally:
            writer.close()

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    url = f"opc.tcp://127.0.0.1:{port}/lifts/"
    connector = OpcuaConnector(
        connector_config(url, timeout_s=0.3), POINTS, MemoryBus(), RealClock()
    )
    async with server, running_connector(connector):
        report = await _until(connector, lambda h: h.errors >= 1)
    assert report.state is DeviceState.OFFLINE
    assert "no answer within 0.3 s" in report.detail


async def test_a_silent_network_degrades_then_drops_the_session_until_it_answers() -> None:
    port = free_port()
    async with running_peer(port) as peer, _Proxy(port) as proxy:
        url = f"opc.tcp://127.0.0.1:{proxy.port}/lifts/"
        bus = MemoryBus()
        reports = bus.subscribe("health.opcua", name="health")
        obs = bus.subscribe(f"obs.{LOAD}", name="obs")
        config = connector_config(url, timeout_s=0.3, offline_after=2)
        connector = OpcuaConnector(config, POINTS, bus, RealClock())
        async with running_connector(connector):
            await reach(connector, DeviceState.ONLINE)
            proxy.freeze()  # packets go nowhere; the socket stays open
            await reach(connector, DeviceState.OFFLINE)
            bad = await next_observation(obs, lambda o: o.quality is Quality.BAD)
            assert bad.value == 120.0
            proxy.thaw()
            await reach(connector, DeviceState.ONLINE)
            await peer.set("Lift1.Load", 130.0)
            await next_observation(obs, lambda o: o.value == 130.0)
        states = [r.state for r in await _reports(reports)]
        # keep-alive failed once (degraded), then offline_after times (offline), then back
        assert _collapsed(states)[-4:] == [
            DeviceState.ONLINE,
            DeviceState.DEGRADED,
            DeviceState.OFFLINE,
            DeviceState.ONLINE,
        ]
        # the server's own offline_after (2): one failed read degrades, the second ends it
        offline = states.index(DeviceState.OFFLINE, states.index(DeviceState.DEGRADED))
        assert states[offline - 2 : offline] == [DeviceState.ONLINE, DeviceState.DEGRADED]


async def _reports(sub: Subscription) -> list[DeviceHealth]:
    """The health reports queued on a subscription to health.<connector>."""
    return [DeviceHealth.from_json(m) for _, m in await sub.batch(10_000) if isinstance(m, dict)]


def _collapsed(states: list[DeviceState]) -> list[DeviceState]:
    """States with repeats merged: the transitions."""
    return [s for i, s in enumerate(states) if i == 0 or states[i - 1] is not s]


async def _until(
    connector: OpcuaConnector, check: Callable[[DeviceHealth], bool], within_s: float = 5.0
) -> DeviceHealth:
    """The connector's one health report once check(report) holds (polled: no event for it)."""
    await eventually(lambda: check(connector.health()[0]), within_s)
    return connector.health()[0]


class _Proxy:
    """A TCP relay to a server that can stop forwarding (a network gone silent) and resume."""

    def __init__(self, target: int) -> None:
        self.target = target
        self.port = 0
        self._open = asyncio.Event()
        self._open.set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._server: asyncio.Server | None = None

    def freeze(self) -> None:
        self._open.clear()

    def thaw(self) -> None:
        self._open.set()

    async def __aenter__(self) -> _Proxy:
        self._server = await asyncio.start_server(self._relay, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._server.wait_closed()

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target)
            await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer))
        except OSError:
            pass  # the server or the client went away: so does the relay
        finally:
            writer.close()
            self._tasks.discard(task)

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                if not self._open.is_set():
                    continue  # dropped, as a silent network would
                writer.write(data)
                await writer.drain()
        finally:
            writer.close()
