"""The Modbus connector polls pymodbus's own TCP server: every type, coalescing, read()."""

from __future__ import annotations

import struct

import pytest

from penworks.bus import MemoryBus
from penworks.connectors import DeviceState
from penworks.connectors.modbus import ModbusConnector
from penworks.core import DeadLetter, Observation, PointKind, Quality, RealClock
from tests.unit.connectors.modbus.support import Peer, binding, config, point, running
from tests.unit.connectors.support import next_observation, running_connector

pytestmark = pytest.mark.integration


def words(fmt: str, value: float) -> list[int]:
    data = struct.pack(fmt, value)
    return [int.from_bytes(data[i : i + 2], "big") for i in range(0, len(data), 2)]


def swapped(registers: list[int]) -> list[int]:
    return [((r & 0xFF) << 8) | (r >> 8) for r in registers]


# Registers as a device would hold them, and the value each binding must read from them.
HOLDING = [
    *words(">h", -1234),  # 0 int16
    *words(">H", 54321),  # 1 uint16
    *words(">i", -70000),  # 2-3 int32, big word order
    *reversed(words(">i", -70000)),  # 4-5 int32, little word order
    *words(">I", 3_000_000_000),  # 6-7 uint32
    *words(">f", 21.5),  # 8-9 float32
    *reversed(words(">f", -0.25)),  # 10-11 float32, little word order
    *swapped(words(">f", 1.5)),  # 12-13 float32, bytes swapped in each word
    *words(">d", 1234.5678),  # 14-17 float64
    0b0000_0000_0010_0100,  # 18: bits 2 and 5 set
    215,  # 19: 21.5 with scale 0.1
    *swapped(words(">H", 0x1234)),  # 20 uint16, little byte order
]
TYPED = [
    ("int16", binding(0, type="int16"), -1234),
    ("uint16", binding(1), 54321),
    ("int32", binding(2, type="int32"), -70000),
    ("int32_lw", binding(4, type="int32", word_order="little"), -70000),
    ("uint32", binding(6, type="uint32"), 3_000_000_000),
    ("float32", binding(8, type="float32"), 21.5),
    ("float32_lw", binding(10, type="float32", word_order="little"), -0.25),
    ("float32_lb", binding(12, type="float32", byte_order="little"), 1.5),
    ("float64", binding(14, type="float64"), 1234.5678),
    ("bit2", binding(18, type="bit", bit=2), True),
    ("bit3", binding(18, type="bit", bit=3), False),
    ("scaled", binding(19, scale=0.1, offset=0.0), 21.5),
    ("uint16_lb", binding(20, byte_order="little"), 0x1234),
    ("input", binding(0, function=4, scale=2.0, offset=-1.0), 2 * 40 - 1.0),
    ("coil", binding(1, function=1, type="bit"), True),
    ("input_bit", binding(2, function=2, type="bit"), 1),  # a bit read into a number point
]


def typed_peer() -> Peer:
    return Peer(
        holding={0: HOLDING},
        inputs={0: [40, 41]},
        coils={0: [False, True] + [False] * 14},
        discrete={0: [False, False, True] + [False] * 13},
    )


def typed_points() -> list[tuple[object, object]]:
    kinds = {"bit2": PointKind.BOOL, "bit3": PointKind.BOOL, "coil": PointKind.BOOL}
    return [
        (point(f"b15.plc.{name}", kinds.get(name, PointKind.NUMBER)), b) for name, b, _ in TYPED
    ]


async def test_every_type_and_order_is_decoded_from_the_server() -> None:
    bus = MemoryBus()
    sub = bus.subscribe("obs.>", name="test")
    async with running(typed_peer()) as peer:
        connector = ModbusConnector(config(peer.device()), typed_points(), bus, RealClock())  # type: ignore[arg-type]
        assert await connector.pollers["plc"].poll()
    seen: dict[str, Observation] = {}
    while len(seen) < len(TYPED):
        found = await next_observation(sub, lambda o: True)
        seen[found.point] = found
    for name, _, expected in TYPED:
        found = seen[f"b15.plc.{name}"]
        assert found.quality is Quality.GOOD
        assert found.value == pytest.approx(expected), name
    assert seen["b15.plc.bit2"].value is True
    assert connector.health()[0].state is DeviceState.ONLINE
    assert connector.health()[0].latency_ms is not None


