"""EmbeddedBroker: listens where asked, serves MQTT, and stops leaving nothing behind."""

from __future__ import annotations

import asyncio
import logging
import socket

import aiomqtt
import pytest

from penworks.broker import BrokerStartError, EmbeddedBroker
from penworks.core import PenworksError
from tests.conftest import free_port, service_available

pytestmark = pytest.mark.integration


def _other_tasks() -> set[asyncio.Task[object]]:
    return {t for t in asyncio.all_tasks() if t is not asyncio.current_task()}


async def _round_trip(port: int, topic: str) -> bytes:
    async with aiomqtt.Client("127.0.0.1", port) as client:
        await client.subscribe(topic, qos=1)
        await client.publish(topic, b"hello", qos=1)
        async with asyncio.timeout(5):
            message = await anext(client.messages)
    assert isinstance(message.payload, bytes)
    return message.payload


async def test_port_zero_picks_a_free_port_that_serves_mqtt() -> None:
    async with EmbeddedBroker() as broker:
        assert broker.port > 0
        assert broker.url == f"mqtt://127.0.0.1:{broker.port}"
        assert service_available("127.0.0.1", broker.port)
        assert await _round_trip(broker.port, "penworks/test") == b"hello"


async def test_stop_leaves_nothing_running_even_with_clients_connected() -> None:
    before = _other_tasks()
    broker = EmbeddedBroker()
    await broker.start()
    port = broker.port
    client = aiomqtt.Client("127.0.0.1", port)
    await client.__aenter__()
    await client.subscribe("x/#")
    await broker.stop()
    assert not broker.running
    with pytest.raises(aiomqtt.MqttError):
        async with asyncio.timeout(5):
            await anext(client.messages)
    await client.__aexit__(None, None, None)
    await asyncio.sleep(0)  # let the client's own cancelled task finish
    assert _other_tasks() == before
    assert not service_available("127.0.0.1", port)


async def test_probes_that_never_send_connect_leave_nothing_behind() -> None:
    before = _other_tasks()
    async with EmbeddedBroker() as broker:
        assert service_available("127.0.0.1", broker.port)  # connects and hangs up at once
        reader, writer = await asyncio.open_connection("127.0.0.1", broker.port)  # stays silent
    async with asyncio.timeout(5):
        assert await reader.read() == b""  # the broker hung up on the silent client
    writer.close()
    await writer.wait_closed()
    assert _other_tasks() == before


async def test_restarts_on_the_same_port() -> None:
    async with EmbeddedBroker() as first:
        port = first.port
        assert await _round_trip(port, "a") == b"hello"
    async with EmbeddedBroker(port=port) as second:
        assert second.port == port
        assert await _round_trip(port, "b") == b"hello"


async def test_a_taken_port_is_a_clear_error() -> None:
    port = free_port()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", port))
        taken.listen()
        with pytest.raises(BrokerStartError, match=f"127.0.0.1:{port}"):
            async with EmbeddedBroker(port=port):
                pass


async def test_port_is_unknown_before_start() -> None:
    broker = EmbeddedBroker()
    with pytest.raises(PenworksError, match="not started"):
        _ = broker.url
    with pytest.raises(ValueError, match="port"):
        EmbeddedBroker(port=70000)


async def test_connections_are_not_logged_below_warning(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    async with EmbeddedBroker() as broker:
        await _round_trip(broker.port, "quiet")
    chatter = [r for r in caplog.records if r.name.startswith(("amqtt", "transitions"))]
    assert [r for r in chatter if r.levelno < logging.WARNING] == []
