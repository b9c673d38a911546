"""The twin's BACnet/IP devices, read, followed and commanded by the platform's own connector.

Two controllers, each a bacpypes3 device on a loopback port of its own: a VAV controller
(zone temperature with a COV increment, a commandable damper output and setpoint with
limits, occupancy, a commandable mode with three states) and an AHU controller. The
connector reaches them as it reaches real equipment: by address and device instance.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from bacpypes3.basetypes import BinaryPV
from bacpypes3.primitivedata import Boolean, CharacterString, Enumerated, Real, Unsigned

from penworks.bus import MemoryBus
from penworks.connectors import DeviceState
from penworks.connectors.bacnet import BacnetConnector, BacnetDeviceConfig
from penworks.connectors.bacnet.config import parse_local_address
from penworks.connectors.bacnet.errors import BacnetError
from penworks.connectors.bacnet.objects import ObjectRef
from penworks.connectors.bacnet.stack import BacnetStack, DeviceLink
from penworks.core import ConnectorError, PointKind, Quality, Value
from penworks.sim.devices import BacnetObject, DeviceType, PointSpec, SimDevice
from penworks.sim.servers import DeviceServer
from penworks.sim.servers.bacnet import BacnetDevices
from penworks.sim.servers.bacnet_device import ServedDevice, device_instance
from penworks.sim.servers.bacnet_objects import check_spec, command_values
from penworks.sim.servers.bacnet_units import engineering_units
from tests.unit.connectors.bacnet.support import (
    FAST,
    binding,
    connector,
    free_port,
    observation,
    point,
    running,
)
from tests.unit.connectors.mqtt_support import eventually

NUMBER, BOOL, TEXT = PointKind.NUMBER, PointKind.BOOL, PointKind.TEXT
VAV_ID, AHU_ID = 1501, 1502

VAV = DeviceType(
    "VAV-300 controller",
    "bacnet",
    (
        PointSpec(
            "zone_temp", unit="degC", description="Zone air temperature", default=21.0,
            bacnet=BacnetObject("analog-input", 1, cov_increment=0.2),
        ),
        PointSpec(
            "damper", unit="%", description="Damper command", writable=True, min=0, max=100,
            bacnet=BacnetObject("analog-output", 1, commandable=True, cov_increment=1.0),
        ),
        PointSpec(
            "setpoint", unit="degC", description="Zone temperature setpoint", writable=True,
            min=16.0, max=30.0, default=22.0,
            bacnet=BacnetObject("analog-value", 1, commandable=True, cov_increment=0.1),
        ),
        PointSpec("occupied", BOOL, default=False, bacnet=BacnetObject("binary-input", 1)),
        PointSpec(
            "mode", writable=True, states=3, default=1,
            bacnet=BacnetObject("multi-state-value", 1, commandable=True),
        ),
        PointSpec("airflow", unit="L/s"),  # not on the BACnet object list: not served
    ),
)  # fmt: skip
AHU = DeviceType(
    "AHU-1000 controller",
    "bacnet",
    (
        PointSpec("supply_temp", unit="degC", default=14.0, bacnet=BacnetObject("analog-input", 1)),
        PointSpec("static_pressure", unit="Pa", default=250.0,
                  bacnet=BacnetObject("analog-value", 1)),
        PointSpec("fan_cmd", BOOL, writable=True, default=False,
                  bacnet=BacnetObject("binary-output", 1, commandable=True)),
        PointSpec("fan_status", BOOL, default=False, bacnet=BacnetObject("binary-input", 1)),
        PointSpec("status_text", TEXT, default="auto",
                  bacnet=BacnetObject("characterstring-value", 1)),
    ),
    vendor="Penworks Twin HVAC",
)  # fmt: skip

# The platform's side, bound as an integrator binds from the vendor's object lists. No limits
# on the setpoint and mode: a command must reach the device to be refused there.
BINDINGS = [
    (point("b15.vav.zone_temp"), binding(VAV_ID, "analog-input,1", cov=True)),
    (point("b15.vav.damper", writable=True), binding(VAV_ID, "analog-output,1")),
    (point("b15.vav.setpoint", writable=True), binding(VAV_ID, "analog-value,1")),
    (point("b15.vav.occupied", BOOL), binding(VAV_ID, "binary-input,1")),
    (point("b15.vav.mode", writable=True), binding(VAV_ID, "multi-state-value,1")),
    (point("b15.ahu.supply_temp"), binding(AHU_ID, "analog-input,1")),
    (point("b15.ahu.static_pressure"), binding(AHU_ID, "analog-value,1")),
    (point("b15.ahu.fan_cmd", BOOL, writable=True), binding(AHU_ID, "binary-output,1")),
    (point("b15.ahu.fan_status", BOOL), binding(AHU_ID, "binary-input,1")),
    (point("b15.ahu.status_text", TEXT), binding(AHU_ID, "characterstring-value,1")),
]


class Site:
    """The two controllers served, the writes they took, and the platform in front of them."""

    def __init__(self) -> None:
        self.writes: list[tuple[str, str, Value | None]] = []
        self.vav = SimDevice("vav_301", "VAV-301", VAV, VAV_ID, location="f3/r301")
        self.ahu = SimDevice("ahu_1", "AHU-1", AHU, str(AHU_ID))
        self.vav.on_write = self._vav_write
        self.ahu.on_write = lambda key, value: self.writes.append(("ahu_1", key, value))
        self.server = BacnetDevices("bacnet", [self.vav, self.ahu])
        self.bus = MemoryBus()
        self.obs = self.bus.subscribe("obs.>", name="test", maxsize=10_000)
        self.connector: BacnetConnector

    def _vav_write(self, key: str, value: Value | None) -> None:
        self.writes.append(("vav_301", key, value))
        if key == "damper" and value is None:  # its own airflow loop takes the damper back
            self.vav.set("damper", 35.0)

    def configs(self, **fields: Any) -> list[BacnetDeviceConfig]:
        return [
            BacnetDeviceConfig(
                instance=int(e.address), address=f"{e.host}:{e.port}", **{**FAST, **fields}
            )
            for e in self.server.endpoints()
        ]

    def vav_object(self, key: str) -> Any:
        return self.server.served("vav_301").object(key)

    def health(self, instance: int) -> DeviceState:
        (found,) = [h for h in self.connector.health() if h.device == str(instance)]
        return found.state

    async def value(self, point_id: str) -> tuple[Value, Quality]:
        seen = await self.connector.read(point_id)
        assert seen is not None
        return seen.value, seen.quality


@contextlib.asynccontextmanager
async def site(**device_fields: Any) -> AsyncIterator[Site]:
    """The devices answering and the connector online for the body of the block."""
    here = Site()
    await here.server.start()
    try:
        here.connector = connector(here.configs(**device_fields), BINDINGS, here.bus)
        async with running(here.connector):
            yield here
    finally:
        await here.server.stop()


@contextlib.asynccontextmanager
async def bacnet_client(address: str) -> AsyncIterator[DeviceLink]:
    """A plain BACnet client (the platform's stack) talking to one device."""
    local = parse_local_address(f"127.0.0.1/8:{free_port()}")
    stack = await BacnetStack.open(local, 4194001, name="tester", apdu_timeout_s=1.0)
    try:
        yield stack.link(address, timeout_s=1.0, retries=0, label="tester")
    finally:
        stack.close()


async def test_the_platform_reads_both_devices_as_real_equipment() -> None:
    async with site() as here:
        here.ahu.set("status_text", "heating")
        await here.server.sync()
        values = {point.id: await here.value(point.id) for point, _ in BINDINGS}
        stats = here.connector.stats()
        scanned = {p.address: p for p in await here.connector.scan(5)}
    assert {k: v for k, (v, _) in values.items()} == {
        "b15.vav.zone_temp": 21.0, "b15.vav.damper": 0.0, "b15.vav.setpoint": 22.0,
        "b15.vav.occupied": False, "b15.vav.mode": 1, "b15.ahu.supply_temp": 14.0,
        "b15.ahu.static_pressure": 250.0, "b15.ahu.fan_cmd": False,
        "b15.ahu.fan_status": False, "b15.ahu.status_text": "heating",
    }  # fmt: skip
    assert {q for _, q in values.values()} == {Quality.GOOD}
    assert stats["requests.read_property_multiple"] > 0
    assert stats["requests.read_property"] == 0  # everything by ReadPropertyMultiple
    temp, damper = scanned["1501/analog-input,1"], scanned["1501/analog-output,1"]
    assert (temp.name, temp.unit, temp.description) == ("zone_temp", "degC", "Zone air temperature")
    assert (damper.name, damper.unit, damper.writable) == ("damper", "%", True)
    assert scanned["1501/analog-value,1"].writable is True  # commandable: a priority-array
    assert scanned["1502/analog-value,1"].writable is False  # a plain value
    assert scanned["1501/analog-value,1"].suggested_brick == "Zone_Air_Temperature_Setpoint"
    assert len(scanned) == 10  # the airflow, with no BACnet object, is not served
    assert temp.device == "vav_301"  # named after the device's object-name, VAV-301


async def test_cov_reports_what_sync_changes_beyond_the_increment() -> None:
    async with site(poll_s=3600) as here:  # after the first poll only COV reports
        await eventually(lambda: here.connector.stats()["cov_active"] == 1, within_s=5)
        here.vav.set("zone_temp", 21.1)  # within the COV increment of 0.2: no notification
        await here.server.sync()
        here.vav.set("zone_temp", 21.5)
        await here.server.sync()
        changed = await observation(here.obs, "b15.vav.zone_temp", lambda o: o.value != 21.0)
    assert (changed.value, changed.quality) == (21.5, Quality.GOOD)


async def test_a_command_at_priority_8_holds_until_relinquished() -> None:
    async with site() as here:
        await here.connector.write("b15.vav.setpoint", 25.0, 8)
        commanded = here.vav.get("setpoint"), command_values(here.vav_object("setpoint"))
        here.vav.set("setpoint", 20.0)  # the device's own idea, while the command holds
        await here.server.sync()
        held = await here.value("b15.vav.setpoint")
        await here.connector.relinquish("b15.vav.setpoint", 8)
        relinquished = here.vav.get("setpoint"), await here.value("b15.vav.setpoint")
        await here.connector.write("b15.vav.damper", 80.0, 8)
        await here.connector.relinquish("b15.vav.damper", 8)
        damper = here.vav.get("damper"), await here.value("b15.vav.damper")
        slots = command_values(here.vav_object("setpoint"))
    value, commands = commanded
    assert value == 25.0
    assert commands[7] == 25.0
    assert commands.count(None) == 15
    assert held == (25.0, Quality.GOOD)
    assert relinquished == (22.0, (22.0, Quality.GOOD))  # back to the relinquish-default
    assert damper == (35.0, (35.0, Quality.GOOD))  # back to what the device reports
    assert slots == [None] * 16
    assert here.writes == [
        ("vav_301", "setpoint", 25.0), ("vav_301", "setpoint", None),
        ("vav_301", "damper", 80.0), ("vav_301", "damper", None),
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("point_id", "value", "key", "why"),
    [
        ("b15.vav.setpoint", 35.0, "setpoint", "property: value-out-of-range"),
        ("b15.vav.mode", 4, "mode", "property: value-out-of-range"),  # states 1..3
    ],
)
async def test_a_refused_command_leaves_the_device_as_it_was(
    point_id: str, value: Value, key: str, why: str
) -> None:
    async with site() as here:
        before = here.vav.get(key)
        with pytest.raises(ConnectorError, match=why):
            await here.connector.write(point_id, value, 8)
        after = here.vav.get(key), command_values(here.vav_object(key))
    assert after == (before, [None] * 16)
    assert here.writes == []


async def test_what_the_device_would_never_take_is_refused_over_bacnet() -> None:
    async with site() as here:
        vav, ahu = here.server.endpoints()
        async with bacnet_client(f"{vav.host}:{vav.port}") as link:
            refusals = [
                await _refusal(link, "analog-input,1", "present-value", Real(5.0)),
                await _refusal(link, "analog-output,1", "object-name", CharacterString("x")),
                await _refusal(link, "analog-value,1", "out-of-service", Boolean(True)),
            ]
        async with bacnet_client(f"{ahu.host}:{ahu.port}") as link:
            refusals.append(await _refusal(link, "analog-value,1", "present-value", Real(1.0)))
    assert refusals == ["write-access-denied"] * 4
    assert here.writes == []
    assert here.ahu.get("static_pressure") == 250.0


async def _refusal(link: DeviceLink, obj: str, prop: str, value: object) -> str:
    with pytest.raises(BacnetError) as refused:
        await link.write(ObjectRef.parse(obj), prop, value, None)
    return refused.value.error_code


async def test_a_fault_is_bad_quality_and_refuses_commands_until_cleared() -> None:
    async with site() as here:
        await eventually(lambda: here.connector.stats()["cov_active"] == 1, within_s=5)
        here.vav.fault = "sensor open"
        await here.server.sync()
        by_cov = await observation(
            here.obs, "b15.vav.zone_temp", lambda o: o.quality is Quality.BAD
        )
        polled = await here.value("b15.vav.setpoint")
        other = await here.value("b15.ahu.supply_temp")
        with pytest.raises(ConnectorError, match="device: operational-problem"):
            await here.connector.write("b15.vav.setpoint", 24.0, 8)
        here.vav.fault = None
        await here.server.sync()
        cleared = await observation(
            here.obs, "b15.vav.zone_temp", lambda o: o.quality is Quality.GOOD
        )
    assert by_cov.value == 21.0
    assert polled == (22.0, Quality.BAD)
    assert other == (14.0, Quality.GOOD)  # the other device is fine
    assert cleared.value == 21.0
    assert here.vav.get("setpoint") == 22.0


async def test_offline_goes_silent_and_comes_back_on_its_port_with_its_commands() -> None:
    async with site() as here:
        await here.connector.write("b15.vav.setpoint", 24.0, 8)
        ports = [e.port for e in here.server.endpoints()]
        here.vav.online = False
        await here.server.sync()
        await eventually(lambda: here.health(VAV_ID) is DeviceState.OFFLINE, within_s=5)
        ahu_meanwhile = here.health(AHU_ID)
        here.vav.set("zone_temp", 23.0)  # it changed while nobody could see
        here.vav.online = True
        await here.server.sync()
        await eventually(lambda: here.health(VAV_ID) is DeviceState.ONLINE, within_s=5)
        back = await here.value("b15.vav.zone_temp"), await here.value("b15.vav.setpoint")
        commands = command_values(here.vav_object("setpoint"))
    assert ahu_meanwhile is DeviceState.ONLINE
    assert [e.port for e in here.server.endpoints()] == ports
    assert back == ((23.0, Quality.GOOD), (24.0, Quality.GOOD))
    assert commands[7] == 24.0


async def test_endpoints_name_each_device_where_it_answers() -> None:
    first = free_port()
    vav = SimDevice("vav_301", "VAV-301", VAV, VAV_ID)
    ahu = SimDevice("ahu_1", "AHU-1", AHU, AHU_ID, online=False)
    server: DeviceServer = BacnetDevices("hvac", [vav, ahu], base_port=first)
    await server.start()
    try:
        endpoints = server.endpoints()
    finally:
        await server.stop()
    assert [(e.device, e.protocol, e.host, e.port, e.address, e.server) for e in endpoints] == [
        ("vav_301", "bacnet", "127.0.0.1", first, VAV_ID, "hvac"),
        ("ahu_1", "bacnet", "127.0.0.1", first + 1, AHU_ID, "hvac"),
    ]


@pytest.mark.parametrize(
    ("spec", "why"),
    [
        (PointSpec("x", bacnet=BacnetObject("schedule", 1)), "schedule objects are not served"),
        (PointSpec("x", bacnet=BacnetObject("analog-input", 1, commandable=True)),
         "analog-input objects take no commands"),
        (PointSpec("x", BOOL, bacnet=BacnetObject("analog-input", 1)), "holds a number point"),
        (PointSpec("x", default=1, bacnet=BacnetObject("multi-state-input", 1)),
         "needs its number of states"),
        (PointSpec("x", states=3, bacnet=BacnetObject("multi-state-input", 1)),
         "default 0.0: multi-state-input shows a state number"),
        (PointSpec("x", TEXT, default="on fire", bacnet=BacnetObject("life-safety-point", 1)),
         "'on fire' is not a BACnet life-safety state"),
    ],
)  # fmt: skip
def test_a_product_that_cannot_be_served_is_refused(spec: PointSpec, why: str) -> None:
    with pytest.raises(ValueError, match=why):
        check_spec(spec)


def test_devices_are_checked_when_the_server_is_made() -> None:
    with pytest.raises(ValueError, match="'vav' is not a BACnet device instance"):
        device_instance(SimDevice("vav", "VAV", VAV, "vav"))
    twice = [SimDevice("a", "A", VAV, 1), SimDevice("b", "B", VAV, 1)]
    with pytest.raises(ValueError, match="instances 1 are served twice"):
        BacnetDevices("bacnet", twice)
    same_name = DeviceType("X", "bacnet", (PointSpec("X", bacnet=BacnetObject("analog-input", 1)),))
    with pytest.raises(ValueError, match="point X repeats an object name"):
        ServedDevice(SimDevice("x", "X", same_name, 7), host="127.0.0.1", prefix=8, port=0)


@pytest.mark.parametrize(
    ("symbol", "units"),
    [("degC", "degreesCelsius"), ("%", "percent"), ("%RH", "percentRelativeHumidity"),
     ("ppm", "partsPerMillion"), ("Pa", "pascals"), ("kPa", "kilopascals"),
     ("L/s", "litersPerSecond"), ("m3/h", "cubicMetersPerHour"), ("kW", "kilowatts"),
     ("kWh", "kilowattHours"), ("Hz", "hertz"), ("V", "volts"), ("A", "amperes"),
     ("rpm", "revolutionsPerMinute"), ("furlongs", "noUnits"), (None, "noUnits")],
)  # fmt: skip
def test_unit_symbols_as_engineering_units(symbol: str | None, units: str) -> None:
    assert engineering_units(symbol) == units


SENSORS = DeviceType(
    "IO-20 sensor module",
    "bacnet",
    tuple(
        PointSpec(f"t{n}", unit="degC", bacnet=BacnetObject("analog-input", n, cov_increment=0.1))
        for n in range(1, 21)
    ),
)


async def test_twenty_devices_start_and_sync_300_changes_in_good_time() -> None:
    devices = [SimDevice(f"io_{n}", f"IO-{n}", SENSORS, 2000 + n) for n in range(20)]
    server = BacnetDevices("io", devices)
    started = time.perf_counter()
    await server.start()
    try:
        start_s = time.perf_counter() - started
        for device in devices[:15]:
            for n in range(1, 21):
                device.set(f"t{n}", 20.0 + n / 10)
        synced = time.perf_counter()
        await server.sync()
        sync_s = time.perf_counter() - synced
        shown = server.served("io_14").object("t20").presentValue
    finally:
        await server.stop()
    assert shown == 22.0
    assert start_s < 5.0  # about 1 s on a 2-core machine: bacpypes3 builds an object in 2.5 ms
    assert sync_s < 1.0  # about 20 ms


PANEL = DeviceType(
    "FP-2000 fire panel",
    "bacnet",
    (
        PointSpec("smoke_r301", TEXT, description="Smoke detector R301", default="quiet",
                  bacnet=BacnetObject("life-safety-point", 1)),
        PointSpec("zone_f3", TEXT, description="Fire zone floor 3", default="quiet",
                  bacnet=BacnetObject("life-safety-zone", 1)),
    ),
)  # fmt: skip
PANEL_PROPERTIES = (
    "present-value", "tracking-value", "mode", "silenced", "operation-expected",
    "status-flags", "event-state", "reliability",
)  # fmt: skip


async def test_life_safety_objects_show_the_panel_and_take_no_writes() -> None:
    panel = SimDevice("fire_panel", "FP-1", PANEL, 1600)
    server = BacnetDevices("fire", [panel])
    await server.start()
    (endpoint,) = server.endpoints()
    try:
        async with bacnet_client(f"{endpoint.host}:{endpoint.port}") as link:
            quiet = await _panel(link, "life-safety-point,1")
            panel.set("smoke_r301", "alarm")
            panel.set("zone_f3", "preAlarm")  # bacpypes3's own spelling is taken too
            await server.sync()
            alarm = await _panel(link, "life-safety-point,1")
            zone = await _panel(link, "life-safety-zone,1")
            panel.set("smoke_r301", "fault")  # the detector's trouble, reported as its state
            panel.fault = "loop short circuit"  # the panel's own fault: nothing is reliable
            await server.sync()
            trouble = await _panel(link, "life-safety-point,1")
            refusals = [
                await _refusal(link, "life-safety-point,1", "present-value", Enumerated(0)),
                await _refusal(link, "life-safety-zone,1", "mode", Enumerated(0)),
            ]
    finally:
        await server.stop()
    assert quiet == ["quiet", "quiet", "on", "unsilenced", "none", [0, 0, 0, 0], "normal",
                     "no-fault-detected"]  # fmt: skip
    assert alarm == ["alarm", "alarm", "on", "unsilenced", "none", [1, 0, 0, 0],
                     "life-safety-alarm", "no-fault-detected"]  # fmt: skip
    assert zone[:2] == ["pre-alarm", "pre-alarm"]
    assert zone[5:7] == [[1, 0, 0, 0], "offnormal"]
    assert trouble[0] == "fault"
    assert trouble[5:] == [[0, 1, 0, 0], "normal", "unreliable-other"]
    assert refusals == ["write-access-denied"] * 2


async def _panel(link: DeviceLink, obj: str) -> list[object]:
    """The properties of PANEL_PROPERTIES, enumerations by name, status-flags as bits."""
    results = await link.read_multiple([(ObjectRef.parse(obj), PANEL_PROPERTIES)])
    assert [r.error for r in results] == [None] * len(PANEL_PROPERTIES)
    return [list(r.value) if isinstance(r.value, list) else str(r.value) for r in results]


async def test_a_subscription_its_subscriber_forgot_is_dropped() -> None:
    here = Site()
    await here.server.start()
    served = here.server.served("vav_301")
    try:
        here.connector = connector(here.configs(poll_s=3600, cov_lifetime_s=60), BINDINGS, here.bus)
        async with running(here.connector):
            await eventually(lambda: here.connector.stats()["cov_active"] == 1, within_s=5)
            held = served.subscriptions("zone_temp")
        # the platform restarts on its address, without the subscriptions it had
        address = here.connector.config.local_address
        stack = await BacnetStack.open(address, 4194002, name="restarted", apdu_timeout_s=1.0)
        try:
            here.vav.set("zone_temp", 25.0)
            await here.server.sync()  # a notification the restarted platform does not know
            await eventually(lambda: served.subscriptions("zone_temp") == 0, within_s=5)
        finally:
            stack.close()
    finally:
        await here.server.stop()
    assert held == 1


# Every object type served, with what a write at priority 8 sends and what the point then holds.
EVERY_TYPE = [
    ("analog-input", False, NUMBER, 1.5, None, None),
    ("analog-output", True, NUMBER, 0.0, Real(40.0), 40.0),
    ("analog-value", False, NUMBER, 0.0, Real(2.5), 2.5),
    ("analog-value", True, NUMBER, 0.0, Real(3.5), 3.5),
    ("binary-input", False, BOOL, True, None, None),
    ("binary-output", True, BOOL, False, BinaryPV("active"), True),
    ("binary-value", False, BOOL, False, BinaryPV("active"), True),
    ("binary-value", True, BOOL, False, BinaryPV("active"), True),
    ("multi-state-input", False, NUMBER, 2, None, None),
    ("multi-state-output", True, NUMBER, 1, Unsigned(3), 3),
    ("multi-state-value", False, NUMBER, 1, Unsigned(2), 2),
    ("multi-state-value", True, NUMBER, 1, Unsigned(3), 3),
    ("characterstring-value", False, TEXT, "a", CharacterString("b"), "b"),
    ("characterstring-value", True, TEXT, "a", CharacterString("c"), "c"),
    ("life-safety-point", False, TEXT, "quiet", None, None),
    ("life-safety-zone", False, TEXT, "quiet", None, None),
]
EVERYTHING = DeviceType(
    "Test rig",
    "bacnet",
    tuple(
        PointSpec(
            f"p{n}", kind, writable=written is not None, default=default, states=3,
            bacnet=BacnetObject(kind_, n, commandable=commandable),
        )
        for n, (kind_, commandable, kind, default, written, _) in enumerate(EVERY_TYPE)
    ),
)  # fmt: skip


async def test_every_object_type_is_served_with_cov_and_takes_its_writes() -> None:
    rig = SimDevice("rig", "Rig", EVERYTHING, 1700)
    server = BacnetDevices("rig", [rig])
    await server.start()
    (endpoint,) = server.endpoints()
    try:
        async with bacnet_client(f"{endpoint.host}:{endpoint.port}") as link:
            objects = [ObjectRef(t[0], n) for n, t in enumerate(EVERY_TYPE)]
            read = await link.read_multiple([(obj, ["present-value"]) for obj in objects])
            for obj in objects:
                await link.subscription(obj, confirmed=True, lifetime_s=10).start()
            for obj, (*_, written, _) in zip(objects, EVERY_TYPE, strict=True):
                if written is not None:
                    await link.write(obj, "present-value", written, 8)
            subscribed = [server.served("rig").subscriptions(f"p{n}") for n in range(len(objects))]
    finally:
        await server.stop()
    assert [str(r.value) for r in read] == [
        "1.5", "0.0", "0.0", "0.0", "active", "inactive", "inactive", "inactive", "2", "1",
        "1", "1", "a", "a", "quiet", "quiet",
    ]  # fmt: skip
    assert subscribed == [1] * len(objects)
    assert [rig.get(f"p{n}") for n, t in enumerate(EVERY_TYPE) if t[4] is not None] == [
        t[5] for t in EVERY_TYPE if t[4] is not None
    ]
