"""The twin's Modbus TCP gateway, read and written by the platform's own Modbus connector.

Two devices sit behind one gateway port: an energy meter (float32 power and energy in input
registers, a scaled uint16 voltage) at unit 1 and a fan-coil controller (a scaled int16
setpoint with limits, an on/off coil, status bits of one holding register) at unit 2. The
connector reaches them as it would reach real equipment: same host and port, two unit ids.
"""

from __future__ import annotations

import contextlib
import logging
import struct
import time
from collections.abc import AsyncIterator

import pytest

from penworks.bus import MemoryBus
from penworks.connectors import DeviceState
from penworks.connectors.modbus import ModbusConnector, ModbusDeviceConfig
from penworks.connectors.modbus.session import DeviceRefused, DeviceSession
from penworks.core import ConnectorError, Observation, PointKind, Quality, RealClock, Value
from penworks.sim.devices import DeviceType, ModbusRegister, PointSpec, SimDevice
from penworks.sim.servers import DeviceServer
from penworks.sim.servers.modbus import ModbusGateway
from penworks.sim.servers.modbus_unit import ModbusUnit
from tests.unit.connectors.modbus.support import binding, config
from tests.unit.connectors.support import point

NUMBER, BOOL = PointKind.NUMBER, PointKind.BOOL

METER = DeviceType(
    "PM-20 energy meter",
    "modbus",
    (
        PointSpec("power", unit="kW", modbus=ModbusRegister(4, 0, "float32")),
        PointSpec("energy", unit="kWh", modbus=ModbusRegister(4, 2, "float32")),
        PointSpec("voltage", unit="V", default=230.0, modbus=ModbusRegister(4, 10, "uint16", 0.1)),
        PointSpec("serial", NUMBER, default=0),  # not on the Modbus map: not served
    ),
)
FCU = DeviceType(
    "FC-200 fan-coil controller",
    "modbus",
    (
        PointSpec(
            "setpoint",
            unit="degC",
            writable=True,
            min=16.0,
            max=30.0,
            default=21.0,
            modbus=ModbusRegister(3, 0, "int16", 0.1),
        ),
        PointSpec("fan", BOOL, writable=True, default=False, modbus=ModbusRegister(1, 0, "bit")),
        PointSpec("running", BOOL, default=False, modbus=ModbusRegister(3, 10, "bit", bit=0)),
        PointSpec(
            "occupied",
            BOOL,
            writable=True,
            default=False,
            modbus=ModbusRegister(3, 10, "bit", bit=4),
        ),
    ),
)

# The platform's side: points bound as an integrator would bind them from the vendor sheets.
BINDINGS = [
    (point("b15.meter.power"), binding(0, "meter", function=4, type="float32")),
    (point("b15.meter.energy"), binding(2, "meter", function=4, type="float32")),
    (point("b15.meter.voltage"), binding(10, "meter", function=4, scale=0.1)),
    # No limits on the platform's setpoint: the command must reach the device to be refused.
    (point("b15.fcu.setpoint", writable=True), binding(0, "fcu", type="int16", scale=0.1)),
    (point("b15.fcu.fan", BOOL, writable=True), binding(0, "fcu", function=1, type="bit")),
    (point("b15.fcu.running", BOOL, writable=True), binding(10, "fcu", type="bit", bit=0)),
    (point("b15.fcu.occupied", BOOL, writable=True), binding(10, "fcu", type="bit", bit=4)),
]


