"""The HVAC twin's physics on its own: room air, coils, chillers, tower, heat pump, moist air."""

from __future__ import annotations

import pytest

from penworks.sim.physics import OUTDOOR_CO2_PPM
from penworks.sim.systems.hvac_coil import cooling_coil, heating_coil
from penworks.sim.systems.hvac_plant import (
    CHILLER_KW,
    chiller_power_kw,
    heat_pump_cop,
    natural_draft_c,
    tower_speed,
)
from penworks.sim.systems.hvac_psychro import (
    enthalpy_kj_kg,
    humidity_ratio,
    relative_humidity,
    wet_bulb_c,
)
from penworks.sim.systems.hvac_room import AirStream, Room, step_room


def _room() -> Room:
    return Room(area_m2=80.0, volume_m3=240.0, window_m2=16.0, temp_c=24.0, humidity_ratio=0.009)


def _co2_after_an_hour(people: int, fresh_ls: float) -> float:
    room = _room()
    air = [AirStream(fresh_ls / 1000, 24.0, 0.009, 1.0)] if fresh_ls else []
    for _ in range(120):
        step_room(
            room,
            30.0,
            gains_w=0.0,
            people=people,
            outdoor_c=24.0,
            outdoor_ratio=0.009,
            supplies=air,
        )
    return room.co2_ppm


def test_co2_rises_with_people_and_falls_with_fresh_air() -> None:
    assert _co2_after_an_hour(0, 0.0) == pytest.approx(OUTDOOR_CO2_PPM)
    crowded = _co2_after_an_hour(12, 50.0)
    ventilated = _co2_after_an_hour(12, 200.0)
    assert crowded > ventilated + 200
    assert ventilated > OUTDOOR_CO2_PPM + 100
    # steady state: exhaled CO2 over the fresh air (and a little infiltration)
    assert _co2_after_an_hour(12, 200.0) < OUTDOOR_CO2_PPM + 12 * 0.0052 / 0.2 * 1e3 * 1.05


def test_a_room_warms_with_gains_and_cools_with_cold_air() -> None:
    warm, cooled = _room(), _room()
    for _ in range(120):
        step_room(
            warm, 30.0, gains_w=4000.0, people=0, outdoor_c=24.0, outdoor_ratio=0.009, supplies=[]
        )
        step_room(
            cooled,
            30.0,
            gains_w=4000.0,
            people=0,
            outdoor_c=24.0,
            outdoor_ratio=0.009,
            supplies=[AirStream(0.4, 13.0, 0.008, 0.1)],
        )
    assert warm.temp_c > 26.0
    assert cooled.temp_c < 24.0


def test_a_cooling_coil_dries_the_air_and_stops_at_its_water() -> None:
    ratio = humidity_ratio(28.0, 60.0)
    coil = cooling_coil(2.0, 28.0, ratio, target_c=13.0, water_c=7.0, capacity_kw=200.0)
    assert coil.leaving_c == pytest.approx(13.0)
    assert coil.leaving_ratio < ratio
    sensible = 1.2 * 2.0 * 1.006 * 15.0
    assert coil.load_kw > sensible  # latent too
    enthalpy_drop = enthalpy_kj_kg(28.0, ratio) - enthalpy_kj_kg(13.0, coil.leaving_ratio)
    assert coil.load_kw == pytest.approx(1.2 * 2.0 * enthalpy_drop, rel=0.01)
    warm_water = cooling_coil(2.0, 28.0, ratio, target_c=13.0, water_c=14.0, capacity_kw=200.0)
    assert warm_water.leaving_c == pytest.approx(18.0)  # water + approach
    assert warm_water.valve_pct > 0
    small = cooling_coil(2.0, 28.0, ratio, target_c=13.0, water_c=7.0, capacity_kw=20.0)
    assert small.load_kw == pytest.approx(20.0)
    assert small.valve_pct == 100.0
    starved = cooling_coil(2.0, 20.0, ratio, target_c=13.0, water_c=20.0, capacity_kw=200.0)
    assert (starved.load_kw, starved.valve_pct) == (0.0, 100.0)


def test_a_heating_coil_heats_to_its_target_or_its_capacity() -> None:
    coil = heating_coil(1.0, 5.0, 0.004, target_c=18.0, water_c=45.0, capacity_kw=100.0)
    assert coil.leaving_c == pytest.approx(18.0)
    assert coil.load_kw == pytest.approx(1.2 * 1.0 * 1.006 * 13.0)
    forced = heating_coil(
        1.0, 5.0, 0.004, target_c=5.0, water_c=45.0, capacity_kw=10.0, valve_override=50.0
    )
    assert forced.load_kw == pytest.approx(5.0)
    assert forced.valve_pct == 50.0


def test_a_chiller_is_most_efficient_at_part_load_with_cool_condenser_water() -> None:
    _, full = chiller_power_kw(CHILLER_KW, 7.0, 35.0)
    _, part = chiller_power_kw(0.6 * CHILLER_KW, 7.0, 35.0)
    _, cool = chiller_power_kw(0.6 * CHILLER_KW, 7.0, 28.0)
    _, tiny = chiller_power_kw(0.02 * CHILLER_KW, 7.0, 28.0)
    assert 4.0 < full < 6.0
    assert part > full
    assert cool > part
    assert tiny < cool  # cycling at its least stable load
    power, cop = chiller_power_kw(150.0, 7.0, 32.0)
    assert power * cop == pytest.approx(150.0)


def test_a_cooling_tower_works_harder_near_the_wet_bulb() -> None:
    easy, _ = tower_speed(300.0, 24.0, 30.0)
    hard, reached = tower_speed(600.0, 24.0, 27.0)
    assert easy < hard
    assert reached >= 27.0
    assert natural_draft_c(300.0, 24.0) > 24.0 + 4.0


def test_a_heat_pump_loses_cop_in_the_cold() -> None:
    assert heat_pump_cop(45.0, 15.0) > heat_pump_cop(45.0, 0.0) > heat_pump_cop(55.0, -5.0)
    assert 1.5 <= heat_pump_cop(55.0, -5.0) < 3.0


def test_moist_air() -> None:
    ratio = humidity_ratio(25.0, 50.0)
    assert ratio == pytest.approx(0.0099, abs=0.0003)
    assert relative_humidity(25.0, ratio) == pytest.approx(50.0)
    assert wet_bulb_c(20.0, 50.0) == pytest.approx(13.7, abs=0.3)  # Stull's own example
