"""The connector rides out a broker that goes away and comes back on the same port."""

from __future__ import annotations

import asyncio
import contextlib
import json
import shutil
import signal
from collections.abc import AsyncIterator
from pathlib import Path

import aiomqtt
import pytest

from penworks.broker import EmbeddedBroker
from penworks.bus import MemoryBus
from penworks.connectors import DeviceState
from penworks.connectors.mqtt import MqttConnector
from penworks.core import Observation, RealClock
from tests.conftest import free_port, service_available
from tests.unit.connectors.mqtt_support import binding, eventually, next_message, point

pytestmark = pytest.mark.integration

TOPIC = "penworks-test/reconnect/env"


def _connector(port: int, bus: MemoryBus) -> MqttConnector:
    return MqttConnector(
        [(point("b15.r1.temp"), binding(TOPIC, "$.t"))],
        bus,
        RealClock(),
        url=f"mqtt://127.0.0.1:{port}",
        reconnect_initial_s=0.05,
        reconnect_max_s=0.2,
    )


async def _publish(port: int, value: float) -> None:
    async with aiomqtt.Client("127.0.0.1", port) as client:
        await client.publish(TOPIC, json.dumps({"t": value}), qos=1)


async def _state(connector: MqttConnector, state: DeviceState) -> None:
    async with asyncio.timeout(10):
        await connector.wait_state(state)


async def _value(sub: object) -> object:
    _, message = await next_message(sub)  # type: ignore[arg-type]
    assert isinstance(message, Observation)
    return message.value


@contextlib.asynccontextmanager
async def _run(connector: MqttConnector) -> AsyncIterator[None]:
    task = asyncio.create_task(connector.run())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def test_reconnects_to_an_embedded_broker_restarted_on_the_same_port() -> None:
    port = free_port()
    bus = MemoryBus()
    obs = bus.subscribe("obs.>", name="obs")
    connector = _connector(port, bus)
    async with _run(connector):
        # No broker there yet: the connector keeps trying.
        await eventually(lambda: connector.health()[0].errors >= 2)
        assert connector.health()[0].state is DeviceState.OFFLINE
        async with EmbeddedBroker(port=port):
            await _state(connector, DeviceState.ONLINE)
            await _publish(port, 20.0)
            assert await _value(obs) == 20.0
        await _state(connector, DeviceState.OFFLINE)
        assert "unreachable" in connector.health()[0].detail
        async with EmbeddedBroker(port=port):
            await _state(connector, DeviceState.ONLINE)
            await _publish(port, 21.0)
            assert await _value(obs) == 21.0
    stats = connector.stats()
    assert stats["reconnects"] == 1
    assert stats["observations"] == 2


@contextlib.asynccontextmanager
async def _mosquitto(port: int, workdir: Path) -> AsyncIterator[asyncio.subprocess.Process]:
    """Our own Mosquitto on `port` (never the machine's shared one), killed on exit."""
    binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
    config = workdir / "mosquitto.conf"
    config.write_text(f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n")
    process = await asyncio.create_subprocess_exec(
        binary,
        "-c",
        str(config),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        async with asyncio.timeout(10):
            while not service_available("127.0.0.1", port):
                if process.returncode is not None:
                    raise AssertionError(f"mosquitto exited with {process.returncode}")
                await asyncio.sleep(0.02)  # waiting for the listener, not for a result
        yield process
    finally:
        if process.returncode is None:
            process.kill()
        await process.wait()


@pytest.mark.skipif(
    shutil.which("mosquitto") is None and not Path("/usr/sbin/mosquitto").exists(),
    reason="mosquitto binary not installed",
)
async def test_reconnects_after_its_own_mosquitto_is_killed_and_restarted(tmp_path: Path) -> None:
    port = free_port()
    bus = MemoryBus()
    obs = bus.subscribe("obs.>", name="obs")
    connector = _connector(port, bus)
    async with _mosquitto(port, tmp_path) as first, _run(connector):
        await _state(connector, DeviceState.ONLINE)
        await _publish(port, 1.0)
        assert await _value(obs) == 1.0
        first.send_signal(signal.SIGKILL)  # gone without a goodbye
        await _state(connector, DeviceState.OFFLINE)
        async with _mosquitto(port, tmp_path):
            await _state(connector, DeviceState.ONLINE)
            await _publish(port, 2.0)
            assert await _value(obs) == 2.0
    assert connector.stats()["reconnects"] == 1
