"""Device health: the tracker's state machine, its reports on the bus, and health points."""

from __future__ import annotations

import asyncio

import pytest

from penworks.bus import MemoryBus
from penworks.connectors import DeviceHealth, DeviceState
from penworks.connectors.health import DeviceHealthTracker, HealthConnector, health_value
from penworks.core import CommandRejected, Observation, Point, PointKind, UnknownPointError
from penworks.model.schema import HealthBinding
from tests.unit.connectors.support import FixedClock


@pytest.fixture
def bus() -> MemoryBus:
    return MemoryBus()


async def test_a_device_starts_offline_and_answers_make_it_online(bus: MemoryBus) -> None:
    reports = bus.subscribe("health.>", name="t")
    tracker = DeviceHealthTracker("modbus", bus, FixedClock(), ["pm1"])
    assert tracker.device("pm1").state is DeviceState.OFFLINE
    assert tracker.state() is DeviceState.OFFLINE
    await tracker.success("pm1", latency_s=0.0042)
    health = tracker.device("pm1")
    assert (health.state, health.latency_ms, health.errors) == (DeviceState.ONLINE, 4.2, 0)
    assert health.last_contact is not None
    subject, message = (await reports.batch(10))[0]
    assert subject == "health.modbus"
    assert isinstance(message, dict)
    assert DeviceHealth.from_json(message) == health


async def test_failures_degrade_then_take_offline_and_success_restores(bus: MemoryBus) -> None:
    tracker = DeviceHealthTracker("modbus", bus, FixedClock(), ["pm1"], offline_after=3)
    await tracker.success("pm1", 0.001)
    states = []
    for _ in range(3):
        await tracker.failure("pm1", "timeout")
        states.append(tracker.device("pm1").state)
    assert states == [DeviceState.DEGRADED, DeviceState.DEGRADED, DeviceState.OFFLINE]
    assert tracker.device("pm1").errors == 3
    assert tracker.device("pm1").detail == "timeout"
    await tracker.success("pm1", 0.002)
    assert tracker.device("pm1").state is DeviceState.ONLINE
    assert tracker.device("pm1").errors == 3  # errors count since start, not since recovery


async def test_each_device_goes_offline_after_its_own_count(bus: MemoryBus) -> None:
    tracker = DeviceHealthTracker("modbus", bus, FixedClock(), offline_after=3)
    tracker.add("quick", offline_after=1)
    tracker.add("usual")
    for device in ("quick", "usual"):
        await tracker.success(device)
        await tracker.failure(device, "timeout")
    assert tracker.device("quick").state is DeviceState.OFFLINE
    assert tracker.device("usual").state is DeviceState.DEGRADED
    with pytest.raises(ValueError, match="at least 1"):
        tracker.add("never", offline_after=0)


async def test_a_failure_of_an_offline_device_keeps_it_offline(bus: MemoryBus) -> None:
    tracker = DeviceHealthTracker("bacnet", bus, FixedClock(), ["1501"], offline_after=5)
    await tracker.failure("1501", "no I-Am")
    assert tracker.device("1501").state is DeviceState.OFFLINE


async def test_degraded_counts_an_error_but_keeps_contact(bus: MemoryBus) -> None:
    clock = FixedClock()
    tracker = DeviceHealthTracker("opcua", bus, clock, ["lifts"])
    await tracker.degraded("lifts", "2 nodes BadNodeIdUnknown", latency_s=0.01)
    health = tracker.device("lifts")
    assert (health.state, health.errors, health.latency_ms) == (DeviceState.DEGRADED, 1, 10.0)
    assert health.last_contact == clock.at


async def test_the_connector_state_aggregates_its_devices(bus: MemoryBus) -> None:
    tracker = DeviceHealthTracker("modbus", bus, FixedClock(), ["a", "b"])
    await tracker.success("a")
    assert tracker.state() is DeviceState.DEGRADED  # one online, one offline
    waiting = asyncio.create_task(tracker.wait_state(DeviceState.ONLINE))
    await asyncio.sleep(0)
    assert not waiting.done()
    await tracker.success("b")
    await asyncio.wait_for(waiting, 1)
    assert tracker.state() is DeviceState.ONLINE


