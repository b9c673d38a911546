"""Faults from pymodbus's own TCP server: exception codes, silence, a server gone and back."""

from __future__ import annotations

import pytest
from pymodbus.constants import ExcCodes

from penworks.bus import MemoryBus
from penworks.connectors import DeviceHealth, DeviceState
from penworks.connectors.modbus import ModbusConnector
from penworks.core import Observation, Quality, RealClock
from tests.unit.connectors.modbus.support import Peer, binding, config, point, running
from tests.unit.connectors.support import eventually, next_observation, running_connector

pytestmark = pytest.mark.integration

NEIGHBOURS = [
    (point("b15.plc.a"), binding(10)),
    (point("b15.plc.b"), binding(11)),
    (point("b15.plc.c"), binding(12)),
]


def health(connector: ModbusConnector, device: str = "plc") -> DeviceHealth:
    return next(h for h in connector.health() if h.device == device)


def state(connector: ModbusConnector, device: str = "plc") -> DeviceState:
    return health(connector, device).state


def latest(observations: list[Observation]) -> dict[str, Observation]:
    return {o.point: o for o in observations}


async def drain(sub: object) -> list[Observation]:
    items = await sub.batch(1000)  # type: ignore[attr-defined]
    return [m for _, m in items if isinstance(m, Observation)]


async def test_illegal_address_in_a_block_takes_down_only_the_bad_register() -> None:
    bus = MemoryBus()
    sub = bus.subscribe("obs.>", name="test")
    async with running(Peer(holding={10: [1, 2, 3]})) as peer:
        connector = ModbusConnector(config(peer.device()), NEIGHBOURS, bus, RealClock())
        poller = connector.pollers["plc"]
        assert await poller.poll()
        assert len(poller.blocks) == 1
        await drain(sub)
        peer.refuse[(3, 11)] = ExcCodes.ILLEGAL_ADDRESS
        peer.requests.clear()
        assert await poller.poll()  # answered, though not everything: degraded, not failed
        after = latest(await drain(sub))
        assert after["b15.plc.a"].quality is Quality.GOOD
        assert after["b15.plc.c"].quality is Quality.GOOD
        assert after["b15.plc.b"].quality is Quality.BAD
        assert after["b15.plc.b"].value == 2  # its last known value
        # the block, then each register alone
        assert [(r.address, r.count) for r in peer.reads()] == [(10, 3), (10, 1), (11, 1), (12, 1)]
        assert poller.bad_registers == {(3, 11)}
        assert state(connector) is DeviceState.DEGRADED
        assert "illegal data address (exception 2)" in connector.health()[0].detail
        assert connector.stats()["fallbacks"] == 1
        # From now on the bad register is read alone and the good ones are not held back.
        peer.requests.clear()
        assert await poller.poll()
        assert sorted((r.address, r.count) for r in peer.reads()) == [(10, 1), (11, 1), (12, 1)]
        assert "b15.plc.b" not in latest(await drain(sub))  # said bad once, not again
        # The register comes back: it rejoins its neighbours.
        del peer.refuse[(3, 11)]
        assert await poller.poll()
        assert latest(await drain(sub))["b15.plc.b"].quality is Quality.GOOD
        assert poller.bad_registers == frozenset()
        assert len(poller.blocks) == 1
        assert state(connector) is DeviceState.ONLINE


async def test_illegal_address_in_a_gap_stops_reading_over_the_gap() -> None:
    points = [(point("b15.plc.a"), binding(0)), (point("b15.plc.b"), binding(3))]
    async with running(Peer(holding={0: [5], 3: [6]})) as peer:  # 1 and 2 do not exist
        connector = ModbusConnector(
            config(peer.device(max_gap=4)), points, MemoryBus(), RealClock()
        )
        poller = connector.pollers["plc"]
        assert [(b.start, b.count) for b in poller.blocks] == [(0, 4)]
        assert await poller.poll()
        assert state(connector) is DeviceState.ONLINE  # both points answered alone
        assert [(b.start, b.count) for b in poller.blocks] == [(0, 1), (3, 1)]
        a, b = await connector.read("b15.plc.a"), await connector.read("b15.plc.b")
        assert a is not None
        assert b is not None
        assert (a.value, b.value) == (5, 6)


