"""SunSpec models turned into draft points, and the discovery helpers that need no device."""

from __future__ import annotations

import pytest

from penworks.connectors.modbus.discovery import ScanRange, modicon, parse_target
from penworks.connectors.modbus.sunspec import (
    INVERTER_FIELDS,
    METER_FIELDS,
    SunSpecModel,
    common_label,
    model_points,
    scale_factor,
    text,
)
from penworks.core import ConfigError
from penworks.model.schema import ModbusBinding
from tests.unit.connectors.modbus.support import text_registers


def test_text_and_common_label() -> None:
    assert text(text_registers("Fronius", 16)) == "Fronius"
    assert text([0x4142, 0x2020]) == "AB"
    data = (
        text_registers("Acme", 16)
        + text_registers("Inv 10k", 16)
        + [0] * 16
        + text_registers("S1", 16)
    )
    assert common_label(data + [1, 0]) == ("Acme Inv 10k", "S1")


@pytest.mark.parametrize(
    ("register", "power"), [(0, 0), (1, 1), (0xFFFF, -1), (0xFFFD, -3), (0x8000, None), (50, None)]
)
def test_scale_factors(register: int, power: int | None) -> None:
    assert scale_factor(register) == power


def test_inverter_points_fold_scale_factors_and_skip_what_is_not_implemented() -> None:
    data = [0] * 50
    data[0:5] = [100, 0xFFFF, 0xFFFF, 0xFFFF, 0xFFFE]  # 1.00 A; phases not implemented
    data[12:14] = [0xFF38, 1]  # -200 x 10 W = -2 kW
    data[22:25] = [0, 5000, 0x8000]  # energy, its scale factor not implemented
    points = {p.name: p for p in model_points("inv", SunSpecModel(101, 40072, 50), data)}
    assert points["ac_current"].sample == pytest.approx(1.0)
    assert points["ac_current"].binding["scale"] == pytest.approx(0.01)
    assert "ac_current_phase_b" not in points
    assert "ac_energy" not in points
    power = points["ac_power"]
    assert power.sample == pytest.approx(-2.0)
    assert power.binding == {
        "device": "inv",
        "function": 3,
        "address": 40084,
        "type": "int16",
        "scale": 0.01,
    }
    assert power.address == "inv/hr/40084"
    assert power.extra == {"sunspec_model": "101", "sunspec_point": "W"}
    assert "model 101" in (power.description or "")
    for p in points.values():
        ModbusBinding.model_validate({"connector": "modbus", **p.binding})


def test_a_short_model_yields_only_the_points_it_holds() -> None:
    points = model_points("m", SunSpecModel(203, 0, 10), [1, 2, 3, 4, 0] + [0] * 5)
    assert [p.name for p in points] == [
        "ac_current",
        "ac_current_phase_a",
        "ac_current_phase_b",
        "ac_current_phase_c",
    ]


@pytest.mark.parametrize(
    ("fields", "name", "brick", "unit"),
    [
        (INVERTER_FIELDS, "ac_power", "Electric_Power_Sensor", "kW"),
        (INVERTER_FIELDS, "ac_energy", "Energy_Sensor", "kWh"),
        (INVERTER_FIELDS, "ac_current_phase_a", "Current_Sensor", "A"),
        (INVERTER_FIELDS, "ac_voltage_an", "Voltage_Sensor", "V"),
        (INVERTER_FIELDS, "ac_frequency", "Frequency_Sensor", "Hz"),
        (INVERTER_FIELDS, "ac_power_factor", "Power_Factor_Sensor", "%"),
        (INVERTER_FIELDS, "ac_reactive_power", "Reactive_Power_Sensor", "kvar"),
        (INVERTER_FIELDS, "heat_sink_temperature", "Temperature_Sensor", "degC"),
        (INVERTER_FIELDS, "operating_state", "Status", None),
        (METER_FIELDS, "energy_imported_phase_c", "Energy_Sensor", "kWh"),
        (METER_FIELDS, "ac_power_phase_b", "Electric_Power_Sensor", "kW"),
    ],
)
def test_points_get_units_and_brick_suggestions(
    fields: tuple[object, ...], name: str, brick: str, unit: str | None
) -> None:
    model = SunSpecModel(103 if fields is INVERTER_FIELDS else 203, 0, 105)
    data = [1] * 105  # every value 1, every scale factor 10^1
    points = {p.name: p for p in model_points("d", model, data)}
    assert points[name].suggested_brick == brick
    assert points[name].unit == unit


def test_field_tables_do_not_overlap() -> None:
    for fields in (INVERTER_FIELDS, METER_FIELDS):
        taken: set[int] = set()
        for field in fields:
            span = set(range(field.offset, field.offset + (2 if field.type == "uint32" else 1)))
            assert not span & taken, field.name
            assert field.sf is None or field.sf not in span
            taken |= span
        assert len({f.name for f in fields}) == len(fields)
    assert [f.label for f in METER_FIELDS if f.name.startswith("energy_imported")] == [
        "TotWhImp",
        "TotWhImpPhA",
        "TotWhImpPhB",
        "TotWhImpPhC",
    ]


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("10.0.0.5:5020", ("10.0.0.5", 5020)),
        ("plc.local", ("plc.local", 502)),
        ("[::1]:1502", ("::1", 1502)),
    ],
)
def test_targets(target: str, expected: tuple[str, int]) -> None:
    assert parse_target(target) == expected


@pytest.mark.parametrize("target", ["", ":502", "host:port", "host:70000"])
def test_bad_targets(target: str) -> None:
    with pytest.raises(ConfigError, match="HOST:PORT"):
        parse_target(target)


def test_modicon_numbers() -> None:
    assert modicon(3, 0) == 40001
    assert modicon(4, 99) == 30100
    assert modicon(3, 9998) == 49999
    assert modicon(3, 10000) == 410001


def test_scan_ranges_stay_in_the_address_space() -> None:
    with pytest.raises(ValueError, match="bad scan range"):
        ScanRange(3, 65000, 1000)
