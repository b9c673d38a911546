"""Control writes to connectors in another process over the bus, and learns their answer."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import datetime

import pytest

from penworks.bus import MemoryBus
from penworks.control.remote import PortServer, RemotePorts
from penworks.core import CommandRejected, ConnectorError, Observation, Value
from penworks.core.types import utc


class RecordingPort:
    """A connector's write side that keeps what it was asked, and refuses what it must."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, Value | None, int | None]] = []

    async def write(self, point_id: str, value: Value, priority: int | None = None) -> None:
        if point_id.endswith("read_only"):
            raise CommandRejected(f"{point_id} is read-only on its device")
        if point_id.endswith("offline"):
            raise ConnectorError("device 7 did not answer")
        self.calls.append(("write", point_id, value, priority))

    async def relinquish(self, point_id: str, priority: int | None = None) -> None:
        self.calls.append(("relinquish", point_id, None, priority))

    async def read(self, point_id: str) -> Observation | None:
        ts = utc(datetime(2026, 7, 1, 8, 0, 0, 250_000).astimezone())
        return Observation(point_id, ts, 21.5) if point_id != "b1.nothing" else None


@contextlib.asynccontextmanager
async def gateway(bus: MemoryBus, port: RecordingPort) -> AsyncIterator[PortServer]:
    server = PortServer(bus, {"mqtt": port})
    task = asyncio.create_task(server.run())
    try:
        yield server
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def test_writes_relinquishes_and_reads_reach_the_gateways_connector() -> None:
    bus, port = MemoryBus(), RecordingPort()
    ports = RemotePorts(bus, timeout_s=5)
    async with gateway(bus, port) as server:
        remote = ports.port("mqtt")
        await remote.write("b1.f1.r1.sp", 22.5, 8)
        await remote.write("b1.f1.r1.on", True)
        await remote.relinquish("b1.f1.r1.sp", 8)
        found = await remote.read("b1.f1.r1.temp")
        assert await remote.read("b1.nothing") is None
    await ports.close()
    assert port.calls == [
        ("write", "b1.f1.r1.sp", 22.5, 8),
        ("write", "b1.f1.r1.on", True, None),
        ("relinquish", "b1.f1.r1.sp", None, 8),
    ]
    assert found is not None
    assert found.value == 21.5
    assert found.ts.microsecond == 250_000
    assert server.served == 5


async def test_a_refusal_comes_back_as_the_same_kind_of_error() -> None:
    bus, port = MemoryBus(), RecordingPort()
    ports = RemotePorts(bus, timeout_s=5)
    async with gateway(bus, port) as server:
        with pytest.raises(CommandRejected, match="read-only"):
            await ports.port("mqtt").write("b1.read_only", 1)
        with pytest.raises(ConnectorError, match="did not answer"):
            await ports.port("mqtt").write("b1.offline", 1)
    await ports.close()
    assert server.refused == 2


async def test_no_gateway_is_a_connector_error_within_the_timeout() -> None:
    bus = MemoryBus()
    ports = RemotePorts(bus, timeout_s=0.2)
    with pytest.raises(ConnectorError, match="is its gateway running"):
        await ports.port("modbus").write("b1.f1.r1.sp", 22.0)
    await ports.close()
    assert ports.timed_out == 1


async def test_a_malformed_request_is_counted_not_fatal() -> None:
    bus, port = MemoryBus(), RecordingPort()
    ports = RemotePorts(bus, timeout_s=5)
    async with gateway(bus, port) as server:
        await bus.publish("cmd.mqtt.b1.f1.r1.sp", {"op": "write", "value": 1})  # no reply subject
        await bus.publish(
            "cmd.mqtt.b1.f1.r1.sp", {"op": "explode", "reply": "cmd._reply.x", "id": "1"}
        )
        await ports.port("mqtt").write("b1.f1.r1.sp", 23.0)  # still served after both
    await ports.close()
    assert server.refused == 2
    assert port.calls == [("write", "b1.f1.r1.sp", 23.0, None)]


async def test_gateways_running_the_same_connector_carry_out_each_command_once() -> None:
    bus = MemoryBus()
    first, second = RecordingPort(), RecordingPort()
    ports = RemotePorts(bus, timeout_s=5)
    async with gateway(bus, first) as one, gateway(bus, second) as other:
        for i in range(10):
            await ports.port("mqtt").write("b1.f1.r1.sp", float(i))
    await ports.close()
    written = sorted(value for _, _, value, _ in first.calls + second.calls)
    assert written == [float(i) for i in range(10)]  # each once, none twice
    assert first.calls  # in turn
    assert second.calls
    assert one.served + other.served == 10


async def test_a_request_that_comes_after_it_expired_is_not_carried_out() -> None:
    bus, port = MemoryBus(), RecordingPort()
    ports = RemotePorts(bus, timeout_s=5)
    async with gateway(bus, port) as server:
        late = {"op": "write", "value": 1.0, "reply": "cmd._reply.x", "id": "1", "expires": 1.0}
        await bus.publish("cmd.mqtt.b1.f1.r1.sp", late)  # its requester gave up in 1970
        await ports.port("mqtt").write("b1.f1.r1.sp", 23.0)  # served after it, in order
    await ports.close()
    assert server.expired == 1
    assert port.calls == [("write", "b1.f1.r1.sp", 23.0, None)]
