"""The BACnet connector against bacpypes3 devices on loopback: reads, writes, refusals, errors."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from penworks.bus import MemoryBus, dead_letter_subject
from penworks.connectors import DeviceState
from penworks.core import CommandRejected, ConnectorError, DeadLetter, PointKind, Quality
from tests.unit.connectors.bacnet.peer import PeerDevice
from tests.unit.connectors.bacnet.support import (
    binding,
    connector,
    device_config,
    devices,
    free_port,
    observation,
    point,
    running,
)
from tests.unit.connectors.support import eventually, next_message

pytestmark = pytest.mark.integration

A, B = 1501, 1502


@pytest.fixture
async def pair() -> AsyncIterator[tuple[PeerDevice, PeerDevice]]:
    async with devices(PeerDevice(A, free_port()), PeerDevice(B, free_port())) as peers:
        yield peers[0], peers[1]


def polled_points() -> list:  # type: ignore[type-arg]
    return [
        (point("a.zone_temp"), binding(A, "analog-input,1")),
        (point("a.fan_status", PointKind.BOOL), binding(A, "binary-input,1")),
        (point("a.mode"), binding(A, "multi-state-value,1")),
        (point("b.zone_temp"), binding(B, "analog-input,1")),
        (point("b.co2"), binding(B, "analog-input,2")),
    ]


async def test_polls_both_devices_with_read_property_multiple(
    pair: tuple[PeerDevice, PeerDevice],
) -> None:
    a, b = pair
    b["analog-input,1"].presentValue = 19.25
    bus = MemoryBus()
    sub = bus.subscribe("obs.>", name="test", maxsize=10_000)
    bacnet = connector([device_config(a), device_config(b)], polled_points(), bus)
    async with running(bacnet):
        assert (await observation(sub, "a.zone_temp")).value == 21.5
        assert (await observation(sub, "b.zone_temp")).value == 19.25
        assert (await observation(sub, "a.fan_status")).value is False
        mode = await observation(sub, "a.mode")
        assert mode.value == 1
        assert mode.quality is Quality.GOOD
        a["binary-input,1"].presentValue = "active"
        assert (await observation(sub, "a.fan_status", lambda o: o.value is True)).value is True
        stats = bacnet.stats()
        health = {h.device: h for h in bacnet.health()}
    assert stats["requests.read_property_multiple"] >= 2
    assert stats["requests.read_property"] == 0
    assert set(health) == {"1501", "1502"}
    assert all(h.state is DeviceState.ONLINE and h.latency_ms for h in health.values())


async def test_read_polls_the_device_now(pair: tuple[PeerDevice, PeerDevice]) -> None:
    a, _ = pair
    points = [(point("a.zone_temp"), binding(A, "analog-input,1"))]
    bacnet = connector([device_config(a, poll_s=60)], points, MemoryBus())
    async with running(bacnet):
        a["analog-input,1"].presentValue = 23.75
        fresh = await bacnet.read("a.zone_temp")
    assert fresh is not None
    assert fresh.value == 23.75


async def test_status_flags_and_out_of_service_set_the_quality(
    pair: tuple[PeerDevice, PeerDevice],
) -> None:
    a, _ = pair
    sensor = a["analog-input,1"]
    points = [(point("a.zone_temp"), binding(A, "analog-input,1"))]
    bacnet = connector([device_config(a, poll_s=60)], points, MemoryBus())
    async with running(bacnet):
        sensor.eventState = "high-limit"  # in alarm: a real value
        assert (await bacnet.read("a.zone_temp")).quality is Quality.GOOD  # type: ignore[union-attr]
        sensor.outOfService = True
        assert (await bacnet.read("a.zone_temp")).quality is Quality.UNCERTAIN  # type: ignore[union-attr]
        sensor.reliability = "unreliable-other"  # fault
        faulty = await bacnet.read("a.zone_temp")
        sensor.outOfService = False
        sensor.reliability = "no-fault-detected"
        sensor.eventState = "normal"
        healthy = await bacnet.read("a.zone_temp")
    assert faulty is not None
    assert faulty.quality is Quality.BAD
    assert faulty.value == 21.5
    assert healthy is not None
    assert healthy.quality is Quality.GOOD


async def test_write_at_a_priority_then_relinquish(pair: tuple[PeerDevice, PeerDevice]) -> None:
    a, _ = pair
    damper = a["analog-output,1"]
    points = [
        (point("a.damper", writable=True, min=0, max=100), binding(A, "analog-output,1")),
        (point("a.fan_cmd", PointKind.BOOL, writable=True), binding(A, "binary-output,1",
                                                                    write_priority=10)),
        (point("a.sat_sp", writable=True), binding(A, "analog-value,2")),
    ]  # fmt: skip
    bus = MemoryBus()
    sub = bus.subscribe("obs.>", name="test", maxsize=10_000)
    bacnet = connector([device_config(a, poll_s=60)], points, bus)
    async with running(bacnet):
        await bacnet.write("a.damper", 42.5, priority=8)
        assert a.priority_slot("analog-output,1", 8) == 42.5
        assert damper.presentValue == 42.5
        assert (await observation(sub, "a.damper", lambda o: o.value == 42.5)).value == 42.5
        await bacnet.write("a.damper", 80, priority=12)  # lower priority: 8 still wins
        assert a.priority_slot("analog-output,1", 12) == 80.0
        assert damper.presentValue == 42.5
        await bacnet.relinquish("a.damper", priority=8)
        assert a.priority_slot("analog-output,1", 8) is None
        assert damper.presentValue == 80.0
        await bacnet.relinquish("a.damper", priority=12)
        assert damper.presentValue == damper.relinquishDefault == 0.0
        back = await observation(sub, "a.damper", lambda o: o.value == 0.0)
        await bacnet.write("a.fan_cmd", True)  # the binding's priority
        assert str(a.priority_slot("binary-output,1", 10)) == "active"
        await bacnet.write("a.sat_sp", 13.0, priority=9)
        assert a.priority_slot("analog-value,2", 9) == 13.0
        stats = bacnet.stats()
    assert back.quality is Quality.GOOD
    assert (stats["writes"], stats["relinquishes"]) == (4, 2)


async def test_commands_refused_before_they_reach_the_device(
    pair: tuple[PeerDevice, PeerDevice],
) -> None:
    a, _ = pair
    points = [
        (point("a.zone_temp", writable=True), binding(A, "analog-input,1")),
        (point("a.damper", writable=True, min=0, max=100), binding(A, "analog-output,1")),
        (point("a.damper_ro"), binding(A, "analog-output,1", property="relinquish-default")),
        (point("a.zone_sp", writable=True), binding(A, "analog-value,1")),
        (point("a.fan_cmd", PointKind.BOOL, writable=True), binding(A, "binary-output,1")),
    ]
    bacnet = connector([device_config(a, poll_s=60)], points, MemoryBus())
    refusals = {
        ("a.zone_temp", 20.0, None): "is an input",
        ("a.damper", 120.0, None): "above the point's maximum",
        ("a.damper", "open", None): "expected a number",
        ("a.damper", 50.0, 0): "priority must be 1..16",
        ("a.damper", 50.0, 6): "reserved for minimum on/off",
        ("a.damper_ro", 50.0, None): "the point is not writable",
        ("a.fan_cmd", 3, None): "expected a bool",
        ("b.nowhere", 1.0, None): "not a point of connector bacnet",
        ("a.zone_sp", 21.0, None): "has no priority-array",
    }
    async with running(bacnet):
        for (point_id, value, priority), why in refusals.items():
            with pytest.raises(CommandRejected, match=why):
                await bacnet.write(point_id, value, priority)
        with pytest.raises(CommandRejected, match="is an input"):
            await bacnet.relinquish("a.zone_temp")
        stats = bacnet.stats()
    assert stats["requests.write_property"] == 0
    assert a["analog-input,1"].presentValue == 21.5
    assert a["analog-value,1"].presentValue == 22.0


async def test_device_errors_become_connector_errors_and_bad_quality(
    pair: tuple[PeerDevice, PeerDevice],
) -> None:
    a, _ = pair
    points = [
        (point("a.locked", writable=True), binding(A, "analog-value,3")),
        (point("a.ghost_cmd", writable=True), binding(A, "analog-output,99")),
        (point("a.co2"), binding(A, "analog-input,2")),
        (point("a.zone_temp"), binding(A, "analog-input,1")),
    ]
    bus = MemoryBus()
    sub = bus.subscribe("obs.a.co2", name="test", maxsize=10_000)
    bacnet = connector([device_config(a)], points, bus)
    async with running(bacnet, DeviceState.DEGRADED):  # analog-output,99 is not there
        with pytest.raises(ConnectorError, match="write-access-denied"):
            await bacnet.write("a.locked", 7.0)
        with pytest.raises(ConnectorError, match="unknown-object"):
            await bacnet.write("a.ghost_cmd", 1.0)
        assert (await observation(sub, "a.co2")).quality is Quality.GOOD
        a.remove("analog-input,2")  # now an unknown object: the last value goes bad
        gone = await observation(sub, "a.co2", lambda o: o.quality is Quality.BAD)
        (health,) = bacnet.health()
        stats = bacnet.stats()
    assert gone.value == 450.0
    assert health.state is DeviceState.DEGRADED
    assert "unknown-object" in health.detail
    assert stats["write_errors"] == 2
    assert stats["errors"] >= 2


async def test_values_that_do_not_fit_become_dead_letters(
    pair: tuple[PeerDevice, PeerDevice],
) -> None:
    a, _ = pair
    points = [
        (point("a.zone_name"), binding(A, "analog-input,1", property="object-name")),
        (point("a.zone_temp"), binding(A, "analog-input,1")),
    ]
    bus = MemoryBus()
    dead = bus.subscribe(dead_letter_subject("bacnet"), name="dead", maxsize=10_000)
    obs = bus.subscribe("obs.>", name="obs", maxsize=10_000)
    bacnet = connector([device_config(a)], points, bus)
    async with running(bacnet):
        _, letter = await next_message(dead)
        assert (await observation(obs, "a.zone_temp")).value == 21.5  # the rest goes on
        await eventually(lambda: bacnet.stats()["dead_letters"] >= 2)
    assert isinstance(letter, DeadLetter)
    assert (letter.source, letter.channel) == ("bacnet", "1501/analog-input,1/object-name")
    assert "expected a number" in letter.reason
    assert letter.payload == b"CharacterString Zone Temp"


async def test_a_device_without_read_property_multiple_is_read_singly() -> None:
    async with devices(PeerDevice(A, free_port(), rpm=False)) as (a,):
        points = [
            (point("a.zone_temp"), binding(A, "analog-input,1")),
            (point("a.fan_status", PointKind.BOOL), binding(A, "binary-input,1")),
        ]
        bus = MemoryBus()
        sub = bus.subscribe("obs.>", name="test", maxsize=10_000)
        bacnet = connector([device_config(a)], points, bus)
        async with running(bacnet):
            a["analog-input,1"].presentValue = 30.0
            assert (await observation(sub, "a.zone_temp", lambda o: o.value == 30.0)).value == 30
            assert (await observation(sub, "a.fan_status")).value is False
            stats = bacnet.stats()
    assert stats["requests.read_property_multiple"] == 1  # rejected once, not asked again
    assert stats["requests.read_property"] >= 4


async def test_batches_shrink_to_what_the_device_takes() -> None:
    async with devices(PeerDevice(A, free_port(), rpm=2)) as (a,):
        points = [(point(f"a.p{i}"), binding(A, obj)) for i, obj in enumerate(
            ["analog-input,1", "analog-input,2", "analog-output,1", "analog-value,1",
             "analog-value,2"]
        )]  # fmt: skip
        bus = MemoryBus()
        sub = bus.subscribe("obs.>", name="test", maxsize=10_000)
        bacnet = connector([device_config(a, poll_s=60)], points, bus)
        async with running(bacnet):
            seen = {(await observation(sub, f"a.p{i}")).point for i in range(5)}
            stats = bacnet.stats()
    assert len(seen) == 5
    # one refused for five objects, then two objects a request: 2 + 2 + 1, never singly
    assert stats["requests.read_property_multiple"] == 4
    assert stats["requests.read_property"] == 0
