"""Discovery against bacpypes3 devices: directed Who-Is, object lists, a draft that validates."""

from __future__ import annotations

import pytest

from penworks.bus import MemoryBus
from penworks.connectors import DiscoveredPoint
from penworks.connectors.bacnet import BacnetConnectorConfig, discover_bacnet
from penworks.connectors.draft import draft_site
from penworks.model import BrickOntology, SiteModel
from penworks.model.schema import BacnetBinding
from tests.unit.connectors.bacnet.peer import PeerDevice
from tests.unit.connectors.bacnet.support import (
    binding,
    connector,
    device_config,
    devices,
    free_port,
    point,
    running,
)

pytestmark = pytest.mark.integration

A, B = 1501, 1502


def by_object(points: list[DiscoveredPoint]) -> dict[str, DiscoveredPoint]:
    return {p.binding["object"]: p for p in points}


async def test_discovers_two_devices_of_one_host_and_drafts_a_valid_site() -> None:
    a_peer = PeerDevice(A, free_port(), name="AHU-1 Controller")
    b_peer = PeerDevice(B, free_port(), name="VAV 3-01", whole_object_list=False)
    async with devices(a_peer, b_peer):
        found = await discover_bacnet(f"{a_peer.address}, {b_peer.address}", timeout_s=1.0)
    assert [d.health_device for d in found.devices] == ["1501", "1502"]
    a, b = found.devices
    assert (a.name, a.label, b.name) == ("ahu_1_controller", "AHU-1 Controller", "vav_3_01")
    assert a.config == {"instance": A, "address": a_peer.address}
    points = by_object(a.points)
    assert len(points) == 10  # every object points are made of; not the device nor its port
    assert by_object(b.points).keys() == points.keys()  # its list read item by item
    zone = points["analog-input,1"]
    assert (zone.name, zone.unit, zone.kind) == ("Zone Temp", "degC", "number")
    assert zone.suggested_brick == "Zone_Air_Temperature_Sensor"
    assert zone.description == "Zone air temperature"
    assert zone.sample == 21.5
    assert zone.writable is False
    assert points["analog-input,2"].suggested_brick == "CO2_Sensor"
    assert points["analog-input,2"].unit == "ppm"
    assert points["analog-output,1"].writable is True
    assert points["analog-output,1"].suggested_brick == "Damper_Position_Command"
    assert points["analog-value,1"].writable is False  # no priority-array
    assert points["analog-value,1"].suggested_brick == "Zone_Air_Temperature_Setpoint"
    assert points["analog-value,2"].writable is True
    assert points["analog-value,2"].suggested_brick == "Supply_Air_Temperature_Setpoint"
    assert points["analog-value,4"].unit == "Pa"
    assert (points["binary-input,1"].kind, points["binary-input,1"].suggested_brick) == (
        "bool",
        "Fan_Status",
    )
    assert points["binary-output,1"].writable is True
    assert points["multi-state-value,1"].kind == "number"
    for found_point in a.points + b.points:
        BacnetBinding.model_validate({"connector": "bacnet", **found_point.binding})
    config = BacnetConnectorConfig.model_validate(found.connector_config)
    assert [(d.instance, d.address) for d in config.devices] == [
        (A, a_peer.address),
        (B, b_peer.address),
    ]
    site = draft_site(found, connector_name=config.name, ontology=BrickOntology.load("1.4"))
    model = SiteModel.from_def(site, BrickOntology.load("1.4"), source="<draft>")
    assert len(model.bindings("bacnet")) == 20


async def test_instance_range_and_silent_targets() -> None:
    async with devices(PeerDevice(A, free_port())) as (a,):
        outside = await discover_bacnet(a.address, timeout_s=0.5, instance_range=(1, 1000))
        inside = await discover_bacnet(a.address, timeout_s=0.5, instance_range=(1500, 1600))
    silent = await discover_bacnet(f"127.0.0.1:{free_port()}", timeout_s=0.3)
    assert outside.devices == []
    assert [d.health_device for d in inside.devices] == ["1501"]
    assert silent.devices == []
    assert silent.connector_config["devices"] == []


async def test_scan_lists_the_objects_of_configured_devices() -> None:
    async with devices(PeerDevice(A, free_port())) as (a,):
        points = [(point("a.zone_temp"), binding(A, "analog-input,1"))]
        bacnet = connector([device_config(a, poll_s=60)], points, MemoryBus())
        async with running(bacnet):
            found = await bacnet.scan(5.0)
    assert by_object(found)["analog-input,1"].suggested_brick == "Zone_Air_Temperature_Sensor"
    assert len(found) == 10
