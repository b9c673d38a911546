"""The control strategies decide from readings alone: setback, lighting, optimal start and
stop, DCV and peak limiting, each letting go when the building should decide."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from penworks.apps.energy.strategies import (
    OCCUPIED,
    UNOCCUPIED,
    ControlSettings,
    Intent,
    Memory,
    booked_soon,
    decide,
    expected_arrival,
    start_lead,
)
from penworks.apps.energy.zones import AirUnit, Plant, Zone

TZ = ZoneInfo("Asia/Shanghai")
MONDAY_10 = datetime(2026, 7, 13, 10, 0, tzinfo=TZ).astimezone(UTC)

OFFICE = Zone(
    id="b.f1.office",
    name="Office",
    floor="b.f1",
    presence=("office.occupied",),
    counts=("office.people",),
    temperature="office.temp",
    cooling_setpoint="office.cool_sp",
    heating_setpoint="office.heat_sp",
    light_level="office.level",
    illuminance="office.lux",
)
MEETING = Zone(
    id="b.f1.meeting",
    name="Meeting",
    floor="b.f1",
    presence=("meeting.occupied",),
    temperature="meeting.temp",
    cooling_setpoint="meeting.cool_sp",
    heating_setpoint="meeting.heat_sp",
    booked="meeting.booked",
    free_until="meeting.free_until",
)
AHU = AirUnit("b.ahu", "AHU", "ahu.start", (OFFICE.id, MEETING.id), occupancy_command="ahu.occ")
DOAS = AirUnit("b.doas", "DOAS", "doas.start", (OFFICE.id,), co2_setpoint="doas.co2_sp")


def plant(demand: str | None = None) -> Plant:
    return Plant({OFFICE.id: OFFICE, MEETING.id: MEETING}, {AHU.id: AHU, DOAS.id: DOAS}, demand)


def by_point(intents: list[Intent]) -> dict[str, Intent]:
    return {i.point: i for i in intents}


def quiet(**extra: object) -> dict[str, object]:
    values: dict[str, object] = {
        "office.occupied": False,
        "office.people": 0,
        "office.temp": 25.0,
        "meeting.occupied": False,
        "meeting.temp": 25.0,
        "meeting.booked": False,
        "meeting.free_until": "24:00",
        "office.level": 100.0,
        "office.lux": 800.0,
    }
    values.update(extra)
    return values


def empty_since(memory: Memory, when: datetime) -> None:
    memory.started = when
    memory.last_occupied = {OFFICE.id: when, MEETING.id: when}


def test_a_zone_empty_for_long_enough_is_set_back_and_its_lights_go_off() -> None:
    memory, settings = Memory(), ControlSettings()
    empty_since(memory, MONDAY_10 - timedelta(minutes=30))
    got = by_point(decide(plant(), quiet(), memory, MONDAY_10, TZ, settings))  # type: ignore[arg-type]
    assert got["office.cool_sp"].value == settings.setback_cooling_c
    assert got["office.heat_sp"].value == settings.setback_heating_c
    assert got["office.level"].value == 0.0


def test_an_occupied_zone_is_let_go_and_its_lights_dim_to_the_target() -> None:
    memory, settings = Memory(), ControlSettings()
    empty_since(memory, MONDAY_10 - timedelta(minutes=30))
    values = quiet(**{"office.occupied": True, "office.lux": 800.0, "office.level": 100.0})
    got = by_point(decide(plant(), values, memory, MONDAY_10, TZ, settings))  # type: ignore[arg-type]
    assert got["office.cool_sp"].value is None
    # 300 lux too much at 5 lux per %: down by 0.7 x 60 % = 42 %, to the nearest 5 %
    assert got["office.level"].value == 60.0


def test_a_lobby_is_lit_to_its_own_lower_target() -> None:
    lobby = dataclasses.replace(OFFICE, id="b.f1.lobby", brick="Lobby")
    memory, settings = Memory(), ControlSettings()
    memory.started = MONDAY_10 - timedelta(minutes=30)
    values = quiet(**{"office.occupied": True, "office.lux": 500.0, "office.level": 100.0})
    got = by_point(decide(Plant({lobby.id: lobby}), values, memory, MONDAY_10, TZ, settings))  # type: ignore[arg-type]
    # 300 lux above the lobby's 200: down by 0.7 x 60 % = 42 %, to the nearest 5 %
    assert got["office.level"].value == 60.0
    office = dataclasses.replace(OFFICE, brick="Office")  # no class target: the desk's
    got = by_point(decide(Plant({office.id: office}), values, memory, MONDAY_10, TZ, settings))  # type: ignore[arg-type]
    assert got["office.level"].value == 100.0


def test_recent_occupancy_keeps_a_zone_from_setback() -> None:
    memory, settings = Memory(), ControlSettings()
    empty_since(memory, MONDAY_10 - timedelta(minutes=settings.vacant_after_min - 1))
    got = by_point(decide(plant(), quiet(), memory, MONDAY_10, TZ, settings))  # type: ignore[arg-type]
    assert got["office.cool_sp"].value is None


def test_a_meeting_room_booked_soon_is_preconditioned() -> None:
    memory, settings = Memory(), ControlSettings()
    empty_since(memory, MONDAY_10 - timedelta(hours=2))
    values = quiet(**{"meeting.free_until": "10:20"})
    got = by_point(decide(plant(), values, memory, MONDAY_10, TZ, settings))  # type: ignore[arg-type]
    assert got["meeting.cool_sp"].value is None
    assert got["office.cool_sp"].value == settings.setback_cooling_c
    later = quiet(**{"meeting.free_until": "11:30"})
    memory2 = Memory()
    empty_since(memory2, MONDAY_10 - timedelta(hours=2))
    got = by_point(decide(plant(), later, memory2, MONDAY_10, TZ, settings))  # type: ignore[arg-type]
    assert got["meeting.cool_sp"].value == settings.setback_cooling_c


@pytest.mark.parametrize(
    ("text", "expected"), [("10:15", True), ("10:45", False), ("24:00", False), ("bad", False)]
)
def test_booked_soon_reads_the_panel_text(text: str, expected: bool) -> None:
    local = MONDAY_10.astimezone(TZ)
    assert booked_soon(MEETING, {"meeting.free_until": text}, local, 30) is expected


def test_air_units_stop_when_every_zone_is_empty_and_start_before_arrival() -> None:
    settings = ControlSettings()
    memory = Memory()
    empty_since(memory, MONDAY_10 - timedelta(hours=1))
    got = by_point(decide(plant(), quiet(), memory, MONDAY_10, TZ, settings))  # type: ignore[arg-type]
    assert got["ahu.occ"].value == UNOCCUPIED
    assert got["ahu.start"].value is None  # started and stopped by its occupancy mode
    assert got["doas.start"].value is False  # no occupancy command: stopped
    # 07:45 on a working day with zones 2 K warm: inside the lead before the 08:00 arrival
    early = datetime(2026, 7, 13, 7, 45, tzinfo=TZ).astimezone(UTC)
    memory = Memory()
    empty_since(memory, early - timedelta(hours=8))
    warm = quiet(**{"office.temp": 27.0, "meeting.temp": 27.0})
    got = by_point(decide(plant(), warm, memory, early, TZ, settings))  # type: ignore[arg-type]
    assert got["ahu.occ"].value == OCCUPIED
    too_early = datetime(2026, 7, 13, 6, 0, tzinfo=TZ).astimezone(UTC)
    memory = Memory()
    empty_since(memory, too_early - timedelta(hours=8))
    got = by_point(decide(plant(), warm, memory, too_early, TZ, settings))  # type: ignore[arg-type]
    assert got["ahu.occ"].value == UNOCCUPIED


def test_an_idle_zone_outside_its_limits_is_protected() -> None:
    settings = ControlSettings()
    memory = Memory()
    night = datetime(2026, 7, 13, 2, 0, tzinfo=TZ).astimezone(UTC)
    empty_since(memory, night - timedelta(hours=5))
    hot = quiet(**{"office.temp": settings.unoccupied_high_c + 0.5})
    got = by_point(decide(plant(), hot, memory, night, TZ, settings))  # type: ignore[arg-type]
    assert got["ahu.occ"].value == UNOCCUPIED  # its own night cycle protects the zones
    assert got["doas.start"].value is True  # a unit without that mode is started


def test_a_started_unit_runs_its_minimum_time() -> None:
    settings = ControlSettings()
    memory = Memory()
    empty_since(memory, MONDAY_10 - timedelta(minutes=20))
    memory.unit_on_since[AHU.id] = MONDAY_10 - timedelta(minutes=10)
    got = by_point(decide(plant(), quiet(), memory, MONDAY_10, TZ, settings))  # type: ignore[arg-type]
    assert got["ahu.occ"].value == OCCUPIED


def test_outdoor_air_units_work_to_the_co2_setpoint() -> None:
    settings = ControlSettings(co2_setpoint_ppm=750)
    got = by_point(decide(plant(), quiet(), Memory(), MONDAY_10, TZ, settings))  # type: ignore[arg-type]
    assert got["doas.co2_sp"].value == 750


def test_the_first_arrival_is_learnt_from_working_days() -> None:
    settings = ControlSettings()
    memory = Memory()
    today = MONDAY_10.astimezone(TZ).date()
    assert expected_arrival(memory, today, settings) == time(8, 0)
    for back, arrival in ((3, time(7, 40)), (4, time(7, 50)), (5, time(8, 10))):
        memory.first_arrival[today - timedelta(days=back)] = arrival
    memory.first_arrival[today - timedelta(days=1)] = time(6, 0)  # a Sunday: not learnt
    assert expected_arrival(memory, today, settings) == time(7, 50)


def test_the_start_lead_grows_with_the_distance_from_comfort_up_to_a_limit() -> None:
    settings = ControlSettings()
    base, per_k = settings.start_lead_min, settings.start_min_per_k
    assert start_lead(0.0, settings) == timedelta(minutes=base)
    assert start_lead(2.0, settings) == timedelta(minutes=base + 2 * per_k)
    assert start_lead(20.0, settings) == timedelta(minutes=settings.start_max_min)


def test_peak_limiting_sheds_until_demand_stays_low() -> None:
    settings = ControlSettings(peak_limit_kw=100.0)
    memory = Memory()
    empty_since(memory, MONDAY_10)  # both zones occupied a moment ago
    values = quiet(**{"office.occupied": True, "main.kw": 120.0})
    got = by_point(decide(plant("main.kw"), values, memory, MONDAY_10, TZ, settings))  # type: ignore[arg-type]
    assert got["office.cool_sp"].value == settings.comfort_cooling_c + settings.shed_k
    assert got["office.cool_sp"].strategy == "peak"
    values["main.kw"] = 90.0
    soon = MONDAY_10 + timedelta(minutes=5)
    got = by_point(decide(plant("main.kw"), values, memory, soon, TZ, settings))  # type: ignore[arg-type]
    assert got["office.cool_sp"].strategy == "peak"  # not yet quiet for long enough
    later = soon + timedelta(minutes=settings.peak_release_min)
    got = by_point(decide(plant("main.kw"), values, memory, later, TZ, settings))  # type: ignore[arg-type]
    assert got["office.cool_sp"].value is None


def test_strategies_left_out_decide_nothing() -> None:
    settings = ControlSettings(strategies=["dcv"])
    memory = Memory()
    empty_since(memory, MONDAY_10 - timedelta(hours=1))
    got = by_point(decide(plant(), quiet(), memory, MONDAY_10, TZ, settings))  # type: ignore[arg-type]
    assert set(got) == {"doas.co2_sp"}


def test_after_the_buildings_hours_vacant_zones_float_to_the_unoccupied_limits() -> None:
    settings = ControlSettings()
    memory = Memory()
    evening = datetime(2026, 7, 13, 21, 0, tzinfo=TZ).astimezone(UTC)
    empty_since(memory, evening - timedelta(hours=1))
    with_schedule = Plant(plant().zones, plant().air_units, schedule="office_hours")
    values = quiet(office_hours=False, **{"office.temp": 27.0})
    got = by_point(decide(with_schedule, values, memory, evening, TZ, settings))  # type: ignore[arg-type]
    assert got["office.cool_sp"].value == settings.after_hours_cooling_c
    assert got["office.heat_sp"].value == settings.after_hours_heating_c
    values["office_hours"] = True
    got = by_point(decide(with_schedule, values, memory, evening, TZ, settings))  # type: ignore[arg-type]
    assert got["office.cool_sp"].value == settings.setback_cooling_c


@pytest.mark.parametrize("service", [True, False])
def test_people_after_hours_are_served_unless_the_site_says_not(service: bool) -> None:
    settings = ControlSettings(after_hours_service=service)
    memory = Memory()
    evening = datetime(2026, 7, 13, 21, 0, tzinfo=TZ).astimezone(UTC)
    empty_since(memory, evening - timedelta(hours=1))
    with_schedule = Plant(plant().zones, plant().air_units, schedule="office_hours")
    values = quiet(office_hours=False, **{"office.occupied": True})
    got = by_point(decide(with_schedule, values, memory, evening, TZ, settings))  # type: ignore[arg-type]
    assert got["ahu.occ"].value == (OCCUPIED if service else UNOCCUPIED)


def test_a_person_passing_a_lobby_after_hours_starts_nothing() -> None:
    lobby = Zone(
        id="b.f1.lobby",
        name="Lobby",
        floor="b.f1",
        presence=("lobby.occupied",),
        temperature="lobby.temp",
        cooling_setpoint="lobby.cool_sp",
        brick="Lobby",
    )
    unit = AirUnit("b.ahu1", "AHU-1", "ahu1.start", (lobby.id,), occupancy_command="ahu1.occ")
    site = Plant({lobby.id: lobby}, {unit.id: unit}, schedule="office_hours")
    memory = Memory()
    evening = datetime(2026, 7, 13, 21, 0, tzinfo=TZ).astimezone(UTC)
    memory.started = evening - timedelta(hours=1)
    values = {"office_hours": False, "lobby.occupied": True, "lobby.temp": 27.0}
    got = by_point(decide(site, values, memory, evening, TZ, ControlSettings()))  # type: ignore[arg-type]
    assert got["ahu1.occ"].value == UNOCCUPIED
    values["office_hours"] = True  # in the building's hours the lobby is served
    got = by_point(decide(site, values, memory, evening, TZ, ControlSettings()))  # type: ignore[arg-type]
    assert got["ahu1.occ"].value == OCCUPIED


AHU_DCV = AirUnit(
    "b.ahu",
    "AHU",
    "ahu.start",
    (OFFICE.id, MEETING.id),
    occupancy_command="ahu.occ",
    outdoor_damper="ahu.oa",
    return_co2="ahu.rco2",
    return_temp="ahu.rat",
    outdoor_temp="ahu.oat",
)


def dcv_plant() -> Plant:
    return Plant({OFFICE.id: OFFICE, MEETING.id: MEETING}, {AHU_DCV.id: AHU_DCV})


def test_an_air_handler_over_ventilating_empty_spaces_closes_to_its_reduced_minimum() -> None:
    settings = ControlSettings()  # CO2 setpoint 800: reduce below 600, restore from 700
    memory = Memory()
    memory.started = MONDAY_10 - timedelta(hours=1)
    values = quiet(**{"office.occupied": True, "ahu.rco2": 450.0, "ahu.rat": 25.0})
    values["ahu.oat"] = 32.0
    got = by_point(decide(dcv_plant(), values, memory, MONDAY_10, TZ, settings))  # type: ignore[arg-type]
    assert got["ahu.occ"].value == OCCUPIED
    assert got["ahu.oa"].value == settings.dcv_min_outdoor_pct
    values["ahu.rco2"] = 650.0  # within the hysteresis: stays reduced
    got = by_point(decide(dcv_plant(), values, memory, MONDAY_10, TZ, settings))  # type: ignore[arg-type]
    assert got["ahu.oa"].value == settings.dcv_min_outdoor_pct
    values["ahu.rco2"] = 720.0  # people came: back to the unit's own minimum
    got = by_point(decide(dcv_plant(), values, memory, MONDAY_10, TZ, settings))  # type: ignore[arg-type]
    assert got["ahu.oa"].value is None
    values["ahu.rco2"] = 650.0  # not reduced again until well below
    got = by_point(decide(dcv_plant(), values, memory, MONDAY_10, TZ, settings))  # type: ignore[arg-type]
    assert got["ahu.oa"].value is None


def test_zone_co2_sensors_outrank_the_return_air_and_the_economiser_is_left_alone() -> None:
    settings = ControlSettings()
    office = dataclasses.replace(OFFICE, co2="office.co2")
    site = Plant({office.id: office, MEETING.id: MEETING}, {AHU_DCV.id: AHU_DCV})
    memory = Memory()
    memory.started = MONDAY_10 - timedelta(hours=1)
    values = quiet(**{"office.occupied": True, "ahu.rco2": 450.0, "office.co2": 760.0})
    values.update({"ahu.rat": 25.0, "ahu.oat": 32.0})
    got = by_point(decide(site, values, memory, MONDAY_10, TZ, settings))  # type: ignore[arg-type]
    assert got["ahu.oa"].value is None  # the office needs its air, whatever the return says
    values["office.co2"] = 500.0
    got = by_point(decide(site, values, memory, MONDAY_10, TZ, settings))  # type: ignore[arg-type]
    assert got["ahu.oa"].value == settings.dcv_min_outdoor_pct
    values["ahu.oat"] = 18.0  # outdoor air cooler than the return: free cooling decides
    got = by_point(decide(site, values, memory, MONDAY_10, TZ, settings))  # type: ignore[arg-type]
    assert got["ahu.oa"].value is None


def test_an_air_handler_not_in_occupied_mode_keeps_its_own_damper() -> None:
    settings = ControlSettings()
    memory = Memory()
    empty_since(memory, MONDAY_10 - timedelta(hours=1))
    values = quiet(**{"ahu.rco2": 430.0, "ahu.rat": 25.0, "ahu.oat": 32.0})
    got = by_point(decide(dcv_plant(), values, memory, MONDAY_10, TZ, settings))  # type: ignore[arg-type]
    assert got["ahu.occ"].value == UNOCCUPIED
    assert got["ahu.oa"].value is None  # it recirculates by itself; a command would open it


def test_dcv_hysteresis_the_wrong_way_round_is_refused_clearly() -> None:
    with pytest.raises(ValidationError, match="dcv_restore_below_ppm .* must be less than"):
        ControlSettings(dcv_reduce_below_ppm=100, dcv_restore_below_ppm=150)
    ControlSettings(dcv_reduce_below_ppm=300, dcv_restore_below_ppm=150)  # the right way round
    with pytest.raises(ValidationError, match="target_lux_by_class.Lobby"):
        ControlSettings(target_lux_by_class={"Lobby": 0})
