from __future__ import annotations

import pytest

from penworks.connectors.mqtt.discovery import (
    MAX_LEAVES,
    discover,
    leaves,
    suggest_brick,
    unit_from_name,
    words,
)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("zoneAirTemp", ["zone", "air", "temp"]),
        ("zone_air_temp", ["zone", "air", "temp"]),
        ("co2-ppm", ["co2", "ppm"]),
        ("energy_kWh", ["energy", "kwh"]),
    ],
)
def test_words(name: str, expected: list[str]) -> None:
    assert words(name) == expected


@pytest.mark.parametrize(
    ("name", "unit", "brick"),
    [
        ("temp", None, "Temperature_Sensor"),
        ("zoneAirTemperature", None, "Zone_Air_Temperature_Sensor"),
        ("temp_setpoint", None, "Temperature_Setpoint"),
        ("setpoint", None, "Setpoint"),
        ("co2", None, "CO2_Sensor"),
        ("CO2_ppm", None, "CO2_Sensor"),
        ("humidity", None, "Humidity_Sensor"),
        ("rh", None, "Humidity_Sensor"),
        ("power", None, "Electric_Power_Sensor"),
        ("energy", None, "Energy_Sensor"),
        ("total_kwh", None, "Energy_Sensor"),
        ("occupied", None, "Occupancy_Sensor"),
        ("occupancy", None, "Occupancy_Sensor"),
        ("lux", None, "Illuminance_Sensor"),
        ("reading", "degC", "Temperature_Sensor"),
        ("reading", "kW", "Electric_Power_Sensor"),
        ("count", None, None),
        ("gizmo", "furlong", None),
        ("mode", "furlong", "Mode_Status"),
    ],
)
def test_suggest_brick_from_key_words_then_unit(
    name: str, unit: str | None, brick: str | None
) -> None:
    assert suggest_brick(name, unit) == brick


@pytest.mark.parametrize(
    ("name", "unit"), [("temp_c", "degC"), ("power_kw", "kW"), ("co2_ppm", "ppm"), ("temp", None)]
)
def test_unit_from_name(name: str, unit: str | None) -> None:
    assert unit_from_name(name) == unit


def test_leaves_walk_objects_and_arrays_with_sibling_units() -> None:
    doc = {
        "t": {"value": 21.5, "unit": "degC"},
        "on": True,
        "list": [1, "a"],
        "n": None,
        "nan": float("nan"),
    }
    found = [(steps, value, unit) for steps, value, unit in leaves(doc)]
    assert found == [
        (("t", "value"), 21.5, "degC"),
        (("on",), True, None),
        (("list", 0), 1, None),
        (("list", 1), "a", None),
    ]


def test_leaves_are_bounded() -> None:
    assert len(list(leaves({f"k{i}": i for i in range(1000)}))) == MAX_LEAVES


def test_discover_names_kinds_units_and_bricks() -> None:
    doc = {
        "temp_c": 21.5,
        "occupied": False,
        "mode": "auto",
        "ts": "2025-01-01T00:00:00Z",
        "meter": {"value": 3.2, "unit": "kW"},
    }
    found = {p.address: p for p in discover("mqtt", "b15/r1/env", doc)}
    assert sorted(found) == [
        "b15/r1/env $.meter.value",
        "b15/r1/env $.mode",
        "b15/r1/env $.occupied",
        "b15/r1/env $.temp_c",
        "b15/r1/env $.ts",
    ]
    temp = found["b15/r1/env $.temp_c"]
    assert (temp.kind, temp.unit, temp.suggested_brick, temp.sample) == (
        "number",
        "degC",
        "Temperature_Sensor",
        21.5,
    )
    assert temp.extra == {"topic": "b15/r1/env", "path": "$.temp_c"}
    occupied = found["b15/r1/env $.occupied"]
    assert (occupied.kind, occupied.suggested_brick) == ("bool", "Occupancy_Sensor")
    assert found["b15/r1/env $.mode"].kind == "text"
    assert found["b15/r1/env $.ts"].extra["hint"] == "timestamp"
    meter = found["b15/r1/env $.meter.value"]
    assert (meter.name, meter.unit, meter.suggested_brick) == ("env", "kW", "Electric_Power_Sensor")


def test_a_bare_value_is_named_after_its_topic() -> None:
    [found] = discover("mqtt", "site/room/co2", 612)
    assert (found.address, found.name, found.suggested_brick) == (
        "site/room/co2 $",
        "co2",
        "CO2_Sensor",
    )
