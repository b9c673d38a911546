"""Life-safety points and zones of a fire panel: read as their state's name, never commanded.

The panel is the twin's (penworks.sim.servers.bacnet): a smoke detector and a heat detector
as life-safety-points and a floor's fire zone as a life-safety-zone, each showing a BACnet
LifeSafetyState.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import pytest
from bacpypes3.basetypes import LifeSafetyState, StatusFlags
from bacpypes3.primitivedata import CharacterString

from penworks.bus import MemoryBus
from penworks.connectors.bacnet import BacnetConnector
from penworks.connectors.bacnet.discovery import _point, discover_bacnet
from penworks.connectors.bacnet.objects import ObjectRef
from penworks.connectors.bacnet.poll import ObjectReading
from penworks.core import CommandRejected, PointKind, Quality
from penworks.sim.devices import BacnetObject, DeviceType, PointSpec, SimDevice
from penworks.sim.servers.bacnet import BacnetDevices
from tests.unit.connectors.bacnet.support import (
    binding,
    connector,
    device_config,
    observation,
    point,
    running,
)
from tests.unit.connectors.support import eventually

TEXT = PointKind.TEXT
PANEL_ID = 1600
PANEL = DeviceType(
    "FP-2000 fire panel",
    "bacnet",
    (
        PointSpec("smoke_detector_r301", TEXT, description="Smoke detector R301",
                  default="quiet", bacnet=BacnetObject("life-safety-point", 1)),
        PointSpec("heat_detector_r302", TEXT, description="Heat detector R302",
                  default="quiet", bacnet=BacnetObject("life-safety-point", 2)),
        PointSpec("fire_zone_f3", TEXT, description="Fire zone, floor 3", default="quiet",
                  bacnet=BacnetObject("life-safety-zone", 1)),
    ),
)  # fmt: skip


class Panel:
    """The twin's fire panel answering BACnet/IP, and what the platform binds of it."""

    def __init__(self) -> None:
        self.device = SimDevice("fire_panel", "Fire Panel F3", PANEL, PANEL_ID)
        self.server = BacnetDevices("fire", [self.device])
        self.bus = MemoryBus()
        self.obs = self.bus.subscribe("obs.>", name="test", maxsize=10_000)

    @property
    def address(self) -> str:
        (endpoint,) = self.server.endpoints()
        return f"{endpoint.host}:{endpoint.port}"

    def connector(self, *, cov: bool, **fields: object) -> BacnetConnector:
        points = [
            (point("b15.f3.r301.smoke", TEXT), binding(PANEL_ID, "life-safety-point,1", cov=cov)),
            (point("b15.f3.fire_zone", TEXT), binding(PANEL_ID, "life-safety-zone,1", cov=cov)),
        ]
        config = device_config(PANEL_ID, address=self.address, **fields)
        return connector([config], points, self.bus)

    async def goes(self, key: str, state: str) -> None:
        self.device.set(key, state)
        await self.server.sync()


@contextlib.asynccontextmanager
async def panel() -> AsyncIterator[Panel]:
    here = Panel()
    await here.server.start()
    try:
        yield here
    finally:
        await here.server.stop()


async def test_polling_sees_a_detector_go_from_quiet_to_alarm() -> None:
    async with panel() as here:
        bacnet = here.connector(cov=False)
        async with running(bacnet):
            quiet = await bacnet.read("b15.f3.r301.smoke")
            await here.goes("smoke_detector_r301", "alarm")
            alarm = await observation(here.obs, "b15.f3.r301.smoke", lambda o: o.value != "quiet")
            await here.goes("fire_zone_f3", "pre-alarm")
            zone = await observation(here.obs, "b15.f3.fire_zone", lambda o: o.value != "quiet")
            stats = bacnet.stats()
    assert quiet is not None
    assert (quiet.value, quiet.quality) == ("quiet", Quality.GOOD)
    # in alarm is not a reason to distrust the value: alarms are what the point is for
    assert (alarm.value, alarm.quality) == ("alarm", Quality.GOOD)
    assert (zone.value, zone.quality) == ("pre-alarm", Quality.GOOD)
    assert stats["cov_active"] == 0
    assert stats["dead_letters"] == 0