async def test_offline_is_immediate(bus: MemoryBus) -> None:
    tracker = DeviceHealthTracker("opcua", bus, FixedClock(), ["s"], offline_after=3)
    await tracker.success("s")
    await tracker.offline("s", "connection closed")
    assert tracker.device("s").state is DeviceState.OFFLINE
    await asyncio.wait_for(tracker.wait_device("s", DeviceState.OFFLINE), 1)


@pytest.mark.parametrize(
    ("field", "online", "offline"),
    [
        ("online", True, False),
        ("comm_loss", False, True),
        ("state", "online", "offline"),
        ("errors", 0, 1),
        ("latency_ms", 5.0, 5.0),
    ],
)
def test_health_values(field: str, online: object, offline: object) -> None:
    up = DeviceHealth("m", "d", DeviceState.ONLINE, None, 0, 5.0)
    down = DeviceHealth("m", "d", DeviceState.OFFLINE, None, 1, 5.0)
    assert health_value(up, field) == online  # type: ignore[arg-type]
    assert health_value(down, field) == offline  # type: ignore[arg-type]


def health_point(point_id: str, field: str, device: str = "pm1") -> tuple[Point, HealthBinding]:
    kind = PointKind.BOOL if field in ("online", "comm_loss") else PointKind.NUMBER
    binding = HealthBinding(connector="health", source="modbus", device=device, field=field)  # type: ignore[arg-type]
    return Point(point_id, "Communication_Loss_Alarm", kind=kind), binding


async def test_health_points_follow_the_reports(bus: MemoryBus) -> None:
    observations = bus.subscribe("obs.>", name="t")
    points = [
        health_point("b15.pm1.comm_loss", "comm_loss"),
        health_point("b15.pm1.errors", "errors"),
        health_point("b15.pm2.comm_loss", "comm_loss", device="pm2"),
    ]
    clock = FixedClock()
    connector = HealthConnector(points, bus, clock)
    task = asyncio.create_task(connector.run())
    tracker = DeviceHealthTracker("modbus", bus, clock, ["pm1", "pm2"], offline_after=1)
    other = DeviceHealthTracker("bacnet", bus, clock, ["pm1"])  # same device name, other source
    await tracker.success("pm1")
    await tracker.failure("pm1", "timeout")
    await other.success("pm1")
    got: list[Observation] = []
    async with asyncio.timeout(2):
        while len(got) < 4:
            got += [m for _, m in await observations.batch(10) if isinstance(m, Observation)]
    task.cancel()
    assert [(o.point, o.value) for o in got] == [
        ("b15.pm1.comm_loss", False),
        ("b15.pm1.errors", 0),
        ("b15.pm1.comm_loss", True),
        ("b15.pm1.errors", 1),
    ]
    assert (await connector.read("b15.pm1.comm_loss")) == got[2]
    assert await connector.read("b15.pm2.comm_loss") is None
    assert connector.stats()["reports"] == 3


async def test_health_points_refuse_commands_and_unknown_points(bus: MemoryBus) -> None:
    connector = HealthConnector([health_point("b15.pm1.online", "online")], bus, FixedClock())
    with pytest.raises(CommandRejected, match="read-only"):
        await connector.write("b15.pm1.online", True)
    with pytest.raises(UnknownPointError):
        await connector.read("b15.nope")


async def test_malformed_reports_are_counted_not_fatal(bus: MemoryBus) -> None:
    observations = bus.subscribe("obs.>", name="t")
    connector = HealthConnector([health_point("b15.pm1.online", "online")], bus, FixedClock())
    task = asyncio.create_task(connector.run())
    await bus.publish("health.modbus", {"device": "pm1"})
    tracker = DeviceHealthTracker("modbus", bus, FixedClock(), ["pm1"])
    await tracker.success("pm1")  # its observation comes after the malformed one is handled
    async with asyncio.timeout(2):
        await observations.batch(1)
    task.cancel()
    assert connector.stats()["malformed"] == 1
