"""Environment: IAQ sensors follow the HVAC's air, model PM2.5 and TVOC, and see a fire."""

from __future__ import annotations

from statistics import mean

import pytest

from penworks.sim.building import Building
from penworks.sim.devices import Refusal, Refused
from penworks.sim.scenarios import ScenarioKind
from penworks.sim.systems.environment import PM25_RANGE, Environment, OutdoorPm
from penworks.sim.systems.spaces_common import ROOMS
from penworks.sim.world import World
from tests.unit.sim.test_spaces_support import SEED, WEDNESDAY, Probe, at, working_day

FIRE_ROOM, SAME_FLOOR, OTHER_FLOOR = "f3/r302", "f3/r301", "f2/r201"


def iaq(place: str) -> str:
    floor, space = place.split("/")
    return f"iaq_{floor}_{space}"


def test_sensors_read_the_hvac_air_with_their_own_small_error() -> None:
    def hvac(world: World) -> None:
        world.shared.update({"f3/r301.temp": 23.5, "f3/r301.rh": 45.0, "f3/r301.co2": 800.0})

    building = Building(at(WEDNESDAY, 10), [Probe(hvac), Environment(SEED)], seed=SEED)
    building.advance_to(at(WEDNESDAY, 10.5))
    values = building.device("iaq_f3_r301").values
    assert values["temp"] == pytest.approx(23.5, abs=0.5)
    assert values["rh"] == pytest.approx(45.0, abs=3.0)
    assert values["co2"] == pytest.approx(800.0, abs=45.0)


def test_without_hvac_readings_the_sensors_still_read_plausible_air() -> None:
    for _, values, _ in working_day().snapshots:
        for room in ROOMS:
            reading = values[iaq(room.place)]
            assert 15 <= float(reading["temp"]) <= 32
            assert 25 <= float(reading["rh"]) <= 75
            assert 350 <= float(reading["co2"]) <= 2500
            assert 0 <= float(reading["pm25"]) <= PM25_RANGE
            assert 0 <= float(reading["tvoc"]) <= 2000


def test_filtered_air_keeps_indoor_pm25_below_outdoor_while_the_air_handlers_run() -> None:
    building = working_day().building
    city = OutdoorPm(SEED)
    for when in [at(WEDNESDAY, h) for h in (10, 14, 17)]:
        outdoor = city.at(when)  # the same seeded city air
        indoor = [
            float(values[iaq(r.place)]["pm25"])
            for step, values, _ in working_day().snapshots
            if abs((step.local - when).total_seconds()) < 300
            for r in ROOMS
        ]
        assert indoor
        assert mean(indoor) < 0.6 * outdoor
    assert float(building.shared["environment.outdoor_pm25"]) > 0


def test_tvoc_rises_with_people_and_with_the_evening_cleaning() -> None:
    day = working_day()
    cleaners = {p.id for p in day.building.people.persons if p.role == "cleaner"}
    cleaned = {m.to for m in day.moves() if m.person in cleaners and m.to.startswith("f3/")}
    assert cleaned

    def tvoc(place: str, hour: float) -> float:
        when = at(WEDNESDAY, hour)
        return next(
            float(values[iaq(place)]["tvoc"])
            for step, values, _ in day.snapshots
            if step.local >= when
        )

    offices = [r.place for r in ROOMS if r.use == "office"]
    assert mean(tvoc(p, 11) for p in offices) > mean(tvoc(p, 5) for p in offices) + 30
    for place in cleaned:
        assert max(tvoc(place, h / 4) for h in range(78, 92)) > tvoc(place, 19.4) + 50


def fire_run(fire: bool) -> Building:
    building = Building(at(WEDNESDAY, 10), [Environment(SEED)], seed=SEED)
    if fire:
        building.inject(ScenarioKind.FIRE, FIRE_ROOM, at(WEDNESDAY, 10.5), duration_s=1800)
    return building


def test_a_fire_fills_its_room_with_smoke_and_clears_after_its_end() -> None:
    burning, calm = fire_run(True), fire_run(False)
    for building in (burning, calm):
        building.advance_to(at(WEDNESDAY, 10.9))

    def read(building: Building, place: str, key: str) -> float:
        return float(building.device(iaq(place)).get(key))

    assert read(burning, FIRE_ROOM, "pm25") >= 0.9 * PM25_RANGE
    assert read(burning, FIRE_ROOM, "tvoc") > 10 * read(calm, FIRE_ROOM, "tvoc")
    assert read(burning, SAME_FLOOR, "pm25") > read(calm, SAME_FLOOR, "pm25") + 50
    assert read(burning, OTHER_FLOOR, "pm25") == read(calm, OTHER_FLOOR, "pm25")
    assert (
        float(burning.shared[f"{FIRE_ROOM}.pm25"]) > PM25_RANGE
    )  # the air, beyond the sensor's range
    for building in (burning, calm):
        building.advance_to(at(WEDNESDAY, 12.5))  # 90 minutes after the end
    for place in (FIRE_ROOM, SAME_FLOOR):
        assert read(burning, place, "pm25") == pytest.approx(read(calm, place, "pm25"), abs=1.0)
        assert read(burning, place, "tvoc") == pytest.approx(read(calm, place, "tvoc"), abs=5)


def test_a_fire_elsewhere_is_not_the_sensors_business() -> None:
    building = fire_run(False)
    building.inject(ScenarioKind.FIRE, "b1/plant", at(WEDNESDAY, 10.1), duration_s=600)
    building.advance_to(at(WEDNESDAY, 10.3))
    assert all(float(d.get("pm25")) < 100 for d in building.devices())


def test_sensors_take_no_writes() -> None:
    device = Environment(SEED).devices()[0]
    with pytest.raises(Refused) as refused:
        device.write("co2", 400)
    assert refused.value.refusal is Refusal.READ_ONLY


def test_every_zone_and_fan_coil_room_has_a_sensor() -> None:
    devices = Environment(SEED).devices()
    assert sorted(d.location for d in devices) == sorted(r.place for r in ROOMS)
    assert all(d.address == f"b15/{d.location}/iaq" for d in devices)
