"""The twin and the site model describe the same building: every device point is bound by
exactly one site point at its protocol address, with the same kind, unit and writability,
every binding reaches a device point, and every device has a comm_loss point.

A real integrator's points list and a real building drift apart; here a test keeps them
together, so the platform reads every point the twin serves and nothing it does not.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from penworks.config import DEFAULT_SITE
from penworks.core import SimClock
from penworks.loopback import Address, bound, health_name, served
from penworks.model import SiteModel
from penworks.model.schema import (
    HealthBinding,
    ModbusBinding,
    MqttBinding,
    ScheduleBinding,
)
from penworks.sim.devices import SimDevice
from penworks.sim.run import RunningTwin
from penworks.sim.twin import building15

META_PREFIX = "sunspec_"  # registers that describe a SunSpec map, not values of the building


@pytest.fixture(scope="module")
def site() -> SiteModel:
    return SiteModel.load(Path(DEFAULT_SITE))


@pytest.fixture(scope="module")
def devices() -> list[SimDevice]:
    return building15(datetime(2026, 7, 15, 2, tzinfo=UTC)).devices()


def test_every_device_point_is_bound_once_and_every_binding_is_served(
    site: SiteModel, devices: list[SimDevice]
) -> None:
    points = {
        served(d, s): (d, s)
        for d in devices
        for s in d.type.points
        if not s.key.startswith(META_PREFIX)
    }
    by_address: dict[Address, list[str]] = {}
    for point in site.points():
        binding = site.binding(point.id)
        if binding is None or isinstance(binding, HealthBinding | ScheduleBinding):
            continue
        by_address.setdefault(bound(binding), []).append(point.id)
    unbound = sorted(f"{d.name}.{s.key}" for a, (d, s) in points.items() if a not in by_address)
    twice = sorted(f"{a}: {ids}" for a, ids in by_address.items() if len(ids) > 1)
    stray = sorted(f"{ids[0]} -> {a}" for a, ids in by_address.items() if a not in points)
    assert (unbound, twice, stray) == ([], [], [])


def test_bound_points_agree_with_the_device(site: SiteModel, devices: list[SimDevice]) -> None:
    specs = {served(d, s): s for d in devices for s in d.type.points}
    problems = []
    for point in site.points():
        binding = site.binding(point.id)
        if binding is None or isinstance(binding, HealthBinding | ScheduleBinding):
            continue
        spec = specs[bound(binding)]
        if point.kind is not spec.kind:
            problems.append(f"{point.id}: kind {point.kind} but the device's is {spec.kind}")
        if point.writable and not spec.writable:
            problems.append(f"{point.id}: writable, but the device's {spec.key} is read-only")
        if point.unit != spec.unit and None not in (point.unit, spec.unit):
            problems.append(f"{point.id}: unit {point.unit} but the device's is {spec.unit}")
        if point.writable and (point.min, point.max) != (spec.min, spec.max):
            problems.append(f"{point.id}: limits {point.min}..{point.max}, {spec.min}..{spec.max}")
        modbus = spec.modbus
        if isinstance(binding, ModbusBinding) and modbus and binding.type != modbus.type:
            problems.append(f"{point.id}: type {binding.type} but {modbus.type}")
        if isinstance(binding, MqttBinding) and point.writable:
            command = (binding.command_topic, binding.command_key)
            if command != (f"{binding.topic}/set", spec.key):
                problems.append(f"{point.id}: commands go to {command}")
    assert problems == []


def test_every_device_has_a_comm_loss_point(site: SiteModel, devices: list[SimDevice]) -> None:
    reported = {
        (b.source, b.device)
        for p in site.points()
        if isinstance(b := site.binding(p.id), HealthBinding) and b.field == "comm_loss"
    }
    missing = sorted(
        f"{d.protocol} {health_name(d)}"
        for d in devices
        if d.protocol != "mqtt" and (d.protocol, health_name(d)) not in reported
    )
    assert missing == []


def test_every_device_can_be_served_over_its_protocol() -> None:
    """The servers check register maps, object lists and node types when they are built."""
    building = building15(datetime(2026, 7, 15, 2, tzinfo=UTC))
    twin = RunningTwin(building, SimClock(building.now), "mqtt://127.0.0.1:1883")
    kinds = sorted(type(s).__name__ for s in twin.servers)
    assert kinds == [
        "BacnetDevices",
        "ModbusGateway",
        "ModbusGateway",
        "ModbusGateway",
        "MqttDevices",
        "OpcuaServer",
    ]
