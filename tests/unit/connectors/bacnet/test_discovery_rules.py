"""What discovery makes of an object: role, kind, unit symbol, Brick class, binding."""

from __future__ import annotations

import pytest
from bacpypes3.basetypes import EngineeringUnits, PriorityArray, PriorityValue, StatusFlags
from bacpypes3.primitivedata import CharacterString, Real

from penworks.connectors.bacnet.discovery import _point, connector_config, role
from penworks.connectors.bacnet.objects import ObjectRef
from penworks.connectors.bacnet.poll import ObjectReading, batch_for
from penworks.connectors.bacnet.units import unit_symbol
from penworks.connectors.base import DiscoveredDevice
from penworks.model.schema import BacnetBinding


@pytest.mark.parametrize(
    ("units", "symbol"),
    [
        ("degreesCelsius", "degC"),
        ("percent", "%"),
        ("partsPerMillion", "ppm"),
        ("kilowatts", "kW"),
        ("kilowattHours", "kWh"),
        ("pascals", "Pa"),
        ("litersPerSecond", "L/s"),
        ("percentRelativeHumidity", "%RH"),
        ("noUnits", None),
        ("candelas", None),  # not in the table: no guess
        (None, None),
    ],
)
def test_engineering_units_as_symbols(units: str | None, symbol: str | None) -> None:
    assert unit_symbol(units) == symbol


@pytest.mark.parametrize(
    ("obj", "name", "description", "expected"),
    [
        ("analog-input,1", "Zone Temp", None, "sensor"),
        ("analog-output,1", "Damper", None, "command"),
        ("binary-output,1", "Fan", None, "command"),
        ("multi-state-output,1", "Speed", None, "command"),
        ("binary-input,1", "Fan", None, "status"),
        ("analog-value,1", "Zone Temp SP", None, "setpoint"),
        ("analog-value,2", "Heating", "cooling setpoint of the zone", "setpoint"),
        ("analog-value,3", "Supply Temp", None, "sensor"),
        ("schedule,1", "Occupancy", None, None),
    ],
)
def test_roles(obj: str, name: str, description: str | None, expected: str | None) -> None:
    assert role(ObjectRef.parse(obj), name, description, None) == expected


def reading(obj: str, **values: object) -> ObjectReading:
    return ObjectReading(ObjectRef.parse(obj), {k.replace("_", "-"): v for k, v in values.items()})


def test_a_zone_temperature_in_celsius_is_a_zone_air_temperature_sensor() -> None:
    found = _point(
        reading(
            "analog-input,3",
            object_name=CharacterString("Zone Temp"),
            units=EngineeringUnits("degreesCelsius"),
            present_value=Real(21.5),
            status_flags=StatusFlags([0, 0, 0, 0]),
        ),
        1501,
        "vav_1",
    )
    assert found.suggested_brick == "Zone_Air_Temperature_Sensor"
    assert (found.unit, found.kind, found.sample, found.writable) == ("degC", "number", 21.5, False)
    assert (found.address, found.device) == ("1501/analog-input,3", "vav_1")
    assert found.extra == {"object": "analog-input,3", "object_type": "analog-input",
                           "units": "degreesCelsius"}  # fmt: skip
    binding = BacnetBinding.model_validate({"connector": "bacnet", **found.binding})
    assert (binding.device, binding.object, binding.property) == (1501, "analog-input,3",
                                                                  "present-value")  # fmt: skip


def test_a_value_object_is_writable_only_with_a_priority_array() -> None:
    plain = reading("analog-value,1", object_name=CharacterString("Zone Temp Setpoint"))
    commandable = reading(
        "analog-value,2", object_name=CharacterString("Zone Temp Setpoint"),
        priority_array=PriorityArray([PriorityValue(null=()) for _ in range(16)]),
    )  # fmt: skip
    assert _point(plain, 1, "d").writable is False
    assert _point(commandable, 1, "d").writable is True
    assert _point(commandable, 1, "d").suggested_brick == "Zone_Air_Temperature_Setpoint"
    assert _point(reading("binary-value,1"), 1, "d").kind == "bool"
    assert _point(reading("binary-value,1"), 1, "d").name == "binary-value,1"  # no name given


def test_batches_fit_the_device() -> None:
    assert batch_for(1476) > batch_for(1024) > batch_for(480) > batch_for(206) >= 1
    assert batch_for(50) == 1


def device(instance: int, address: str) -> DiscoveredDevice:
    config = {"instance": instance, "address": address}
    return DiscoveredDevice(f"d{instance}", "D", "BACnet_Controller", [], str(instance), config)


def test_the_connector_config_keeps_clear_of_devices_on_this_machine() -> None:
    far = connector_config([device(1, "10.0.0.20:47808")])
    assert far["address"] == "0.0.0.0/0:47808"
    assert far["devices"] == [{"instance": 1, "address": "10.0.0.20:47808"}]
    near = connector_config([device(1, "127.0.0.1:47808"), device(2, "127.0.0.1:47809")])
    assert near["address"] == "0.0.0.0/0:47810"
    # bacpypes3 names a device on the BACnet port without the port
    assert connector_config([device(1, "127.0.0.1")])["address"] == "0.0.0.0/0:47809"
