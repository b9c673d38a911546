"""Commands to pymodbus's own TCP server: writes with read-back, refusals, one request at a time."""

from __future__ import annotations

import asyncio
import struct

import pytest
from pymodbus.constants import ExcCodes

from penworks.bus import MemoryBus
from penworks.connectors.modbus import ModbusConnector
from penworks.core import CommandRejected, ConnectorError, PointKind, Quality, RealClock
from tests.unit.connectors.modbus.support import Peer, binding, config, point, running
from tests.unit.connectors.support import next_observation, running_connector

pytestmark = pytest.mark.integration

POINTS = [
    (point("b15.plc.fan", PointKind.BOOL, writable=True), binding(0, function=1, type="bit")),
    (point("b15.plc.speed", writable=True, min=0, max=100), binding(1)),
    (point("b15.plc.setpoint", writable=True), binding(2, scale=0.1)),
    (
        point("b15.plc.flow_sp", writable=True),
        binding(4, type="float32", word_order="little"),
    ),
    (point("b15.plc.enable", PointKind.BOOL, writable=True), binding(6, type="bit", bit=0)),
    (point("b15.plc.mode", PointKind.BOOL, writable=True), binding(6, type="bit", bit=3)),
    (point("b15.plc.temp", writable=True), binding(0, function=4)),
    (point("b15.plc.alarm", PointKind.BOOL, writable=True), binding(0, function=2, type="bit")),
    (point("b15.plc.count"), binding(7)),
    (point("b15.plc.raw", writable=True), binding(8, type="uint16")),
]


def command_peer() -> Peer:
    return Peer(holding={0: [0, 10, 200, 0, 0, 0, 0b1010_0000_0000_0101, 5, 0]}, inputs={0: [1]})


def connector_for(peer: Peer, bus: MemoryBus | None = None) -> ModbusConnector:
    return ModbusConnector(config(peer.device()), POINTS, bus or MemoryBus(), RealClock())


async def test_writes_a_coil_and_reads_it_back() -> None:
    bus = MemoryBus()
    sub = bus.subscribe("obs.b15.plc.fan", name="test")
    async with running(command_peer()) as peer:
        connector = connector_for(peer, bus)
        await connector.write("b15.plc.fan", True)
        assert await peer.values(1, 0) == [True]
        assert [r.function for r in peer.requests] == [5, 1]  # write coil, then read it back
        confirmed = await next_observation(sub, lambda o: True)
        assert confirmed.value is True
        assert confirmed.quality is Quality.GOOD
        await connector.write("b15.plc.fan", False)
        assert await peer.values(1, 0) == [False]
        assert connector.stats()["writes"] == 2


async def test_writes_registers_with_scale_and_word_order() -> None:
    bus = MemoryBus()
    sub = bus.subscribe("obs.>", name="test")
    async with running(command_peer()) as peer:
        connector = connector_for(peer, bus)
        await connector.write("b15.plc.speed", 55)
        await connector.write("b15.plc.setpoint", 21.5)  # scale 0.1: raw 215
        await connector.write("b15.plc.flow_sp", 12.75)
        assert await peer.values(3, 1, 2) == [55, 215]
        high, low = struct.unpack(">HH", struct.pack(">f", 12.75))
        assert await peer.values(3, 4, 2) == [low, high]  # little word order
        writes = [r for r in peer.requests if r.function in (6, 16)]
        assert [(w.function, w.address, w.count) for w in writes] == [
            (6, 1, 1),
            (6, 2, 1),
            (16, 4, 2),
        ]
        setpoint = await next_observation(sub, lambda o: o.point == "b15.plc.setpoint")
        assert setpoint.value == pytest.approx(21.5)
        flow = await next_observation(sub, lambda o: o.point == "b15.plc.flow_sp")
        assert flow.value == pytest.approx(12.75)