class Site:
    """The gateway with its two devices, and the platform's connector in front of it."""

    def __init__(self) -> None:
        self.writes: list[tuple[str, Value | None]] = []
        self.meter = SimDevice("main_meter", "Main meter", METER, 1)
        self.fcu = SimDevice(
            "fcu_301", "FCU 301", FCU, 2, on_write=lambda k, v: self.writes.append((k, v))
        )
        self.gateway = ModbusGateway("b15_gateway", [self.meter, self.fcu])
        self.connector: ModbusConnector

    async def start(self) -> None:
        await self.gateway.sync()  # every value is new to a device's first sync
        await self.gateway.start()
        self.connector = ModbusConnector(
            config(self.device("meter", 1), self.device("fcu", 2)),
            BINDINGS,
            MemoryBus(),
            RealClock(),
        )

    def device(self, name: str, unit_id: int) -> ModbusDeviceConfig:
        return ModbusDeviceConfig(
            name=name,
            host="127.0.0.1",
            port=self.gateway.port,
            unit_id=unit_id,
            timeout_s=0.3,
            retries=0,
            offline_after=2,
        )

    async def read(self, point_id: str) -> Observation:
        observation = await self.connector.read(point_id)
        assert observation is not None, f"{point_id} was never read"
        return observation

    async def value(self, point_id: str) -> Value:
        observation = await self.read(point_id)
        assert observation.quality is Quality.GOOD, observation
        return observation.value


@contextlib.asynccontextmanager
async def serving(gateway: ModbusGateway) -> AsyncIterator[None]:
    await gateway.start()
    try:
        yield
    finally:
        await gateway.stop()


@contextlib.asynccontextmanager
async def connected(config: ModbusDeviceConfig) -> AsyncIterator[DeviceSession]:
    """A plain Modbus client session to one unit, connected and locked for the block."""
    session = DeviceSession(config)
    try:
        async with session.lock:
            await session.ensure_connected()
            yield session
    finally:
        session.close()


def unit(gateway: ModbusGateway, unit_id: int) -> ModbusDeviceConfig:
    return ModbusDeviceConfig(
        name=f"unit{unit_id}", host="127.0.0.1", port=gateway.port, unit_id=unit_id
    )


@pytest.fixture
async def site() -> AsyncIterator[Site]:
    site = Site()
    await site.start()
    try:
        yield site
    finally:
        for poller in site.connector.pollers.values():
            poller.session.close()
        await site.gateway.stop()


def test_the_gateway_is_a_device_server_with_an_endpoint_per_unit() -> None:
    gateway: DeviceServer = ModbusGateway("gw", [SimDevice("m", "M", METER, 7)], port=5020)
    [endpoint] = gateway.endpoints()
    assert (endpoint.device, endpoint.protocol, endpoint.host, endpoint.port) == (
        "m",
        "modbus",
        "127.0.0.1",
        5020,
    )
    assert (endpoint.address, endpoint.server) == (7, "gw")


async def test_the_port_is_known_once_started(site: Site) -> None:
    assert site.gateway.port > 0
    assert {e.address: e.port for e in site.gateway.endpoints()} == {
        1: site.gateway.port,
        2: site.gateway.port,
    }


@pytest.mark.parametrize(
    ("devices", "why"),
    [
        ([SimDevice("a", "A", METER, 1), SimDevice("b", "B", METER, 1)], "unit id 1 is given"),
        ([SimDevice("a", "A", METER, 248)], "outside 1..247"),
        ([SimDevice("a", "A", METER, "meter1")], "a number"),
    ],
)
def test_unit_ids_are_checked(devices: list[SimDevice], why: str) -> None:
    with pytest.raises(ValueError, match=why):
        ModbusGateway("gw", devices)


@pytest.mark.parametrize(
    ("spec", "why"),
    [
        (PointSpec("a", modbus=ModbusRegister(1, 0, "uint16")), "single bits"),
        (PointSpec("a", modbus=ModbusRegister(3, 0, "bit")), "needs bit 0..15"),
        (PointSpec("a", PointKind.TEXT, modbus=ModbusRegister(3, 0)), "text point"),
        (PointSpec("a", modbus=ModbusRegister(3, 65535, "float32")), "outside the addresses"),
        (PointSpec("a", modbus=ModbusRegister(3, 1, "uint16")), "holding registers 1 is taken"),
    ],
)
def test_register_maps_are_checked(spec: PointSpec, why: str) -> None:
    other = PointSpec("b", modbus=ModbusRegister(3, 0, "float32"))
    product = DeviceType("X-1", "modbus", (other, spec))
    with pytest.raises(ValueError, match=why):
        ModbusUnit(SimDevice("x", "X", product, 1))


