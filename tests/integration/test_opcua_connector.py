"""The OPC UA connector against a real asyncua Server on loopback (started once per module)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence

import pytest
import pytest_asyncio
from asyncua import ua

from penworks.bus import MemoryBus
from penworks.connectors import DeviceState
from penworks.connectors.draft import draft_site
from penworks.connectors.opcua import OpcuaConnector, OpcuaConnectorConfig, discover_opcua
from penworks.core import (
    CommandRejected,
    ConnectorError,
    DeadLetter,
    Point,
    PointKind,
    Quality,
    RealClock,
    UnknownPointError,
)
from penworks.model import BrickOntology, SiteModel
from penworks.model.schema import OpcuaBinding
from tests.conftest import free_port
from tests.unit.connectors.opcua.peer import (
    Peer,
    binding,
    connector_config,
    point,
    running_peer,
)
from tests.unit.connectors.support import eventually, next_observation, reach, running_connector

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="module")]

POSITION = "b15.lift1.position"
POSITION_DEADBAND = "b15.lift1.position_deadband"
DIRECTION = "b15.lift1.direction"
DOOR = "b15.lift1.door_open"
SETPOINT = "b15.lift1.setpoint"
LOAD = "b15.lift1.load"
LOAD_MISTAKEN = "b15.lift1.load_mistaken"  # the model says writable; the node is read-only
MODE = "b15.lift1.mode"
COUNTER = "b15.lift1.counter"
LIFT2_LOAD = "b15.lift2.load"

POINTS = [
    (point(POSITION), binding("Lift1.Position")),
    (point(POSITION_DEADBAND), binding("Lift1.Position", deadband=0.5)),
    (point(DIRECTION, writable=True), binding("Lift1.Direction")),
    (point(DOOR, PointKind.BOOL, writable=True), binding("Lift1.DoorOpen")),
    (point(SETPOINT, writable=True, min=0.0, max=2.5), binding("Lift1.Setpoint")),
    (point(LOAD), binding("Lift1.Load", subscribe=False)),
    (point(LOAD_MISTAKEN, writable=True), binding("Lift1.Load", subscribe=False)),
    (point(MODE, PointKind.TEXT, writable=True), binding("Lift1.Mode")),
    (point(COUNTER, writable=True), binding("Lift1.Counter", scale=0.1)),
    (point(LIFT2_LOAD), binding("Lift2.Load")),
]


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def peer() -> AsyncIterator[Peer]:
    async with running_peer(free_port()) as started:
        yield started


def make(
    peer: Peer, points: Sequence[tuple[Point, OpcuaBinding]] = POINTS
) -> tuple[OpcuaConnector, MemoryBus]:
    bus = MemoryBus()
    return OpcuaConnector(connector_config(peer.url), points, bus, RealClock()), bus


async def test_subscription_turns_server_changes_into_observations(peer: Peer) -> None:
    connector, bus = make(peer)
    obs = bus.subscribe("obs.b15.lift1.position", name="obs")
    health = bus.subscribe("health.opcua", name="health")
    async with running_connector(connector):
        await reach(connector, DeviceState.ONLINE)
        await peer.set("Lift1.Position", 4.25)
        seen = await next_observation(obs, lambda o: o.value == 4.25)
        assert seen.point == POSITION
        assert seen.quality is Quality.GOOD
        assert seen.ts == (await peer.get("Lift1.Position")).SourceTimestamp
        [report] = connector.health()
        assert report.device == "lifts"
        assert report.state is DeviceState.ONLINE
        assert report.latency_ms is not None
        assert report.latency_ms > 0
        assert report.last_contact is not None
        assert health.stats().depth >= 1  # reports go out on the bus too
        stats = connector.stats()
        assert stats["data_changes"] >= 2
        assert stats["sessions"] == 1
        assert stats["servers_connected"] == 1


async def test_deadband_suppresses_changes_smaller_than_it(peer: Peer) -> None:
    await peer.set("Lift1.Position", 10.0)
    connector, bus = make(peer)
    plain = bus.subscribe(f"obs.{POSITION}", name="plain")
    banded = bus.subscribe(f"obs.{POSITION_DEADBAND}", name="banded")
    async with running_connector(connector):
        assert (await next_observation(banded)).value == 10.0  # the initial value
        await peer.set("Lift1.Position", 10.2)
        # The item without deadband reports the small change, so it was published ...
        await next_observation(plain, lambda o: o.value == 10.2)
        await peer.set("Lift1.Position", 11.0)
        # ... and the item with deadband 0.5 skipped it: its next value is the big change.
        assert (await next_observation(banded)).value == 11.0


async def test_polled_points_are_read_every_poll_and_on_demand(peer: Peer) -> None:
    await peer.set("Lift1.Load", 120.0)
    connector, bus = make(peer)
    obs = bus.subscribe(f"obs.{LOAD}", name="load")
    async with running_connector(connector):
        assert (await next_observation(obs)).value == 120.0
        await peer.set("Lift1.Load", 250.0)
        assert (await next_observation(obs, lambda o: o.value == 250.0)).quality is Quality.GOOD
        await peer.set("Lift1.Load", 300.0)
        now = await connector.read(LOAD)  # read at once, not at the next poll
        assert now is not None
        assert now.value == 300.0
        assert connector.stats()["polls"] >= 2
        with pytest.raises(UnknownPointError):
            await connector.read("b15.nowhere")


async def test_writes_keep_the_type_of_each_node(peer: Peer) -> None:
    await peer.set("Lift1.Direction", 0, ua.VariantType.Int32)
    connector, bus = make(peer)
    obs = bus.subscribe("obs.>", name="obs")
    async with running_connector(connector):
        await reach(connector, DeviceState.ONLINE)
        await connector.write(DIRECTION, 2.0)  # a float, but the node holds Int32
        stored = (await peer.get("Lift1.Direction")).Value
        assert stored is not None
        assert (stored.Value, stored.VariantType) == (2, ua.VariantType.Int32)
        echo = await next_observation(obs, lambda o: o.point == DIRECTION and o.value == 2)
        assert isinstance(echo.value, int)
        await connector.write(DOOR, True)
        await connector.write(MODE, "service")
        await connector.write(SETPOINT, 1.5, priority=8)  # priority is not OPC UA's: ignored
        for name, value, vtype in [
            ("Lift1.DoorOpen", True, ua.VariantType.Boolean),
            ("Lift1.Mode", "service", ua.VariantType.String),
            ("Lift1.Setpoint", 1.5, ua.VariantType.Double),
        ]:
            stored = (await peer.get(name)).Value
            assert stored is not None
            assert (stored.Value, stored.VariantType) == (value, vtype)
        await next_observation(obs, lambda o: o.point == MODE and o.value == "service")
        assert connector.stats()["writes"] == 4


async def test_writes_invert_scale_and_refuse_what_the_type_cannot_hold(peer: Peer) -> None:
    connector, bus = make(peer)
    obs = bus.subscribe(f"obs.{COUNTER}", name="counter")
    async with running_connector(connector):
        await reach(connector, DeviceState.ONLINE)
        await connector.write(COUNTER, 1.2)  # scale 0.1: the UInt16 node gets 12
        stored = (await peer.get("Lift1.Counter")).Value
        assert stored is not None
        assert (stored.Value, stored.VariantType) == (12, ua.VariantType.UInt16)
        # 7 * 0.1 at first, then the written value comes back through the subscription
        await next_observation(obs, lambda o: o.value == pytest.approx(1.2))
        with pytest.raises(CommandRejected, match="not a whole number"):
            await connector.write(COUNTER, 0.15)
        with pytest.raises(CommandRejected, match="outside the range of UInt16"):
            await connector.write(COUNTER, 7000)
        assert (await peer.get("Lift1.Counter")).Value == ua.Variant(12, ua.VariantType.UInt16)


async def test_commands_are_refused_before_they_reach_the_server(peer: Peer) -> None:
    await peer.set("Lift1.Setpoint", 1.0)
    connector, _ = make(peer)
    async with running_connector(connector):
        await reach(connector, DeviceState.ONLINE)
        refusals = [
            ("b15.nowhere", 1.0, "not a point of connector opcua"),
            (POSITION, 1.0, "not writable"),
            (SETPOINT, 3.0, "above the point's maximum 2.5"),
            (SETPOINT, "fast", "expected a number"),
            (DOOR, "perhaps", "expected a bool"),
            (MODE, 3, "expected a text"),
        ]
        for point_id, value, why in refusals:
            with pytest.raises(CommandRejected, match=why):
                await connector.write(point_id, value)
        with pytest.raises(CommandRejected, match="no priority array"):
            await connector.relinquish(SETPOINT, 8)
        assert (await peer.get("Lift1.Setpoint")).Value == ua.Variant(1.0, ua.VariantType.Double)
        stats = connector.stats()
        assert stats["commands_rejected"] == len(refusals) + 1
        assert stats["writes"] == 0


async def test_a_write_the_server_refuses_raises_with_its_status(peer: Peer) -> None:
    await peer.set("Lift1.Load", 120.0)
    connector, _ = make(peer)
    async with running_connector(connector):
        await reach(connector, DeviceState.ONLINE)
        with pytest.raises(ConnectorError, match="BadUserAccessDenied|BadNotWritable"):
            await connector.write(LOAD_MISTAKEN, 10.0)
        assert (await peer.get("Lift1.Load")).Value == ua.Variant(120.0, ua.VariantType.Double)
        assert connector.stats()["writes_refused"] == 1


async def test_a_node_that_does_not_exist_is_bad_and_degrades_health(peer: Peer) -> None:
    missing = "b15.lift1.missing"
    points = [
        (point(POSITION), binding("Lift1.Position")),
        (point(missing), binding("Lift1.Nothing")),
    ]
    connector, bus = make(peer, points)
    obs = bus.subscribe("obs.>", name="obs")
    async with running_connector(connector):
        await reach(connector, DeviceState.DEGRADED)
        [report] = connector.health()
        assert "ns=2;s=Lift1.Nothing BadNodeIdUnknown" in report.detail
        assert report.errors >= 1
        assert (await next_observation(obs)).point == POSITION  # the other point still works
        assert await connector.read(missing) is None  # never had a value: nothing to repeat


async def test_a_deleted_node_repeats_its_last_value_as_bad(peer: Peer) -> None:
    objects = peer.server.nodes.objects
    temporary = await objects.add_variable(ua.NodeId("Temporary", 2), "Temporary", 5.0)
    try:
        gone = "b15.lift1.temporary"
        points = [(point(gone), binding("Temporary", subscribe=False))]
        connector, bus = make(peer, points)
        obs = bus.subscribe("obs.>", name="obs")
        async with running_connector(connector):
            assert (await next_observation(obs)).value == 5.0
            await peer.server.delete_nodes([temporary])
            bad = await next_observation(obs, lambda o: o.quality is Quality.BAD)
            assert bad.value == 5.0
            await reach(connector, DeviceState.DEGRADED)
            assert "BadNodeIdUnknown" in connector.health()[0].detail
    finally:
        await peer.server.delete_nodes([temporary])


async def test_bad_status_on_the_server_gives_bad_quality_until_good_again(peer: Peer) -> None:
    await peer.set("Lift2.Load", 80.0)
    connector, bus = make(peer)
    obs = bus.subscribe(f"obs.{LIFT2_LOAD}", name="load")
    async with running_connector(connector):
        assert (await next_observation(obs)).value == 80.0
        await reach(connector, DeviceState.ONLINE)
        await peer.set_status("Lift2.Load", ua.StatusCodes.BadSensorFailure)
        bad = await next_observation(obs)
        assert (bad.value, bad.quality) == (80.0, Quality.BAD)
        await reach(connector, DeviceState.DEGRADED)
        assert "Lift2.Load BadSensorFailure" in connector.health()[0].detail
        await peer.set("Lift2.Load", 95.0)
        good = await next_observation(obs)
        assert (good.value, good.quality) == (95.0, Quality.GOOD)
        await reach(connector, DeviceState.ONLINE)


async def test_values_that_do_not_fit_the_point_become_dead_letters(peer: Peer) -> None:
    await peer.set("Lift1.Mode", "auto")
    mistaken = "b15.lift1.mode_as_bool"
    points = [
        (point(mistaken, PointKind.BOOL), binding("Lift1.Mode")),
        (point(POSITION), binding("Lift1.Position")),
    ]
    connector, bus = make(peer, points)
    letters = bus.subscribe("deadletter.opcua", name="dead")
    async with running_connector(connector):
        async with asyncio.timeout(5):
            [(_, letter)] = await letters.batch(1)
        assert isinstance(letter, DeadLetter)
        assert letter.source == "opcua"
        assert letter.channel == "lifts/ns=2;s=Lift1.Mode"
        assert "expected a bool" in letter.reason
        assert letter.payload == b"'auto'"
        assert connector.stats()["dead_letters"] == 1
        assert connector.health()[0].state is not DeviceState.OFFLINE


async def test_discovery_drafts_the_lifts_with_bindings_that_work(peer: Peer) -> None:
    target = peer.url.removeprefix("opc.tcp://").split("/")[0]  # HOST:PORT, no path
    discovery = await discover_opcua(target, timeout_s=2.0)
    assert discovery.connector == "opcua"
    config = OpcuaConnectorConfig.model_validate(discovery.connector_config)
    [server] = config.servers
    assert server.name == "building_15_lifts"
    assert server.url == peer.url  # the endpoint's path, found from the server
    devices = {d.name: d for d in discovery.devices}
    assert set(devices) == {"lift1", "lift2", "pump1"}  # Pump1 sits in the folder Plant
    assert {d.health_device for d in discovery.devices} == {server.name}
    lift1 = {p.name: p for p in devices["lift1"].points}
    assert set(lift1) == {
        "Position",
        "Direction",
        "DoorOpen",
        "Setpoint",
        "Load",
        "Mode",
        "Counter",
    }
    position, setpoint = lift1["Position"], lift1["Setpoint"]
    assert (position.kind, position.unit, position.writable) == ("number", "m", False)
    assert position.description == "Car position"
    assert position.suggested_brick == "Position_Sensor"
    assert isinstance(position.sample, float)
    assert (setpoint.unit, setpoint.writable, setpoint.suggested_brick) == ("m/s", True, "Setpoint")
    assert setpoint.extra["eu_range"] == "0..2.5"
    assert (lift1["DoorOpen"].kind, lift1["DoorOpen"].writable) == ("bool", True)
    assert lift1["Mode"].kind == "text"
    assert lift1["Load"].unit == "kg"
    for device in discovery.devices:
        for found in device.points:
            bound = OpcuaBinding.model_validate({"connector": "opcua", **found.binding})
            assert bound.server == server.name
    # The draft loads as a site, and a connector built from it reads the lifts.
    site = SiteModel.from_def(
        draft_site(discovery, connector_name="opcua", ontology=BrickOntology.load()),
        BrickOntology.load(),
    )
    bindings = [(p, b) for p, b in site.bindings("opcua") if isinstance(b, OpcuaBinding)]
    assert len(bindings) == sum(len(d.points) for d in discovery.devices)
    fast = config.model_copy(update={"servers": [server.model_copy(update={"poll_s": 0.2})]})
    connector = OpcuaConnector(fast, bindings, MemoryBus(), RealClock())
    async with running_connector(connector):
        await reach(connector, DeviceState.ONLINE)
        speed = next(p.id for p, b in bindings if b.node == "ns=2;s=Pump1.Speed")
        observed = await connector.read(speed)
        assert observed is not None
        assert observed.value == 50.0
        scanned = await connector.scan(2.0)
        assert {p.address for p in scanned} == {
            p.address for d in discovery.devices for p in d.points
        }


async def test_a_user_with_the_password_from_the_environment_gets_a_session(
    peer: Peer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PENWORKS_TEST_OPCUA_PASSWORD", "s3cret")
    user = {"username": "ops", "password_env": "PENWORKS_TEST_OPCUA_PASSWORD"}
    config = connector_config(peer.url, **user)
    connector = OpcuaConnector(config, POINTS[:1], MemoryBus(), RealClock())
    async with running_connector(connector):
        await reach(connector, DeviceState.ONLINE)
    monkeypatch.setenv("PENWORKS_TEST_OPCUA_PASSWORD", "wrong")
    connector = OpcuaConnector(config, POINTS[:1], MemoryBus(), RealClock())
    async with running_connector(connector):
        await eventually(lambda: connector.health()[0].errors > 0, within_s=5)
    [report] = connector.health()
    assert report.state is DeviceState.OFFLINE
    assert "BadUserAccessDenied" in report.detail


async def test_browsing_stops_at_its_bound(peer: Peer) -> None:
    target = peer.url.removeprefix("opc.tcp://").split("/")[0]
    everything = await discover_opcua(target, timeout_s=2.0)
    bounded = await discover_opcua(target, timeout_s=2.0, max_nodes=4)
    found = sum(len(d.points) for d in bounded.devices)
    assert 0 < found < sum(len(d.points) for d in everything.devices)