async def test_writes_one_bit_of_a_register_by_read_modify_write() -> None:
    async with running(command_peer()) as peer:
        connector = connector_for(peer)
        await connector.write("b15.plc.enable", False)
        await connector.write("b15.plc.mode", True)
        (register,) = await peer.values(3, 6)
        assert register == 0b1010_0000_0000_1100  # bit 0 cleared, bit 3 set, the rest kept
        kinds = [(r.function, r.address) for r in peer.requests]
        assert kinds == [(3, 6), (6, 6), (3, 6)] * 2  # read, write, read back
        mode = await connector.read("b15.plc.mode")
        assert mode is not None
        assert mode.value is True


@pytest.mark.parametrize(
    ("point_id", "value", "why"),
    [
        ("b15.plc.temp", 20, r"function 4 \(input registers\)"),
        ("b15.plc.alarm", True, r"function 2 \(discrete inputs\)"),
        ("b15.plc.count", 3, "not writable"),
        ("b15.plc.speed", 120, "above the point's maximum 100"),
        ("b15.plc.speed", "fast", "expected a number"),
        ("b15.plc.fan", 2, "expected a bool"),
        ("b15.plc.raw", 70000, "outside the uint16 range 0..65535"),
        ("b15.plc.raw", -1, "outside the uint16 range"),
        ("b15.plc.setpoint", 7000, "raw value 70000"),
        ("b15.other.thing", 1, "not a point of connector modbus"),
    ],
)
async def test_refused_commands_never_reach_the_device(
    point_id: str, value: object, why: str
) -> None:
    async with running(command_peer()) as peer:
        connector = connector_for(peer)
        with pytest.raises(CommandRejected, match=why):
            await connector.write(point_id, value)  # type: ignore[arg-type]
        assert peer.requests == []
        assert connector.stats()["commands_rejected"] == 1


async def test_relinquish_explains_that_modbus_has_no_priorities() -> None:
    async with running(command_peer()) as peer:
        connector = connector_for(peer)
        with pytest.raises(CommandRejected, match="no priority array"):
            await connector.relinquish("b15.plc.speed", 8)
        assert peer.requests == []


async def test_a_write_the_device_refuses_raises_its_reason() -> None:
    async with running(command_peer()) as peer:
        connector = connector_for(peer)
        peer.refuse_writes = ExcCodes.ILLEGAL_VALUE
        with pytest.raises(ConnectorError, match=r"illegal data value \(exception 3\)"):
            await connector.write("b15.plc.speed", 50)
        assert await peer.values(3, 1) == [10]
        assert connector.stats()["exception_responses"] == 1


async def test_a_command_during_a_poll_waits_its_turn_and_both_succeed() -> None:
    bus = MemoryBus()
    sub = bus.subscribe("obs.b15.plc.speed", name="test")
    async with running(command_peer()) as peer:
        connector = connector_for(peer, bus)
        peer.delay_s = 0.05  # each answer takes a while: a poll spans several of them
        async with running_connector(connector):
            await peer.wait_requests(1)  # a poll is under way
            await connector.write("b15.plc.speed", 77)
            assert await peer.values(3, 1) == [77]
            await next_observation(sub, lambda o: o.value == 77)
            polls = len(peer.reads(3))
            await peer.wait_requests(len(peer.requests) + 3)  # polling goes on after it
        assert len(peer.reads(3)) > polls
        assert peer.peak_in_flight == 1  # the server never had two requests at once
        assert connector.stats()["max_in_flight"] == 1
        assert connector.stats()["writes"] == 1
        assert connector.stats()["errors"] == 0


async def test_writes_go_out_while_another_command_waits() -> None:
    async with running(command_peer()) as peer:
        connector = connector_for(peer)
        peer.delay_s = 0.02
        await asyncio.gather(
            connector.write("b15.plc.enable", False),
            connector.write("b15.plc.mode", True),
            connector.write("b15.plc.speed", 3),
        )
        (register,) = await peer.values(3, 6)
        assert register == 0b1010_0000_0000_1100  # each read-modify-write kept the other's bit
        assert peer.peak_in_flight == 1