async def test_the_connector_reads_both_units_behind_one_port(site: Site) -> None:
    site.meter.set("power", 42.5)
    site.meter.set("energy", 123456.0)
    site.fcu.set("running", True)
    await site.gateway.sync()
    assert await site.value("b15.meter.power") == 42.5
    assert await site.value("b15.meter.energy") == 123456.0
    assert await site.value("b15.meter.voltage") == pytest.approx(230.0)
    assert await site.value("b15.fcu.setpoint") == pytest.approx(21.0)
    assert await site.value("b15.fcu.fan") is False
    assert await site.value("b15.fcu.running") is True
    assert await site.value("b15.fcu.occupied") is False


async def test_a_set_shows_only_after_the_sync(site: Site) -> None:
    assert await site.value("b15.meter.power") == 0.0
    site.meter.set("power", 17.25)
    assert await site.value("b15.meter.power") == 0.0  # the registers hold the last sync
    assert site.gateway.sync_count() == 1
    assert await site.value("b15.meter.power") == 17.25


async def test_connector_writes_reach_the_device(site: Site) -> None:
    await site.connector.write("b15.fcu.setpoint", 22.5)
    await site.connector.write("b15.fcu.fan", True)
    site.fcu.set("running", True)
    await site.gateway.sync()
    await site.connector.write("b15.fcu.occupied", True)  # read-modify-write of one bit
    assert site.writes == [("setpoint", 22.5), ("fan", True), ("occupied", True)]
    assert (site.fcu.get("setpoint"), site.fcu.get("fan"), site.fcu.get("occupied")) == (
        22.5,
        True,
        True,
    )
    assert site.fcu.get("running") is True  # its neighbour bit was left alone
    await site.gateway.sync()
    assert await site.value("b15.fcu.setpoint") == pytest.approx(22.5)
    assert await site.value("b15.fcu.occupied") is True
    assert await site.value("b15.fcu.running") is True


@pytest.mark.parametrize(
    ("point_id", "value", "exception"),
    [
        ("b15.fcu.setpoint", 35.0, r"illegal data value \(exception 3\)"),
        ("b15.fcu.running", True, r"illegal data address \(exception 2\)"),  # read-only bit
    ],
)
async def test_refused_writes_come_back_as_exceptions_and_change_nothing(
    site: Site, point_id: str, value: Value, exception: str
) -> None:
    before = await site.value(point_id)
    with pytest.raises(ConnectorError, match=exception):
        await site.connector.write(point_id, value)
    assert site.writes == []
    assert site.fcu.take_changes() == []
    assert await site.value(point_id) == before  # the registers are as they were


async def test_a_faulted_device_answers_exception_4_and_its_points_go_bad(site: Site) -> None:
    assert await site.value("b15.fcu.setpoint") == pytest.approx(21.0)
    site.fcu.fault = "fan motor overheated"
    observation = await site.read("b15.fcu.setpoint")
    assert (observation.value, observation.quality) == (pytest.approx(21.0), Quality.BAD)
    [health] = [h for h in site.connector.health() if h.device == "fcu"]
    assert health.state is DeviceState.DEGRADED
    assert "server device failure (exception 4)" in health.detail
    with pytest.raises(ConnectorError, match="exception 4"):
        await site.connector.write("b15.fcu.setpoint", 22.0)
    site.fcu.fault = None
    assert await site.value("b15.fcu.setpoint") == pytest.approx(21.0)


async def test_an_offline_device_is_silent_while_its_neighbour_answers(site: Site) -> None:
    assert await site.value("b15.meter.power") == 0.0
    site.meter.online = False
    for _ in range(2):  # offline_after=2 reads without an answer
        observation = await site.read("b15.meter.power")
        assert observation.quality is Quality.BAD
    states = {h.device: h for h in site.connector.health()}
    assert states["meter"].state is DeviceState.OFFLINE
    assert "no answer within 0.3 s" in states["meter"].detail
    assert await site.value("b15.fcu.setpoint") == pytest.approx(21.0)
    assert {h.device: h.state for h in site.connector.health()} == {
        "meter": DeviceState.OFFLINE,
        "fcu": DeviceState.ONLINE,
    }
    site.meter.online = True
    assert await site.value("b15.meter.power") == 0.0