async def test_cov_reports_a_detector_going_into_alarm() -> None:
    async with panel() as here:
        bacnet = here.connector(cov=True, poll_s=3600)  # after the first poll only COV
        async with running(bacnet):
            await eventually(lambda: bacnet.stats()["cov_active"] == 2, within_s=5)
            await here.goes("smoke_detector_r301", "alarm")
            alarm = await observation(here.obs, "b15.f3.r301.smoke", lambda o: o.value != "quiet")
            here.device.fault = "loop open"
            await here.goes("smoke_detector_r301", "fault")
            fault = await observation(here.obs, "b15.f3.r301.smoke", lambda o: o.value != "alarm")
            stats = bacnet.stats()
    assert (alarm.value, alarm.quality) == ("alarm", Quality.GOOD)
    assert (fault.value, fault.quality) == ("fault", Quality.BAD)  # the panel itself in fault
    assert stats["requests.read_property_multiple"] == 1  # the first poll; then notifications
    assert stats["cov_refused"] == 0


async def test_a_command_to_life_safety_is_refused_before_sending() -> None:
    smoke = (point("b15.smoke", TEXT, writable=True), binding(PANEL_ID, "life-safety-point,1"))
    bacnet = connector([device_config(PANEL_ID, address="127.0.0.1:47808")], [smoke], MemoryBus())
    with pytest.raises(CommandRejected, match="life-safety-point,1 is an input"):
        await bacnet.write("b15.smoke", "quiet", 1)
    with pytest.raises(CommandRejected, match="life-safety-point,1 is an input"):
        await bacnet.relinquish("b15.smoke", 1)
    assert bacnet.stats()["requests.write_property"] == 0


def _reading(obj: str, name: str, state: str) -> ObjectReading:
    return ObjectReading(
        ObjectRef.parse(obj),
        {
            "object-name": CharacterString(name),
            "present-value": LifeSafetyState(state),
            "status-flags": StatusFlags([0, 0, 0, 0]),
        },
    )


@pytest.mark.parametrize(
    ("obj", "name", "brick"),
    [
        ("life-safety-point,1", "Smoke Det R301", "Smoke_Detection_Alarm"),
        ("life-safety-point,2", "Heat Det R302", "Alarm"),  # Brick has no heat alarm point
        ("life-safety-point,3", "Sprinkler Flow Switch", "Alarm"),  # not a flow sensor
        ("life-safety-zone,1", "Fire Zone F3", "Alarm"),
    ],
)
def test_discovery_suggests_alarms(obj: str, name: str, brick: str) -> None:
    found = _point(_reading(obj, name, "quiet"), PANEL_ID, "fire_panel")
    assert found.suggested_brick == brick
    assert (found.kind, found.writable, found.sample) == ("text", False, "quiet")


async def test_discovery_of_the_twin_s_panel() -> None:
    async with panel() as here:
        await here.goes("heat_detector_r302", "pre-alarm")
        found = await discover_bacnet(here.address, timeout_s=0.5, local_address="127.0.0.1:0")
    (device,) = found.devices
    points = {p.name: p for p in device.points}
    assert device.label == "Fire Panel F3"
    assert device.brick == "Fire_Control_Panel"  # "fire panel"
    assert {n: (p.suggested_brick, p.sample) for n, p in points.items()} == {
        "smoke_detector_r301": ("Smoke_Detection_Alarm", "quiet"),
        "heat_detector_r302": ("Alarm", "pre-alarm"),
        "fire_zone_f3": ("Alarm", "quiet"),
    }
    assert {p.writable for p in points.values()} == {False}
