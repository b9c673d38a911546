"""The twin's OPC UA server, browsed, subscribed and written by the platform's own client code.

Two lifts of one product on one server, in an Elevators folder: Position (Double, m,
read-only), Direction (Int32), DoorOpen (Boolean), CallFloor (Int32, writable, 1..6) and
FireRecall (Boolean, writable). The platform's OpcuaConnector holds a session, subscribes
and writes as it would with a real elevator group controller.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import pytest

from penworks.bus import MemoryBus, Subscription
from penworks.connectors import DeviceState
from penworks.connectors.opcua import OpcuaConnector
from penworks.connectors.opcua.browse import browse_variables
from penworks.connectors.opcua.session import close_session, open_session
from penworks.core import ConnectorError, PointKind, Quality, RealClock, Value
from penworks.sim.devices import DeviceType, PointSpec, SimDevice
from penworks.sim.servers import DeviceServer, Endpoint
from penworks.sim.servers.opcua import OpcuaServer
from penworks.sim.servers.opcua_variables import VT, variant_type
from tests.unit.connectors.opcua.peer import (
    binding,
    connector_config,
    next_observation,
    point,
    reach,
    running,
)

BOOL = PointKind.BOOL

LIFT = DeviceType(
    "EL-6 elevator controller",
    "opcua",
    (
        PointSpec("Position", unit="m", description="Car position", min=0.0, max=20.0),
        PointSpec("Direction", description="-1 down, 0 idle, 1 up", default=0, min=-1, max=1),
        PointSpec("DoorOpen", BOOL, default=False),
        PointSpec("CallFloor", unit="floor", writable=True, min=1, max=6, default=1),
        PointSpec("FireRecall", BOOL, writable=True, default=False),
    ),
)

# The platform's side. No limits on the command points: the commands must reach the lift to
# be refused, and Lift2.DoorOpen is bound writable although the node is read-only.
BINDINGS = [
    (point("b15.lift1.position"), binding("Lift1.Position")),
    (point("b15.lift2.position"), binding("Lift2.Position")),
    (point("b15.lift1.call_floor", writable=True), binding("Lift1.CallFloor")),
    (point("b15.lift1.fire_recall", BOOL, writable=True), binding("Lift1.FireRecall")),
    (point("b15.lift2.door", BOOL, writable=True), binding("Lift2.DoorOpen")),
    (point("b15.lift2.call_floor", writable=True), binding("Lift2.CallFloor")),
]


class Site:
    """The server with its two lifts, and the platform's connector in front of it."""

    def __init__(self) -> None:
        self.writes: list[tuple[str, Value | None]] = []
        self.lift1 = SimDevice(
            "lift1", "Lift 1", LIFT, "Lift1", on_write=lambda k, v: self.writes.append((k, v))
        )
        self.lift2 = SimDevice("lift2", "Lift 2", LIFT, "Lift2")
        self.server = OpcuaServer(
            "lifts", [self.lift1, self.lift2], path="/lifts", folder="Elevators"
        )
        self.bus = MemoryBus()
        self.observations: Subscription = self.bus.subscribe("obs.>", name="test")

    def connector(self) -> OpcuaConnector:
        return OpcuaConnector(connector_config(self.server.url), BINDINGS, self.bus, RealClock())


@pytest.fixture
async def site() -> AsyncIterator[Site]:
    site = Site()
    await site.server.start()
    try:
        yield site
    finally:
        await site.server.stop()


@pytest.mark.parametrize(
    ("spec", "vtype"),
    [
        (PointSpec("p", unit="m"), VT.Double),
        (PointSpec("p", default=0, min=-1, max=1), VT.Int32),
        (PointSpec("p", default=0, min=0, max=0.5), VT.Double),
        (PointSpec("p", unit="floor"), VT.Int32),
        (PointSpec("p", states=4, default=1.0), VT.Int32),
        (PointSpec("p", BOOL), VT.Boolean),
        (PointSpec("p", PointKind.TEXT, default=""), VT.String),
    ],
)
def test_data_types_follow_the_spec(spec: PointSpec, vtype: VT) -> None:
    assert variant_type(spec) is vtype


def test_endpoints_name_each_lift_on_the_server() -> None:
    lift = SimDevice("lift1", "Lift 1", LIFT, "Lift1")
    server: DeviceServer = OpcuaServer("lifts", [lift], port=4840, path="lifts")
    assert server.endpoints() == [
        Endpoint(
            device="lift1",
            protocol="opcua",
            host="127.0.0.1",
            port=4840,
            address="Lift1",
            server="lifts",
            url="opc.tcp://127.0.0.1:4840/lifts",
        )
    ]
    assert OpcuaServer("lifts", [lift]).node_id(lift, "Position") == "ns=2;s=Lift1.Position"


@pytest.mark.parametrize(
    ("folder", "names", "why"),
    [
        ("Elevators", ["Lift1", "Lift1"], "object name Lift1 is given to both"),
        ("Lift1", ["Lift1", "Lift2"], "folder Lift1 has the same name"),
    ],
)
def test_node_names_must_be_unique(folder: str, names: list[str], why: str) -> None:
    lifts = [SimDevice(f"l{i}", "L", LIFT, name) for i, name in enumerate(names)]
    with pytest.raises(ValueError, match=why):
        OpcuaServer("lifts", lifts, folder=folder)