async def test_unmapped_addresses_and_units_answer_as_a_real_gateway(site: Site) -> None:
    async def refusal(unit_id: int, function: int, address: int, count: int = 1) -> int:
        async with connected(site.device("probe", unit_id)) as session:
            read = session.read_bits if function in (1, 2) else session.read_registers
            with pytest.raises(DeviceRefused) as refused:
                await read(function, address, count)
        return refused.value.code

    assert await refusal(1, 4, 4) == 2  # a gap in the meter's input registers
    assert await refusal(1, 4, 9, 2) == 2  # a read that runs into the gap
    assert await refusal(1, 3, 0) == 2  # the meter has no holding registers
    assert await refusal(2, 1, 1) == 2  # a coil the controller does not have
    assert await refusal(9, 3, 0) == 11  # no device at unit 9 behind the gateway


async def test_a_write_to_half_a_value_is_refused(site: Site) -> None:
    meter_like = DeviceType(
        "AHU-1",
        "modbus",
        (PointSpec("flow", writable=True, modbus=ModbusRegister(3, 0, "float32")),),
    )
    ahu = SimDevice("ahu", "AHU", meter_like, 3)
    gateway = ModbusGateway("gw2", [ahu])
    async with serving(gateway), connected(unit(gateway, 3)) as session:
        with pytest.raises(DeviceRefused, match="exception 2"):
            await session.write_registers(1, [0x4000])
        await session.write_registers(0, [0x4120, 0x0000])  # 10.0 as float32
    assert ahu.get("flow") == 10.0


async def test_values_that_do_not_fit_saturate_and_are_logged_once(
    site: Site, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="penworks.sim.servers")
    site.meter.set("voltage", 7000.0)  # 70000 in a uint16 of tenths
    await site.gateway.sync()
    assert await site.value("b15.meter.voltage") == pytest.approx(6553.5)
    site.meter.set("voltage", -3.0)
    await site.gateway.sync()
    assert await site.value("b15.meter.voltage") == 0
    site.meter.set("power", "n/a")  # a twin bug: a text for a float register
    await site.gateway.sync()
    assert await site.value("b15.meter.power") == 0.0  # the registers keep the last value
    warnings = [r.getMessage() for r in caplog.records]
    assert len([w for w in warnings if "voltage" in w]) == 1
    assert len([w for w in warnings if "power" in w]) == 1


async def test_sync_of_2000_changed_points() -> None:
    product = DeviceType(
        "PM-200 multi-circuit meter",
        "modbus",
        tuple(
            PointSpec(f"p{i}", unit="kW", modbus=ModbusRegister(4, 2 * i, "float32"))
            for i in range(200)
        ),
    )
    meters = [SimDevice(f"m{u}", f"M{u}", product, u) for u in range(1, 11)]
    gateway = ModbusGateway("big", meters)
    gateway.sync_count()  # the initial values
    for n, meter in enumerate(meters):
        for i in range(200):
            meter.set(f"p{i}", n + 1 + i / 8)
    started = time.perf_counter()
    changed = gateway.sync_count()
    spent = time.perf_counter() - started
    print(f"\nModbus gateway sync of {changed} changed points: {spent * 1000:.1f} ms")
    assert changed == 2000
    assert spent < 1.0  # measured about 10 ms; a generous bound for a loaded machine
    async with serving(gateway), connected(unit(gateway, 10)) as session:
        words = await session.read_registers(4, 398, 2)  # p199 of unit 10
    assert struct.unpack(">f", struct.pack(">HH", *words)) == (10 + 199 / 8,)


async def test_a_value_no_register_can_hold_leaves_zeros_from_the_start() -> None:
    meter = SimDevice("m", "M", METER, 1, values={"power": "broken"})
    gateway = ModbusGateway("gw", [meter])
    async with serving(gateway), connected(unit(gateway, 1)) as session:
        words = await session.read_registers(4, 0, 4)
    assert words == [0, 0, 0, 0]
