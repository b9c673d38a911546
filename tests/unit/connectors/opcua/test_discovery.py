"""Browsed variables into devices and points: grouping by equipment object, hints, bindings."""

from __future__ import annotations

import pytest

from penworks.connectors.opcua import discover_opcua
from penworks.connectors.opcua.browse import BrowsedVariable, Segment
from penworks.connectors.opcua.discovery import discovered_devices
from penworks.core import ConfigError, PointKind
from penworks.model.schema import OpcuaBinding

LIFT1 = Segment("Lift1", "Lift 1", "ns=2;s=Lift1", folder=False)
DOOR = Segment("Door", "Door", "ns=2;s=Lift1.Door", folder=False)
PLANT = Segment("Plant", "Plant", "ns=2;s=Plant", folder=True)
PUMP = Segment("Pump1", "Pump 1", "ns=2;i=7", folder=False)
ENTRY = {"name": "lifts", "url": "opc.tcp://127.0.0.1:4840/lifts/"}


def variable(
    path: tuple[Segment, ...],
    name: str,
    kind: PointKind | None = PointKind.NUMBER,
    **fields: object,
) -> BrowsedVariable:
    node = f"ns=2;s={'.'.join([*(s.name for s in path), name])}"
    settings: dict[str, object] = {"data_type": "Double", "writable": False}
    settings.update(fields)
    return BrowsedVariable(node, path, name, name, kind=kind, **settings)  # type: ignore[arg-type]


def test_each_equipment_object_is_a_device_and_folders_only_group() -> None:
    devices = discovered_devices(
        "lifts",
        ENTRY,
        [
            variable((LIFT1,), "Position", unit="m"),
            variable((LIFT1, DOOR), "Open", PointKind.BOOL, writable=True),
            variable((PLANT, PUMP), "Speed", unit="Hz", writable=True),
            variable((PLANT,), "OutsideTemp", unit="degC"),
            variable((), "Uptime"),
            variable((LIFT1,), "History", None),  # a structure: no point can hold it
        ],
        server_label="Building 15 lifts",
    )
    by_name = {d.name: d for d in devices}
    assert set(by_name) == {"lift1", "pump1", "plant", "lifts"}
    assert by_name["lift1"].label == "Lift 1"
    assert by_name["lifts"].label == "Building 15 lifts"  # variables right under Objects
    assert [p.name for p in by_name["lift1"].points] == ["Position", "Door.Open"]
    assert all(d.health_device == "lifts" and d.config == ENTRY for d in devices)


def test_points_carry_hints_and_bindings_that_validate() -> None:
    [device] = discovered_devices(
        "lifts",
        ENTRY,
        [
            variable(
                (PLANT, PUMP),
                "SupplyTemp",
                unit="degC",
                description="Supply water temperature",
                eu_range=(0.0, 90.0),
                sample=45.5,
            )
        ],
    )
    [found] = device.points
    assert found.device == "pump1"
    assert found.address == "ns=2;s=Plant.Pump1.SupplyTemp"
    assert (found.kind, found.unit, found.sample) == ("number", "degC", 45.5)
    assert found.suggested_brick == "Supply_Air_Temperature_Sensor"
    assert found.extra == {
        "data_type": "Double",
        "browse_path": "Plant/Pump1/SupplyTemp",
        "eu_range": "0..90",
    }
    bound = OpcuaBinding.model_validate({"connector": "opcua", **found.binding})
    assert (bound.server, bound.node, bound.subscribe) == ("lifts", found.address, True)


async def test_a_target_that_is_no_address_is_refused_before_connecting() -> None:
    with pytest.raises(ConfigError, match="expected HOST:PORT"):
        await discover_opcua("http://lifts:4840")
    with pytest.raises(ConfigError, match="bad target"):
        await discover_opcua("lifts:port")