async def test_the_platform_browses_what_each_lift_offers(site: Site) -> None:
    assert site.server.port > 0
    assert site.server.endpoints()[1].url == f"opc.tcp://127.0.0.1:{site.server.port}/lifts"
    config = connector_config(site.server.url).servers[0]
    client = await open_session(config, None, watchdog_s=60.0)
    try:
        found = {v.node: v for v in (await browse_variables(client)).variables}
    finally:
        await close_session(client, 1.0)
    assert len(found) == 10
    position = found["ns=2;s=Lift1.Position"]
    assert [s.name for s in position.path] == ["Elevators", "Lift1"]
    assert [s.folder for s in position.path] == [True, False]
    assert (position.name, position.data_type, position.kind) == (
        "Position",
        "Double",
        PointKind.NUMBER,
    )
    assert (position.unit, position.eu_range, position.writable) == ("m", (0.0, 20.0), False)
    assert position.description == "Car position"
    call = found["ns=2;s=Lift2.CallFloor"]
    assert (call.data_type, call.unit, call.eu_range, call.writable, call.sample) == (
        "Int32",
        "floor",
        (1.0, 6.0),
        True,
        1,
    )
    assert found["ns=2;s=Lift1.Direction"].data_type == "Int32"
    assert (found["ns=2;s=Lift1.DoorOpen"].data_type, found["ns=2;s=Lift1.DoorOpen"].writable) == (
        "Boolean",
        False,
    )
    assert found["ns=2;s=Lift1.FireRecall"].writable is True


async def test_subscriptions_writes_and_refusals(site: Site) -> None:
    connector = site.connector()
    async with running(connector):
        await reach(connector, DeviceState.ONLINE)
        site.lift1.set("Position", 7.5)
        site.lift2.set("Position", 12.25)
        assert await site.server.sync_count() == 2
        for point_id, value in (("b15.lift1.position", 7.5), ("b15.lift2.position", 12.25)):
            seen = await next_observation(
                site.observations, lambda o, p=point_id, v=value: o.point == p and o.value == v
            )
            assert seen.quality is Quality.GOOD

        await connector.write("b15.lift1.call_floor", 4)
        await connector.write("b15.lift1.fire_recall", True)
        assert site.writes == [("CallFloor", 4), ("FireRecall", True)]
        assert (site.lift1.get("CallFloor"), site.lift1.get("FireRecall")) == (4, True)
        assert await site.server.sync_count() == 0  # the nodes show them already

        with pytest.raises(ConnectorError, match="BadOutOfRange"):
            await connector.write("b15.lift1.call_floor", 9)
        with pytest.raises(ConnectorError, match="BadNotWritable"):
            await connector.write("b15.lift2.door", True)
        assert site.writes == [("CallFloor", 4), ("FireRecall", True)]
        assert site.lift2.get("DoorOpen") is False
        observation = await connector.read("b15.lift1.call_floor")
        assert observation is not None
        assert (observation.value, observation.quality) == (4, Quality.GOOD)


async def test_faults_and_silence_show_as_bad_status(site: Site) -> None:
    connector = site.connector()
    async with running(connector):
        await reach(connector, DeviceState.ONLINE)
        site.lift1.set("Position", 3.0)
        await site.server.sync()
        await next_observation(
            site.observations, lambda o: o.point == "b15.lift1.position" and o.value == 3.0
        )

        site.lift1.fault = "door operator fault"
        assert await site.server.sync_count() == 5  # every variable of the lift
        bad = await next_observation(site.observations, lambda o: o.point == "b15.lift1.position")
        assert (bad.value, bad.quality) == (3.0, Quality.BAD)
        with pytest.raises(ConnectorError, match="BadDeviceFailure"):
            await connector.write("b15.lift1.call_floor", 2)

        site.lift1.fault = None
        site.lift1.set("Position", 4.0)
        await site.server.sync()
        good = await next_observation(site.observations, lambda o: o.point == "b15.lift1.position")
        assert (good.value, good.quality) == (4.0, Quality.GOOD)

        site.lift2.online = False
        await site.server.sync()
        lost = await next_observation(site.observations, lambda o: o.point == "b15.lift2.position")
        assert lost.quality is Quality.BAD
        with pytest.raises(ConnectorError, match="BadCommunicationError"):
            await connector.write("b15.lift2.call_floor", 2)
        [health] = connector.health()  # the session holds: the server itself is up
        assert health.state is DeviceState.DEGRADED
        assert "Lift2.Position BadCommunicationError" in health.detail


async def test_sync_of_500_changed_variables() -> None:
    lifts = [SimDevice(f"lift{n}", f"Lift {n}", LIFT, f"Lift{n}") for n in range(1, 101)]
    server = OpcuaServer("bank", lifts, folder="Elevators")
    started = time.perf_counter()
    await server.start()
    built = time.perf_counter() - started
    try:
        for n, lift in enumerate(lifts, start=1):
            lift.set("Position", n * 0.5)
            lift.set("Direction", 1)
            lift.set("DoorOpen", True)
            lift.set("CallFloor", 6)
            lift.set("FireRecall", True)
        started = time.perf_counter()
        written = await server.sync_count()
        spent = time.perf_counter() - started
        print(
            f"\nOPC UA server: start with 500 variables {built:.2f} s; "
            f"sync of {written} changed variables {spent * 1000:.1f} ms"
        )
        assert written == 500
        assert spent < 2.0  # measured about 10 ms; a generous bound for a loaded machine
        client = await open_session(connector_config(server.url).servers[0], None, watchdog_s=60)
        try:
            last = client.get_node(server.node_id(lifts[99], "Position"))
            assert await last.read_value() == 50.0
        finally:
            await close_session(client, 1.0)
    finally:
        await server.stop()