async def test_adjacent_registers_are_read_in_one_request() -> None:
    points = [
        (point("b15.plc.a"), binding(0)),
        (point("b15.plc.b"), binding(1)),
        (point("b15.plc.c"), binding(2, type="float32")),
        (point("b15.plc.far"), binding(7)),  # three unbound registers away
        (point("b15.plc.input"), binding(0, function=4)),
    ]
    async with running(Peer(holding={0: list(range(10))}, inputs={0: [5]})) as peer:
        tight = ModbusConnector(config(peer.device()), points, MemoryBus(), RealClock())
        assert await tight.pollers["plc"].poll()
        assert [(r.function, r.address, r.count) for r in peer.reads()] == [
            (3, 0, 4),
            (3, 7, 1),
            (4, 0, 1),
        ]
        peer.requests.clear()
        loose = ModbusConnector(config(peer.device(max_gap=3)), points, MemoryBus(), RealClock())
        assert await loose.pollers["plc"].poll()
        assert [(r.function, r.address, r.count) for r in peer.reads()] == [(3, 0, 8), (4, 0, 1)]
        assert loose.stats()["reads"] == 2


async def test_polling_publishes_observations_until_stopped() -> None:
    bus = MemoryBus()
    sub = bus.subscribe("obs.>", name="test")
    points = [(point("b15.plc.temp"), binding(0, scale=0.1))]
    async with running(Peer(holding={0: [215]})) as peer:
        connector = ModbusConnector(config(peer.device()), points, bus, RealClock())
        async with running_connector(connector):
            first = await next_observation(sub, lambda o: True)
            assert first.value == pytest.approx(21.5)
            await peer.set_values(3, 0, [230])  # the device's own value changes
            changed = await next_observation(sub, lambda o: o.value != first.value)
            assert changed.value == pytest.approx(23.0)
            await connector.wait_state(DeviceState.ONLINE)
        assert connector.stats()["observations"] >= 2


async def test_read_polls_the_device_now() -> None:
    points = [(point("b15.plc.a"), binding(3)), (point("b15.plc.b"), binding(4))]
    async with running(Peer(holding={0: [0, 0, 0, 7, 8]})) as peer:
        connector = ModbusConnector(config(peer.device()), points, MemoryBus(), RealClock())
        found = await connector.read("b15.plc.a")
        assert found is not None
        assert found.value == 7
        await peer.set_values(3, 3, [9])
        again = await connector.read("b15.plc.a")
        assert again is not None
        assert again.value == 9
        assert peer.reads() == [peer.reads()[0]] * 2  # one block read each time
        assert connector.health()[0].state is DeviceState.ONLINE


async def test_values_that_do_not_convert_become_dead_letters() -> None:
    bus = MemoryBus()
    letters = bus.subscribe("deadletter.>", name="letters")
    nan = words(">f", float("nan"))
    points = [
        (point("b15.plc.flow"), binding(0, type="float32")),
        (point("b15.plc.on", PointKind.BOOL), binding(2)),  # a bool point reading 7
        (point("b15.plc.ok"), binding(3)),
    ]
    async with running(Peer(holding={0: [*nan, 7, 42]})) as peer:
        connector = ModbusConnector(config(peer.device()), points, bus, RealClock())
        assert await connector.pollers["plc"].poll()
        assert (await connector.read("b15.plc.ok")) is not None
    got = [message for _, message in await letters.batch(10)]
    assert all(isinstance(m, DeadLetter) for m in got)
    by_channel = {m.channel: m for m in got if isinstance(m, DeadLetter)}
    assert set(by_channel) == {"plc/hr/0", "plc/hr/2"}
    assert by_channel["plc/hr/0"].source == "modbus"
    assert "nan" in by_channel["plc/hr/0"].reason
    assert by_channel["plc/hr/0"].payload == struct.pack(">f", float("nan"))
    assert "expected a bool" in by_channel["plc/hr/2"].reason
    assert by_channel["plc/hr/2"].payload == b"\x00\x07"
    assert connector.stats()["dead_letters"] == 4  # two polls (poll + read's block)
    assert await connector.read("b15.plc.flow") is None
