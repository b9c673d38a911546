"""The spaces systems' devices: named and addressed by convention, typed, deterministic."""

from __future__ import annotations

import re
from datetime import timedelta

from penworks.core import PointKind
from penworks.sim.building import Building
from penworks.sim.devices import SimDevice
from penworks.sim.layout import FLOOR_LEVELS
from tests.unit.sim.test_spaces_support import SEED, WEDNESDAY, at, spaces_systems, working_day

TOPIC = re.compile(r"^b15/(?P<floor>[a-z0-9]+)/(?P<space>[a-z0-9_]+)/(?P<device>[a-z0-9_]+)$")


def all_devices() -> list[SimDevice]:
    return [d for s in spaces_systems() for d in s.devices()]


def test_devices_are_named_and_addressed_by_the_conventions() -> None:
    devices = all_devices()
    names = [d.name for d in devices]
    assert len(names) == len(set(names))
    assert all(re.fullmatch(r"[a-z][a-z0-9_]*", n) for n in names)
    for device in devices:
        if device.protocol == "mqtt":
            found = TOPIC.match(str(device.address))
            assert found, device.address
            assert found["floor"] in FLOOR_LEVELS
            assert device.location == f"{found['floor']}/{found['space']}"
        else:
            assert (device.protocol, device.gateway) == ("opcua", "lifts")
    counts = {s.name: len(s.devices()) for s in spaces_systems()}
    assert counts == {
        "lighting": 21,  # every zone and fan-coil room
        "blinds": 12,  # offices, meeting rooms, the hall
        "environment": 21,
        "elevators": 4,  # three cars and the group
        "counting": 3,
        "positioning": 25,  # the rooms, the car park, plant and electrical rooms, the roof
        "meeting": 9,  # panel, presence sensor and display in three rooms
        "screens": 5,
    }


def test_every_value_has_its_points_kind_all_day() -> None:
    for _, values, _ in working_day().snapshots:
        for device in all_devices():
            for spec in device.type.points:
                value = values[device.name][spec.key]
                if spec.kind is PointKind.BOOL:
                    assert isinstance(value, bool), (device.name, spec.key)
                elif spec.kind is PointKind.TEXT:
                    assert isinstance(value, str), (device.name, spec.key)
                else:
                    assert isinstance(value, int | float), (device.name, spec.key)
                    assert not isinstance(value, bool), (device.name, spec.key)
                    if spec.min is not None and spec.max is not None:
                        assert spec.min <= value <= spec.max, (device.name, spec.key)


def run(seed: int) -> dict[str, dict[str, object]]:
    building = Building(at(WEDNESDAY, 7), spaces_systems(seed), seed=seed)
    building.advance_to(at(WEDNESDAY, 7) + timedelta(hours=3))
    return {d.name: dict(d.values) for d in building.devices()}


def test_the_same_seed_gives_the_same_values_and_another_seed_does_not() -> None:
    first, again, other = run(SEED), run(SEED), run(SEED + 1)
    assert first == again
    assert first != other
    differing = {name for name in first if first[name] != other[name]}
    assert len(differing) > 20