async def test_device_failure_marks_the_block_bad_without_falling_back() -> None:
    bus = MemoryBus()
    sub = bus.subscribe("obs.>", name="test")
    async with running(Peer(holding={10: [1, 2, 3]})) as peer:
        connector = ModbusConnector(config(peer.device()), NEIGHBOURS, bus, RealClock())
        poller = connector.pollers["plc"]
        assert await poller.poll()
        await drain(sub)
        peer.refuse[(3, 12)] = ExcCodes.DEVICE_FAILURE
        peer.requests.clear()
        assert await poller.poll()
        after = latest(await drain(sub))
        assert {o.quality for o in after.values()} == {Quality.BAD}
        assert len(after) == 3
        assert len(peer.reads()) == 1
        assert state(connector) is DeviceState.DEGRADED
        assert "server device failure (exception 4)" in connector.health()[0].detail


async def test_a_silent_device_goes_degraded_then_offline_then_online_again() -> None:
    bus = MemoryBus()
    sub = bus.subscribe("obs.>", name="test")
    health = bus.subscribe("health.modbus", name="health")
    async with running(Peer(holding={10: [1, 2, 3]})) as peer:
        device = peer.device(timeout_s=0.15, offline_after=2)
        connector = ModbusConnector(config(device), NEIGHBOURS, bus, RealClock())
        async with running_connector(connector):
            await connector.wait_state(DeviceState.ONLINE)
            peer.hang()
            bad = await next_observation(sub, lambda o: o.quality is Quality.BAD)
            assert bad.value in (1, 2, 3)
            await eventually(lambda: state(connector) is DeviceState.OFFLINE)
            assert "no answer" in connector.health()[0].detail
            peer.answer()
            await connector.wait_state(DeviceState.ONLINE)
            good = await next_observation(sub, lambda o: o.quality is Quality.GOOD)
            assert good.point in {p.id for p, _ in NEIGHBOURS}
    states = [m["state"] for _, m in await health.batch(10_000) if isinstance(m, dict)]
    assert "degraded" in states
    first_offline = states.index("offline", states.index("degraded"))
    assert "online" in states[first_offline:]
    assert connector.stats()["link_failures"] >= 2


async def test_a_stopped_server_is_offline_until_it_comes_back_on_its_port() -> None:
    bus = MemoryBus()
    sub = bus.subscribe("obs.>", name="test")
    peer = Peer(holding={10: [1, 2, 3]})
    connector = ModbusConnector(config(peer.device()), NEIGHBOURS, bus, RealClock())
    async with running_connector(connector):
        async with running(peer):
            await connector.wait_state(DeviceState.ONLINE)
        await connector.wait_state(DeviceState.OFFLINE)
        await next_observation(sub, lambda o: o.quality is Quality.BAD)
        connects = connector.stats()["connects"]
        async with running(peer):  # the same port, a new server
            await connector.wait_state(DeviceState.ONLINE)
            await next_observation(sub, lambda o: o.quality is Quality.GOOD)
    assert connector.stats()["connects"] > connects
    assert connector.health()[0].errors >= 2


async def test_one_dead_device_does_not_hold_up_another() -> None:
    bus = MemoryBus()
    points = [
        (point("b15.dead.a"), binding(0, device="dead")),
        (point("b15.live.a"), binding(0, device="live")),
    ]
    async with running(Peer(holding={0: [1]})) as dead, running(Peer(holding={0: [2]})) as live:
        dead.hang()
        devices = (dead.device("dead", timeout_s=0.25), live.device("live", poll_s=0.02))
        connector = ModbusConnector(config(*devices), points, bus, RealClock())
        async with running_connector(connector):
            await live.wait_requests(3)
            assert state(connector, "live") is DeviceState.ONLINE
            await eventually(lambda: health(connector, "dead").errors >= 2)
            assert state(connector, "dead") is DeviceState.OFFLINE
            answered = len(live.requests)
            await live.wait_requests(answered + 5)  # still polled at its own pace
        assert len(dead.requests) >= 2
        assert state(connector, "live") is DeviceState.ONLINE
        assert connector.stats()["max_in_flight"] == 1


async def test_points_never_read_are_not_published_bad() -> None:
    bus = MemoryBus()
    sub = bus.subscribe("obs.>", name="test")
    peer = Peer(holding={10: [1, 2, 3]})  # never started: nothing listens on its port
    connector = ModbusConnector(config(peer.device()), NEIGHBOURS, bus, RealClock())
    async with running_connector(connector):
        await eventually(lambda: connector.health()[0].errors >= 3)
    assert state(connector) is DeviceState.OFFLINE
    assert "cannot connect" in connector.health()[0].detail
    assert sub.stats().depth == 0
    assert await connector.read("b15.plc.a") is None
