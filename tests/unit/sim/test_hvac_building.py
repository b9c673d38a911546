"""Building 15's HVAC through a hot Friday and Saturday, and a winter morning.

One scripted run serves every test of the summer module: a damper stuck while the zone needs
air, a chiller trip at the afternoon peak, a fire alarm, a focus room's fan-coil left on for
the night, then the weekend. Tolerances are physical bands, not recorded values.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from penworks.sim.building import Building
from penworks.sim.devices import SimDevice
from penworks.sim.layout import ZONES, ZoneUse
from penworks.sim.scenarios import ScenarioKind
from penworks.sim.world import World
from tests.unit.sim.test_hvac_support import (
    FRIDAY_IN_JULY,
    WEDNESDAY_IN_JANUARY,
    FirePanel,
    Recorder,
    Row,
    at,
    hvac_systems,
)

DAY = FRIDAY_IN_JULY
PLACES = [f"{z.floor}/{z.space}" for z in ZONES]
OFFICES = [f"{z.floor}/{z.space}" for z in ZONES if z.use is ZoneUse.OFFICE]
STUCK = "f3/r302"
STUCK_FROM, STUCK_UNTIL = at(DAY, 9.25), at(DAY, 12.25)
FAULT_FROM, FAULT_UNTIL = at(DAY, 14.5), at(DAY, 15.5)
FIRE_FROM, FIRE_UNTIL = at(DAY, 16.5), at(DAY, 16.75)
LEFT_ON = "f3/s301"


@dataclass
class Run:
    building: Building
    recorder: Recorder
    seen: dict[str, dict[str, Any]] = field(default_factory=dict)  # device values at moments


def _take(devices: dict[str, SimDevice]) -> Callable[[World], Row]:
    def device(name: str) -> dict[str, Any]:
        return devices[name].values

    def take(world: World) -> Row:
        shared = world.shared
        zones = {}
        for place in PLACES:
            vav = device(f"vav_{place.split('/')[1]}")
            zones[place] = (
                shared[f"{place}.temp"],
                shared[f"{place}.co2"],
                world.people.in_place(place),
                vav["occupied_cooling_setpoint"],
                vav["occupied_heating_setpoint"],
            )
        hvac = [load for load in world.power.loads if load.system == "hvac"]
        by_floor: dict[str, float] = defaultdict(float)
        by_tenant: dict[str, float] = defaultdict(float)
        for load in hvac:
            by_floor[load.floor] += load.kw
            if load.tenant:
                by_tenant[load.tenant] += load.kw

        return {
            "zones": zones,
            "ahus": [dict(device(f"ahu{n}")) for n in (1, 2)],
            "smoke_fans": [device(f"smoke_exhaust_{w}")["fan_status"] for w in ("atrium", "stair")],
            "fresh_air": [
                (
                    device(f"fresh_air_{f}")["worst_zone_co2"],
                    device(f"fresh_air_{f}")["supply_fan_speed"],
                )
                for f in ("f2", "f3", "f4")
            ],
            "fresh_air_fans": [
                device(f"fresh_air_{f}")["supply_fan_status"] for f in ("f2", "f3", "f4")
            ],
            "toilet_fans": [device(f"toilet_exhaust_f{n}")["fan_status"] for n in (1, 2, 3, 4)],
            "fcus": {
                r: (device(f"fcu_{r}")["power"], device(f"fcu_{r}")["fan_status"])
                for r in ("s301", "s302")
            },
            "coil_kw": sum(shared[f"{s}.cooling_kw"] for s in ("hvac_air", "ventilation", "fcu")),
            "chillers": [dict(device(f"chiller{n}")) for n in (1, 2)],
            "chw_c": shared["hvac_water.chw_supply_temp"],
            "hvac_floor": dict(by_floor),
            "hvac_tenant": dict(by_tenant),
        }

    return take


@pytest.fixture(scope="module")
def summer() -> Run:
    systems = hvac_systems()
    recorder = Recorder(_take({d.name: d for s in systems for d in s.devices()}))
    fire = FirePanel(FIRE_FROM, FIRE_UNTIL)
    b = Building(DAY, [fire, *systems, recorder], seed=15)
    run = Run(b, recorder)
    vav = b.device("vav_r302")
    b.advance_to(at(DAY, 9.0))
    vav.write("damper_command", 20.0)  # an operator throttles the box...
    b.advance_to(STUCK_FROM)
    b.inject(ScenarioKind.STUCK_DAMPER, STUCK, duration_s=3 * 3600)  # ...and there it sticks
    b.advance_to(at(DAY, 9.5))
    vav.write("damper_command", None)  # relinquished: the box asks for air it cannot get
    b.advance_to(at(DAY, 10.0))
    vav.write("damper_command", 90.0)
    b.advance_to(at(DAY, 10.1))
    run.seen["stuck"] = dict(vav.values)
    vav.write("damper_command", None)
    b.inject(ScenarioKind.CHILLER_FAULT, "chiller1", FAULT_FROM, duration_s=3600)
    b.inject(ScenarioKind.LEFT_ON, LEFT_ON, at(DAY, 18.0), duration_s=10 * 3600)
    b.advance_to(at(DAY, 48.0))
    return run


def _rows(run: Run, start: float, end: float) -> list[Row]:
    return run.recorder.between(at(DAY, start), at(DAY, end))


def _temps(rows: list[Row], places: list[str]) -> list[float]:
    return [r["zones"][p][0] for r in rows for p in places]


# -- comfort ------------------------------------------------------------------------------------


def test_zones_hold_their_setpoints_in_occupied_hours(summer: Run) -> None:
    places = [p for p in PLACES if p != STUCK]
    rows = _rows(summer, 9.0, 14.5) + _rows(summer, 17.5, 18.0)
    inside = [
        r["zones"][p][4] - 1.5 <= r["zones"][p][0] <= r["zones"][p][3] + 1.5
        for r in rows
        for p in places
    ]
    assert sum(inside) / len(inside) > 0.97
    assert statistics.mean(_temps(rows, places)) == pytest.approx(25.0, abs=1.0)


def test_zones_drift_at_night_and_at_the_weekend(summer: Run) -> None:
    day = statistics.mean(_temps(_rows(summer, 10, 17), OFFICES))
    night = statistics.mean(_temps(_rows(summer, 23, 30), OFFICES))
    weekend = statistics.mean(_temps(_rows(summer, 34, 41), OFFICES))
    assert night > day + 0.7
    assert weekend > day + 1.5
    # the weekend is held below the unoccupied cooling limit by night cycles
    assert max(_temps(_rows(summer, 24, 48), OFFICES)) < 30.5


def test_co2_rises_with_people_and_falls_when_they_leave(summer: Run) -> None:
    busy = [
        r["zones"][p][1] for r in _rows(summer, 10, 12) for p in OFFICES if r["zones"][p][2] >= 10
    ]
    empty = [r["zones"][p][1] for r in _rows(summer, 3, 5) for p in OFFICES]
    assert statistics.mean(busy) > statistics.mean(empty) + 200
    assert max(empty) < 520
    for place in OFFICES:
        evening = [r["zones"][place][1] for r in _rows(summer, 18.5, 23)]
        assert evening[-1] < max(evening) - 50, place


def test_demand_controlled_ventilation_follows_the_worst_room(summer: Run) -> None:
    rows = _rows(summer, 8, 19)
    high = [speed for r in rows for co2, speed in r["fresh_air"] if co2 > 900]
    low = [speed for r in rows for co2, speed in r["fresh_air"] if co2 < 650]
    assert high, "some floor should pass its CO2 setpoint on a busy day"
    assert statistics.mean(high) > 60
    assert low
    assert statistics.mean(low) < 40
    assert all(r["fresh_air"][0][1] == 0.0 for r in _rows(summer, 21, 30))  # off at night


# -- scenarios -----------------------------------------------------------------------------------


def test_a_stuck_damper_ignores_commands_and_its_zone_drifts(summer: Run) -> None:
    shown = summer.seen["stuck"]
    assert shown["damper_command"] == 90.0  # accepted...
    assert shown["damper_feedback"] == pytest.approx(20.0, abs=0.5)  # ...but the blade stays
    assert shown["airflow"] < 0.3 * shown["airflow_setpoint"] + 0.25 * 1440
    late = _rows(summer, 11.5, 12.25)
    stuck = [r["zones"][STUCK][0] - r["zones"][STUCK][3] for r in late]
    others = [r["zones"]["f3/r301"][0] - r["zones"]["f3/r301"][3] for r in late]
    assert min(stuck) > 1.0  # well above its cooling setpoint
    assert max(others) < 1.0


def test_a_freed_damper_moves_again_and_its_zone_recovers(summer: Run) -> None:
    recovered = _rows(summer, 14.0, 14.5)
    assert all(r["zones"][STUCK][0] < r["zones"][STUCK][3] + 1.5 for r in recovered)


def test_a_tripped_chiller_alarms_and_the_other_takes_the_load(summer: Run) -> None:
    during = _rows(summer, 14.6, 15.5)
    for row in during:
        one, two = row["chillers"]
        assert one["alarm"] is True
        assert one["running"] is False
        assert one["fault_code"] == 4
        assert one["cooling_output"] == 0.0
        assert two["running"] is True
        assert two["cooling_output"] > 0.9 * min(row["coil_kw"], 300.0)
    # at the afternoon peak one chiller is not enough: the chilled water warms
    short = [r for r in during if r["coil_kw"] > 320]
    assert short, "the fault should fall on a load one chiller cannot carry"
    assert max(r["chw_c"] for r in short) > 8.0
    after = _rows(summer, 16.0, 16.5)
    assert all(r["chillers"][0]["alarm"] is False for r in after)
    assert all(r["chillers"][0]["fault_code"] == 1 for r in after)
    assert any(r["chillers"][0]["running"] for r in after)
    assert all(r["chw_c"] < 7.6 for r in after)


def test_fire_alarm_stops_the_air_handlers_and_starts_smoke_exhaust(summer: Run) -> None:
    before, after = _rows(summer, 16.3, 16.5), _rows(summer, 17.25, 17.5)
    for row in before + after:
        assert [a["supply_fan_status"] for a in row["ahus"]] == [True, True]
        assert [a["fire_shutdown"] for a in row["ahus"]] == [False, False]
        assert row["smoke_fans"] == [False, False]
    for row in _rows(summer, 16.52, 16.75):
        for ahu in row["ahus"]:
            assert ahu["supply_fan_status"] is False
            assert ahu["supply_fan_speed"] == 0.0
            assert ahu["fire_shutdown"] is True
            assert ahu["occupancy_mode"] == 5
        assert row["smoke_fans"] == [True, True]
        assert row["fresh_air_fans"] == [False, False, False]
        assert row["toilet_fans"] == [False] * 4
        assert [a["supply_fan_power"] for a in row["ahus"]] == [0.0, 0.0]


def test_a_fan_coil_left_on_runs_through_the_night(summer: Run) -> None:
    for row in _rows(summer, 19.5, 27.9):  # the program stops it at 19:00
        assert row["fcus"]["s301"][0] is True
        assert row["fcus"]["s301"][1] > 0
        assert row["fcus"]["s302"] == (False, 0)
    for row in _rows(summer, 28.1, 30):  # the scenario is over at 4:00
        assert row["fcus"]["s301"] == (False, 0)


# -- energy ----------------------------------------------------------------------------------


def test_chillers_deliver_what_the_coils_take(summer: Run) -> None:
    rows = _rows(summer, 0, 14.5) + _rows(summer, 24, 48)
    coils = sum(r["coil_kw"] for r in rows)
    chillers = sum(c["cooling_output"] for r in rows for c in r["chillers"])
    assert chillers == pytest.approx(coils, rel=0.02)


def test_chiller_power_is_its_cooling_over_its_cop(summer: Run) -> None:
    checked = 0
    for row in _rows(summer, 1, 48):  # after the plant's first start from warm water
        for chiller in row["chillers"]:
            if chiller["power"] > 5:
                checked += 1
                assert chiller["power"] == pytest.approx(
                    chiller["cooling_output"] / chiller["cop"], rel=0.03
                )
                assert 2.5 < chiller["cop"] < 10.0
    assert checked > 1000


def test_hvac_loads_are_drawn_per_floor_and_tenant(summer: Run) -> None:
    day = _rows(summer, 10, 17)
    assert statistics.mean(r["hvac_floor"]["b1"] for r in day) > 50  # chillers and pumps
    assert statistics.mean(r["hvac_floor"]["roof"] for r in day) > 10  # air-handler fans
    for tenant in ("inkwell", "nib", "quill"):
        assert statistics.mean(r["hvac_tenant"].get(tenant, 0.0) for r in day) > 0.2, tenant


# -- a winter morning --------------------------------------------------------------------------

WINTER = WEDNESDAY_IN_JANUARY


@pytest.fixture(scope="module")
def winter() -> Run:
    systems = hvac_systems()
    devices = {d.name: d for s in systems for d in s.devices()}
    take = _take(devices)

    def take_more(world: World) -> Row:
        row = take(world)
        row["heat_pump"] = dict(devices["heat_pump"].values)
        row["reheat"] = {
            p: devices[f"vav_{p.split('/')[1]}"].values["reheat_command"] for p in PLACES
        }
        return row

    recorder = Recorder(take_more)
    b = Building(WINTER, [*systems, recorder], seed=15)
    b.advance_to(at(WINTER, 12.0))
    return Run(b, recorder)


def _winter_rows(run: Run, start: float, end: float) -> list[Row]:
    return run.recorder.between(at(WINTER, start), at(WINTER, end))


def test_winter_nights_cool_the_zones_and_optimal_start_warms_them_in_time(winter: Run) -> None:
    night = _winter_rows(winter, 3, 4)
    assert statistics.mean(_temps(night, OFFICES)) < 19.0
    modes = [r["ahus"][1]["occupancy_mode"] for r in _winter_rows(winter, 4, 7)]
    assert 3 in modes  # optimal start before occupancy
    morning = _winter_rows(winter, 8.5, 12)
    inside = [
        r["zones"][p][4] - 1.0 <= r["zones"][p][0] <= r["zones"][p][3] + 1.5
        for r in morning
        for p in PLACES
    ]
    assert sum(inside) / len(inside) > 0.97


def test_winter_heat_comes_from_the_heat_pump_and_the_reheat_coils(winter: Run) -> None:
    rows = _winter_rows(winter, 5, 12)
    running = [r["heat_pump"] for r in rows if r["heat_pump"]["heating_output"] > 5]
    assert len(running) > len(rows) / 2
    for hp in running:
        assert hp["hhw_supply_temp"] == pytest.approx(45.0, abs=4.0)
        assert hp["power"] == pytest.approx(hp["heating_output"] / hp["cop"], rel=0.03, abs=0.2)
        assert 1.5 <= hp["cop"] <= 4.5
    assert max(r["reheat"]["f3/r301"] for r in rows) > 20  # the boxes reheat while warming up
    for tenant in ("inkwell", "nib", "quill"):
        assert max(r["hvac_tenant"].get(tenant, 0.0) for r in rows) > 2.0, tenant
