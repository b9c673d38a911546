"""Controls.FIXED against the twin's own controls (LOCAL): the building on time schedules.

Lights at full level 07:00-20:00 on working days whoever is there, held levels until
released; air handlers occupied from a fixed 06:00 start; fresh air at design flow; commands
still win. The weather and the people are the same whichever controls run the building.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import pytest

from penworks.sim.building import Building
from penworks.sim.controls import Controls
from penworks.sim.scenarios import ScenarioKind
from penworks.sim.systems.fcu import Fcu
from penworks.sim.systems.hvac_ahu import AhuMode
from penworks.sim.systems.hvac_air import HvacAir
from penworks.sim.systems.hvac_water import HvacWater
from penworks.sim.systems.lighting import Lighting
from penworks.sim.systems.power import Power
from penworks.sim.systems.spaces_common import ROOMS
from penworks.sim.systems.ventilation import MIN_SPEED_PCT, PAU_DESIGN_LS, Ventilation
from penworks.sim.twin import building15
from penworks.sim.world import System, World
from tests.unit.sim.test_hvac_support import FRIDAY_IN_JULY, WEDNESDAY_IN_JANUARY
from tests.unit.sim.test_spaces_support import SEED, WEDNESDAY, Probe, at, world_at

OFFICE = "f3/r301"
STEP = timedelta(seconds=30)


@dataclass
class LightingDay:
    building: Building
    lighting_kwh: float  # what the lighting submeter counted over the day
    steps: list[tuple[datetime, dict[str, int], dict[str, tuple[float, bool]]]] = field(
        default_factory=list
    )  # local instant, people per place, (level, occupied) per place


@functools.cache
def lighting_day(controls: Controls) -> LightingDay:
    """The lighting (and the power meters) through a Wednesday, midnight to midnight."""
    lights = Lighting(SEED, controls)
    steps: list[tuple[datetime, dict[str, int], dict[str, tuple[float, bool]]]] = []

    def record(world: World) -> None:
        people = {p: n for p, n in world.people.count.items() if n > 0}
        levels = {
            str(d.location): (float(d.get("level")), bool(d.get("occupied")))
            for d in lights.devices()
        }
        steps.append((world.local, people, levels))

    building = Building(WEDNESDAY, [lights, Probe(record), Power(SEED)], seed=SEED)
    meter = building.device("power_meter_lighting")
    before = float(meter.get("energy_import"))
    building.advance_to(WEDNESDAY + timedelta(days=1))
    return LightingDay(building, float(meter.get("energy_import")) - before, steps)


def _step_at(day: LightingDay, hour: float) -> tuple[dict[str, int], dict[str, tuple[float, bool]]]:
    when = at(WEDNESDAY, hour)
    _, people, levels = next(s for s in day.steps if s[0] >= when)
    return people, levels


# -- lighting -----------------------------------------------------------------------------------


def test_an_empty_office_is_lit_at_full_level_at_ten_and_dark_at_nine_in_the_evening() -> None:
    lighting = Lighting(SEED, Controls.FIXED)
    device = next(d for d in lighting.devices() if d.location == OFFICE)
    for hour, level in ((10.0, 100.0), (21.0, 0.0)):
        lighting.step(world_at(at(WEDNESDAY, hour), solar=400.0))  # nobody anywhere
        assert (device.get("level"), device.get("occupied")) == (level, False), hour


def test_every_empty_room_of_the_day_is_lit_at_ten_and_every_room_dark_at_nine() -> None:
    day = lighting_day(Controls.FIXED)
    people, levels = _step_at(day, 10.0)
    empty = [r.place for r in ROOMS if not people.get(r.place)]
    assert len(empty) > 5
    assert all(levels[place][0] == 100.0 for place in empty)
    _, evening = _step_at(day, 21.0)
    assert all(level == 0.0 for level, _ in evening.values())


def test_fixed_lights_follow_the_clock_alone_and_the_sensor_still_reports() -> None:
    checked = 0
    for local, people, levels in lighting_day(Controls.FIXED).steps[1:]:
        in_hours = 7 <= local.hour < 20
        for place, (level, occupied) in levels.items():
            assert level == (100.0 if in_hours else 0.0), (local, place)
            if people.get(place):
                assert occupied, (local, place)  # a sensor: it reports whatever the lights do
                checked += 1
    assert checked > 1000


def test_daylight_does_not_dim_fixed_lights() -> None:
    lighting = Lighting(SEED, Controls.FIXED)
    device = next(d for d in lighting.devices() if d.location == OFFICE)
    noon = at(WEDNESDAY, 12)
    lighting.step(world_at(noon, solar=0.0, people_at={OFFICE: 4}))
    dark_lux = int(device.get("lux"))
    lighting.step(world_at(noon, solar=800.0, people_at={OFFICE: 4}))
    assert device.get("level") == 100.0
    assert int(device.get("lux")) > dark_lux == 500  # the daylight adds to the lamps


def test_a_written_level_holds_while_people_come_and_go_until_released() -> None:
    lighting = Lighting(SEED, Controls.FIXED)
    device = next(d for d in lighting.devices() if d.location == OFFICE)
    clock = at(WEDNESDAY, 10)

    def step(people: int, minutes: float = 0.5) -> None:
        nonlocal clock
        for _ in range(round(minutes * 2)):
            clock += STEP
            lighting.step(world_at(clock, people_at={OFFICE: people}))

    step(3)
    device.write("level", 0)
    step(0, minutes=30)  # everyone leaves, the sensor's hold runs out
    assert not device.get("occupied")
    step(5, minutes=10)  # people come back
    assert device.get("occupied")
    assert (device.get("level"), device.get("mode"), device.get("power")) == (0.0, "off", 0.0)
    device.write("level", None)
    step(5)
    assert (device.get("level"), device.get("mode")) == (100.0, "auto")


def test_a_dimmed_level_is_not_swept_at_twenty_and_release_returns_to_the_schedule() -> None:
    lighting = Lighting(SEED, Controls.FIXED)
    device = next(d for d in lighting.devices() if d.location == OFFICE)
    lighting.step(world_at(at(WEDNESDAY, 19.9), people_at={OFFICE: 2}))
    device.write("level", 60)
    for hour in (20.0, 20.5, 22.0):
        lighting.step(world_at(at(WEDNESDAY, hour)))
        assert (device.get("level"), device.get("mode")) == (60.0, "manual")
    device.write("mode", "auto")
    lighting.step(world_at(at(WEDNESDAY, 22.0)))
    assert (device.get("level"), device.get("mode")) == (0.0, "auto")


def test_left_on_still_keeps_a_zone_lit_all_night_under_fixed_controls() -> None:
    building = Building(at(WEDNESDAY, 18), [Lighting(SEED, Controls.FIXED)], seed=SEED)
    building.inject(ScenarioKind.LEFT_ON, "f3/r302", at(WEDNESDAY, 21), duration_s=3 * 3600)
    left, other = building.device("light_f3_r302"), building.device("light_f3_r303")
    building.advance_to(at(WEDNESDAY, 23.5))
    assert (left.get("level"), left.get("mode")) == (100.0, "manual")
    assert other.get("level") == 0
    building.advance_to(at(WEDNESDAY, 24.5))
    assert (left.get("level"), left.get("mode")) == (0.0, "auto")


def test_fixed_lighting_uses_clearly_more_energy_over_a_working_day() -> None:
    local = lighting_day(Controls.LOCAL).lighting_kwh
    fixed = lighting_day(Controls.FIXED).lighting_kwh
    assert local > 50  # the offices were lit in the day
    assert fixed > 1.2 * local


def test_the_lighting_sees_the_same_people_whichever_controls() -> None:
    local, fixed = lighting_day(Controls.LOCAL).steps, lighting_day(Controls.FIXED).steps
    assert [(t, p) for t, p, _ in local] == [(t, p) for t, p, _ in fixed]


# -- air handlers -------------------------------------------------------------------------------


def _hvac(day: datetime, controls: Controls) -> Building:
    systems: list[System] = [HvacAir(7, controls), HvacWater(7), Ventilation(7, controls), Fcu(7)]
    return Building(at(day, 4.0), systems, seed=15)


def _first_start(building: Building, until: datetime) -> datetime:
    """The first instant both air handlers were in occupied or optimal start mode, running."""
    starting = (AhuMode.OCCUPIED, AhuMode.OPTIMAL_START)
    while building.now < until:
        building.advance_to(building.now + STEP)
        ahus = [building.device(n) for n in ("ahu1", "ahu2")]
        if all(a.get("occupancy_mode") in starting and a.get("supply_fan_status") for a in ahus):
            return building.now
    raise AssertionError("the air handlers did not start")


@pytest.mark.parametrize("day", [WEDNESDAY_IN_JANUARY, FRIDAY_IN_JULY], ids=["winter", "summer"])
def test_the_air_handlers_start_at_six_whatever_the_zones(day: datetime) -> None:
    building = _hvac(day, Controls.FIXED)
    start = _first_start(building, at(day, 7.0))
    assert start == at(day, 6.0)
    for name in ("ahu1", "ahu2"):
        assert building.device(name).get("occupancy_mode") == AhuMode.OCCUPIED


def test_optimal_start_moves_with_the_zones_where_the_fixed_start_does_not() -> None:
    winter = _first_start(_hvac(WEDNESDAY_IN_JANUARY, Controls.LOCAL), at(WEDNESDAY_IN_JANUARY, 7))
    summer = _first_start(_hvac(FRIDAY_IN_JULY, Controls.LOCAL), at(FRIDAY_IN_JULY, 7))
    assert winter - WEDNESDAY_IN_JANUARY != summer - FRIDAY_IN_JULY


def test_a_fan_command_still_overrides_the_fixed_schedule() -> None:
    building = _hvac(FRIDAY_IN_JULY, Controls.FIXED)
    ahu = building.device("ahu2")
    ahu.write("supply_fan_command", False)
    building.advance_to(at(FRIDAY_IN_JULY, 6.5))
    assert not ahu.get("supply_fan_status")
    ahu.write("supply_fan_command", None)
    building.advance_to(at(FRIDAY_IN_JULY, 6.6))
    assert ahu.get("supply_fan_status")


# -- fresh air ----------------------------------------------------------------------------------


def test_fresh_air_runs_at_design_flow_and_a_speed_command_varies_it() -> None:
    for controls, speed in ((Controls.FIXED, 100.0), (Controls.LOCAL, MIN_SPEED_PCT)):
        building = _hvac(FRIDAY_IN_JULY, controls)
        unit = building.device("fresh_air_f3")
        building.advance_to(at(FRIDAY_IN_JULY, 7.5))  # running, nobody in yet: CO2 is low
        assert unit.get("supply_fan_speed") == speed, controls
        unit.write("supply_fan_speed_command", 50.0)
        building.advance_to(at(FRIDAY_IN_JULY, 7.6))
        assert unit.get("supply_fan_speed") == 50.0
        assert unit.get("supply_airflow") == PAU_DESIGN_LS / 2
        unit.write("supply_fan_speed_command", None)
        building.advance_to(at(FRIDAY_IN_JULY, 7.7))
        assert unit.get("supply_fan_speed_command") == unit.get("supply_fan_speed") == speed


def test_high_co2_does_not_wake_a_fixed_fresh_air_unit_at_night() -> None:
    night = at(FRIDAY_IN_JULY, 5.0)
    for controls, woken in ((Controls.LOCAL, True), (Controls.FIXED, False)):
        ventilation = Ventilation(7, controls)
        unit = next(d for d in ventilation.devices() if d.name == "fresh_air_f3")
        ventilation.step(world_at(night, shared={f"{OFFICE}.co2": 1100.0}))  # setpoint 800
        assert unit.get("supply_fan_status") is woken, controls


def test_a_commanded_co2_setpoint_turns_demand_control_on_in_a_fixed_building() -> None:
    building = _hvac(FRIDAY_IN_JULY, Controls.FIXED)
    unit = building.device("fresh_air_f3")
    building.advance_to(at(FRIDAY_IN_JULY, 7.5))
    assert unit.get("supply_fan_speed") == 100.0
    unit.write("co2_setpoint", 800.0)  # the rooms are near outdoor CO2: the minimum will do
    building.advance_to(at(FRIDAY_IN_JULY, 7.6))
    assert unit.get("supply_fan_speed") == MIN_SPEED_PCT
    unit.write("co2_setpoint", None)
    building.advance_to(at(FRIDAY_IN_JULY, 7.7))
    assert unit.get("supply_fan_speed") == 100.0


# -- the twin -----------------------------------------------------------------------------------


def test_the_twin_passes_its_controls_down_and_keeps_people_and_weather_alike() -> None:
    start = at(WEDNESDAY, 7.5)
    twins = {c: building15(start, seed=SEED, controls=c) for c in Controls}
    for controls, twin in twins.items():
        for name in ("lighting", "hvac_air", "ventilation"):
            system = twin.system(name)
            assert isinstance(system, Lighting | HvacAir | Ventilation)
            assert system.controls is controls
    local, fixed = twins[Controls.LOCAL], twins[Controls.FIXED]
    for minutes in range(10, 61, 10):
        for twin in twins.values():
            twin.advance_to(start + timedelta(minutes=minutes))
        assert local.people.where == fixed.people.where
        assert local.people.count == fixed.people.count
        station = [t.device("weather_station").values for t in (local, fixed)]
        assert station[0] == station[1]
