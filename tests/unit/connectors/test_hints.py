"""Brick suggestions from names, descriptions, protocol roles and units; local ids."""

from __future__ import annotations

import pytest

from penworks.connectors.hints import (
    BRICK_BY_UNIT,
    BRICK_RULES,
    EQUIPMENT_RULES,
    local_id,
    suggest_brick,
    suggest_equipment,
)
from penworks.model import BrickOntology


@pytest.mark.parametrize(
    ("name", "unit", "role", "brick"),
    [
        ("Zone Temp", "degC", None, "Zone_Air_Temperature_Sensor"),
        ("RM101_ZN_T", "degC", "sensor", "Zone_Air_Temperature_Sensor"),
        ("Zone Temp Setpoint", "degC", None, "Zone_Air_Temperature_Setpoint"),
        ("Zone Temp", "degC", "setpoint", "Zone_Air_Temperature_Setpoint"),
        ("SupplyAirTemp", "degC", None, "Supply_Air_Temperature_Sensor"),
        ("SAT", "degC", None, "Supply_Air_Temperature_Sensor"),
        ("OAT", None, None, "Outside_Air_Temperature_Sensor"),
        ("CHW Supply Temp", "degC", None, "Chilled_Water_Supply_Temperature_Sensor"),
        ("Damper", "%", "command", "Damper_Position_Command"),
        ("Damper", "%", "sensor", "Damper_Position_Sensor"),
        ("Supply Fan", None, "command", "Start_Stop_Command"),
        ("Supply Fan", None, "status", "Fan_Status"),
        ("Tank Level", "%", None, "Water_Level_Sensor"),
        ("Leak Detector", None, "status", "Leak_Alarm"),
        ("Active Power", "kW", None, "Electric_Power_Sensor"),
        ("Total Energy", "kWh", None, "Energy_Sensor"),
        ("reading", "kWh", None, "Energy_Sensor"),
        ("reading", "degC", "command", "Command"),
        ("ZN_T", "degC", "command", "Command"),
        ("ZN_T", "%", None, None),
        ("Mystery", None, None, None),
    ],
)
def test_suggestions(name: str, unit: str | None, role: str | None, brick: str | None) -> None:
    assert suggest_brick(name, unit, role=role) == brick  # type: ignore[arg-type]


def test_a_description_adds_its_words() -> None:
    assert suggest_brick("AI-3", "degC", description="Room 101 zone temperature") == (
        "Zone_Air_Temperature_Sensor"
    )


def test_every_suggested_class_exists_in_brick() -> None:
    ontology = BrickOntology.load("1.4")
    classes = {brick for _, brick in BRICK_RULES} | set(BRICK_BY_UNIT.values())
    classes |= {brick for _, brick in EQUIPMENT_RULES}
    assert sorted(c for c in classes if not ontology.exists(c)) == []


def test_local_ids_are_snake_case_and_unique() -> None:
    taken: set[str] = set()
    assert local_id("Zone Temp", taken) == "zone_temp"
    assert local_id("zone-temp", taken) == "zone_temp_2"
    assert local_id("40001", taken) == "p_40001"
    assert local_id("***", taken) == "point"
    assert taken == {"zone_temp", "zone_temp_2", "p_40001", "point"}


@pytest.mark.parametrize(
    ("name", "description", "brick"),
    [
        ("Lift1", None, "Elevator"),
        ("AHU-2", None, "AHU"),
        ("Air Handling Unit 2", None, "AHU"),
        ("FCU_B1_03", None, "Fan_Coil_Unit"),
        ("CHW Pump 2", None, "Pump"),
        ("EF-3", "toilet exhaust fan", "Exhaust_Fan"),
        ("PM-1", "main water meter", "Water_Meter"),
        ("PM-1", "main meter", "Electrical_Meter"),
        ("Device 1501", None, None),
    ],
)
def test_equipment_suggestions(name: str, description: str | None, brick: str | None) -> None:
    assert suggest_equipment(name, description) == brick
