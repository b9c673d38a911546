"""Writes to the HVAC devices: what they refuse as the real ones would, what they obey, and how
they return to their own control when a command is relinquished; and determinism."""

from __future__ import annotations

from datetime import timedelta

import pytest

from penworks.core import Value
from penworks.sim.building import Building
from penworks.sim.devices import Refusal, Refused, SimDevice
from penworks.sim.systems.hvac_air import HvacAir
from penworks.sim.systems.hvac_water import HvacWater
from penworks.sim.systems.ventilation import Ventilation
from penworks.sim.world import System
from tests.unit.sim.test_hvac_support import FRIDAY_IN_JULY, at, hvac_systems

DAY = FRIDAY_IN_JULY


@pytest.fixture
def building() -> Building:
    return Building(at(DAY, 10.0), hvac_systems(), seed=15)


def _later(b: Building, minutes: float) -> None:
    b.advance_to(b.now + timedelta(minutes=minutes))


@pytest.mark.parametrize(
    ("device", "key", "value", "refusal"),
    [
        ("vav_r301", "occupied_cooling_setpoint", 40.0, Refusal.OUT_OF_RANGE),
        ("vav_r301", "occupied_heating_setpoint", 26.0, Refusal.OUT_OF_RANGE),  # above cooling
        ("vav_r301", "occupied_cooling_setpoint", 21.5, Refusal.OUT_OF_RANGE),  # below heating
        ("vav_r301", "zone_temp", 20.0, Refusal.READ_ONLY),  # an analog-input
        ("vav_r301", "airflow_setpoint", 500.0, Refusal.READ_ONLY),  # computed by the box
        ("vav_r301", "damper_command", 120.0, Refusal.OUT_OF_RANGE),
        ("vav_r301", "no_such_point", 1.0, Refusal.UNKNOWN),
        ("ahu1", "supply_fan_command", "on", Refusal.WRONG_TYPE),
        ("ahu1", "supply_air_temp_setpoint", 40.0, Refusal.OUT_OF_RANGE),
        ("ahu1", "supply_fan_status", False, Refusal.READ_ONLY),
        ("chiller1", "chw_supply_setpoint", 3.0, Refusal.OUT_OF_RANGE),
        ("chiller1", "alarm", False, Refusal.READ_ONLY),
        ("fresh_air_f2", "co2_setpoint", 1500.0, Refusal.OUT_OF_RANGE),
        ("fcu_s201", "setpoint", 40.0, Refusal.OUT_OF_RANGE),
        ("fcu_s201", "mode", 7, Refusal.OUT_OF_RANGE),
        ("fcu_s201", "power", 2, Refusal.WRONG_TYPE),
        ("fcu_s201", "room_temp", 21.0, Refusal.READ_ONLY),  # an input register
    ],
)
def test_devices_refuse_what_the_real_ones_would(
    building: Building, device: str, key: str, value: Value, refusal: Refusal
) -> None:
    target: SimDevice = building.device(device)
    before = dict(target.values)
    with pytest.raises(Refused) as refused:
        target.write(key, value)
    assert refused.value.refusal is refusal
    assert target.values == before  # a refused write changes nothing


def test_a_zone_setpoint_is_obeyed_and_relinquished(building: Building) -> None:
    vav = building.device("vav_r401")
    vav.write("occupied_cooling_setpoint", 23.0)
    _later(building, 90)
    assert vav.get("occupied_cooling_setpoint") == 23.0
    assert vav.get("effective_setpoint") == 23.0
    assert vav.get("zone_temp") == pytest.approx(23.0, abs=0.8)
    vav.write("occupied_cooling_setpoint", None)
    _later(building, 1)
    assert vav.get("occupied_cooling_setpoint") == 25.0


def test_a_damper_override_holds_until_relinquished(building: Building) -> None:
    vav = building.device("vav_r201")
    _later(building, 10)
    vav.write("damper_command", 50.0)
    _later(building, 3)
    assert vav.get("damper_command") == 50.0
    assert vav.get("damper_feedback") == pytest.approx(50.0, abs=0.5)
    # half the box's maximum, or a little less while its air handler runs flat out
    assert 0.85 * 0.5 * 6.0 * 240 <= float(vav.get("airflow")) <= 0.5 * 6.0 * 240 + 1
    vav.write("damper_command", None)
    _later(building, 3)
    own = 100 * float(vav.get("airflow_setpoint")) / (6.0 * 240)
    assert vav.get("damper_command") == pytest.approx(own, abs=1.0)
    assert vav.get("damper_feedback") == pytest.approx(own, abs=2.0)


def test_an_air_handler_stops_on_command_and_restarts_on_relinquish(building: Building) -> None:
    ahu = building.device("ahu1")
    _later(building, 5)
    assert ahu.get("supply_fan_status") is True
    ahu.write("supply_fan_command", False)
    _later(building, 1)
    assert ahu.get("supply_fan_status") is False
    assert ahu.get("supply_fan_speed") == 0.0
    assert ahu.get("occupancy_mode") == 1  # still the occupied period, just stopped
    ahu.write("supply_fan_command", None)
    _later(building, 1)
    assert ahu.get("supply_fan_status") is True
    assert ahu.get("supply_fan_command") is True


def test_a_commanded_supply_air_setpoint_is_held_and_then_reset_resumes(
    building: Building,
) -> None:
    ahu = building.device("ahu2")
    ahu.write("supply_air_temp_setpoint", 19.0)
    _later(building, 20)
    assert ahu.get("supply_air_temp_setpoint") == 19.0
    assert ahu.get("supply_air_temp") == pytest.approx(19.0, abs=0.8)
    ahu.write("supply_air_temp_setpoint", None)
    _later(building, 20)
    assert 13.0 <= float(ahu.get("supply_air_temp_setpoint")) <= 18.0


def test_a_chilled_water_setpoint_is_obeyed(building: Building) -> None:
    chiller = building.device("chiller1")
    _later(building, 10)
    chiller.write("chw_supply_setpoint", 10.0)
    _later(building, 15)
    assert chiller.get("running") is True
    assert chiller.get("chw_supply_temp") == pytest.approx(10.0, abs=0.5)


def test_a_smoke_fan_starts_by_hand_and_stops_when_relinquished(building: Building) -> None:
    fan = building.device("smoke_exhaust_atrium")
    fan.write("fan_command", True)
    _later(building, 1)
    assert fan.get("fan_status") is True
    assert fan.get("fire_mode") is False
    fan.write("fan_command", None)
    _later(building, 1)
    assert fan.get("fan_status") is False


def test_a_lower_co2_setpoint_brings_more_fresh_air(building: Building) -> None:
    unit = building.device("fresh_air_f3")
    _later(building, 30)
    before = float(unit.get("supply_fan_speed"))
    unit.write("co2_setpoint", 600.0)
    _later(building, 30)
    assert float(unit.get("supply_fan_speed")) > before + 10


def test_a_fan_coil_follows_its_registers(building: Building) -> None:
    fcu = building.device("fcu_s201")
    _later(building, 30)
    assert fcu.get("power") is True  # the program switched it on at 8:00
    before = float(fcu.get("room_temp"))
    fcu.write("setpoint", 21.0)
    fcu.write("mode", 0)
    fcu.write("fan_speed", 3)
    _later(building, 60)
    assert fcu.get("fan_status") == 3
    assert float(fcu.get("cooling_valve")) == 100  # far above setpoint: wide open
    assert float(fcu.get("room_temp")) < before - 1.0
    fcu.write("power", False)
    _later(building, 1)
    assert fcu.get("fan_status") == 0
    assert fcu.get("cooling_valve") == 0


# -- determinism -----------------------------------------------------------------------------


def _values_after_an_hour(seed: int) -> dict[str, dict[str, Value]]:
    systems: list[System] = [HvacAir(seed), HvacWater(seed), Ventilation(seed)]
    b = Building(at(DAY, 8.0), systems, seed=15)
    b.advance_to(at(DAY, 9.0))
    return {d.name: dict(d.values) for d in b.devices()}


def test_the_same_seed_gives_the_same_values_and_another_does_not() -> None:
    first, again, other = (_values_after_an_hour(s) for s in (3, 3, 4))
    assert first == again
    differing = [name for name in first if first[name] != other[name]]
    assert len(differing) >= 13  # every zone's sensor has its own calibration
