"""Elevators: the cars carry the people's lift moves, obey fire recall, and stop on a fault."""

from __future__ import annotations

from datetime import datetime, timedelta
from statistics import median

import pytest

from penworks.sim.building import Building
from penworks.sim.devices import Refusal, Refused, SimDevice
from penworks.sim.layout import LIFTS
from penworks.sim.people import level_of
from penworks.sim.scenarios import ScenarioKind
from penworks.sim.systems.elevators import FAULT_SAFETY_CIRCUIT, Elevators
from penworks.sim.systems.spaces_lift_car import CAPACITY, PERSON_KG, SHAFT_TOP_M, height
from penworks.sim.world import World
from tests.unit.sim.test_spaces_support import SEED, WEDNESDAY, Probe, at, working_day

STEP = timedelta(seconds=30)


def lifts(building: Building) -> tuple[list[SimDevice], SimDevice]:
    return [building.device(name) for name in LIFTS], building.device("lift_group")


def elevators_at(hour: float, *extra: Probe) -> Building:
    return Building(at(WEDNESDAY, hour), [*extra, Elevators(SEED)], seed=SEED)


def lift_moves() -> list[tuple[str, int, int]]:
    moves = []
    for move in working_day().moves():
        origin, dest = level_of(move.origin), level_of(move.to)
        if move.lift and origin is not None and dest is not None:
            origin, dest = min(3, origin), min(3, dest)  # the roof is by the stairs from f4
            if origin != dest:
                moves.append((move.person, origin, dest))
    return moves


def test_every_lift_move_of_the_day_is_carried_within_minutes() -> None:
    elevators = working_day().system("elevators")
    assert isinstance(elevators, Elevators)
    carried = sorted((c.who, c.origin, c.dest) for c, _ in elevators.stats.done)
    assert carried == sorted(lift_moves())
    assert elevators.stats.calls == elevators.stats.served == len(carried) > 500
    assert not elevators.pending()
    waits = elevators.stats.waits_s()
    assert max(waits) < 120
    assert median(waits) < 30
    journeys = [done - c.at_s for c, done in elevators.stats.done]
    assert max(journeys) < 180


def test_cars_stay_in_the_shaft_share_the_work_and_stay_within_their_rated_load() -> None:
    day = working_day()
    for step in day.steps:
        for position, floor, door in step.cars:
            assert 0 <= position <= SHAFT_TOP_M
            assert -1 <= floor <= 3
            if door != "closed":
                assert position == pytest.approx(height(floor))  # doors open at landings only
    for _, values, _ in day.snapshots:
        for lift in LIFTS:
            assert float(values[lift]["Load"]) <= CAPACITY * PERSON_KG
    trips = [int(day.building.device(lift).get("Trips")) for lift in LIFTS]
    assert min(trips) > 0.1 * sum(trips)


def test_lifts_draw_their_load_in_the_roof_machine_room() -> None:
    loads = [s.loads["lifts"] for s in working_day().steps[1:]]
    assert min(loads) == pytest.approx(3 * 0.4)  # three cars standing by
    assert max(loads) > 5


def fire_alarm(start: float, end: float) -> Probe:
    def alarm(world: World) -> None:
        world.shared["fire.alarm"] = at(WEDNESDAY, start) <= world.local < at(WEDNESDAY, end)

    return Probe(alarm)


def assert_recalled(cars: list[SimDevice], group: SimDevice) -> None:
    for car in cars:
        state = {k: car.get(k) for k in ("CurrentFloor", "Position", "DoorState", "InService")}
        assert state == {
            "CurrentFloor": 0,
            "Position": 4.0,
            "DoorState": "open",
            "InService": False,
        }
        assert (car.get("FireRecall"), car.get("Mode"), car.get("Load")) == (True, "fire_recall", 0)
    assert group.get("FireRecallActive") is True
    assert group.get("CarsInService") == 0


def test_the_fire_alarm_recalls_every_car_to_level_0_with_doors_open() -> None:
    building = elevators_at(8.5, fire_alarm(9.0, 9.5))
    cars, group = lifts(building)
    building.advance_to(at(WEDNESDAY, 8.99))
    assert any(car.get("CurrentFloor") != 0 or car.get("Moving") for car in cars)
    building.advance_to(at(WEDNESDAY, 9.05))  # three minutes are plenty
    assert_recalled(cars, group)
    with pytest.raises(Refused) as refused:
        group.write("CallFloor", 2)
    assert refused.value.refusal is Refusal.DEVICE_FAULT
    served = int(group.get("CallsServed"))
    building.advance_to(at(WEDNESDAY, 9.45))
    assert_recalled(cars, group)
    assert int(group.get("CallsServed")) == served  # nobody rides during the recall
    building.advance_to(at(WEDNESDAY, 9.55))
    assert all(car.get("InService") and car.get("Mode") == "normal" for car in cars)
    building.advance_to(at(WEDNESDAY, 10.5))
    assert int(group.get("CallsServed")) > served
    assert group.get("FireRecallActive") is False


def test_the_group_command_recalls_the_cars_too() -> None:
    building = elevators_at(6.0)
    cars, group = lifts(building)
    group.write("FireRecallCommand", True)
    building.advance_to(at(WEDNESDAY, 6.05))
    assert_recalled(cars, group)
    group.write("FireRecallCommand", False)
    building.advance_to(at(WEDNESDAY, 6.1))
    assert all(car.get("InService") and car.get("DoorState") == "closed" for car in cars)


def step_until_moving_between_floors(
    building: Building, cars: list[SimDevice], limit: datetime
) -> SimDevice:
    """The first car seen travelling between two landings at the end of a step."""
    while True:
        for car in cars:
            if car.get("Moving") and float(car.get("Position")) % 4 > 0.5:
                return car
        assert building.now < limit, "no car ever travelled"
        building.advance_to(building.now + STEP)


def test_a_fault_stops_a_car_between_floors_until_it_ends() -> None:
    building = elevators_at(8.5)
    cars, group = lifts(building)
    lift2 = step_until_moving_between_floors(building, cars, at(WEDNESDAY, 10))
    building.inject(ScenarioKind.ELEVATOR_FAULT, lift2.name, building.now, duration_s=1800)
    where = float(lift2.get("Position"))
    served = int(group.get("CallsServed"))
    end = building.now + timedelta(seconds=1800)
    while building.now + STEP < end:
        building.advance_to(building.now + STEP)
        state = tuple(lift2.get(k) for k in ("FaultCode", "InService", "Moving", "Mode"))
        assert state == (FAULT_SAFETY_CIRCUIT, False, False, "fault")
        assert float(lift2.get("Position")) == where
    assert float(lift2.get("Position")) % 4 != 0  # stuck between floors all along
    assert int(group.get("CallsServed")) > served + 20  # the other cars carried on
    assert int(group.get("CarsInService")) == 2
    building.advance_to(end + timedelta(minutes=3))
    assert (lift2.get("FaultCode"), lift2.get("InService")) == (0, True)
    assert float(lift2.get("Position")) % 4 == 0  # levelled to a landing
    building.advance_to(end + timedelta(minutes=30))
    elevators = building.system("elevators")
    assert isinstance(elevators, Elevators)
    assert max(elevators.stats.waits_s()) < 300


def test_a_fault_at_a_landing_is_a_door_lock_fault() -> None:
    building = elevators_at(5.0)
    building.inject(ScenarioKind.ELEVATOR_FAULT, "lift3", at(WEDNESDAY, 5.1), duration_s=600)
    building.advance_to(at(WEDNESDAY, 5.15))
    lift3 = building.device("lift3")
    assert (lift3.get("FaultCode"), lift3.get("Position")) == (21, 4.0)
    building.advance_to(at(WEDNESDAY, 5.3))
    assert lift3.get("FaultCode") == 0


def test_the_platform_can_call_a_car_to_a_floor_and_for_a_visitor() -> None:
    building = elevators_at(6.0)
    cars, group = lifts(building)
    group.write("CallFloor", 3)
    building.advance_to(building.now + STEP)  # 7.5 s up, a door cycle: all within a step
    assert group.get("CallsServed") == 1
    assert [c.get("CurrentFloor") for c in cars].count(3) == 1
    group.write("DestinationCall", "0>2")
    building.advance_to(building.now + 6 * STEP)
    assert group.get("CallsServed") == 2
    assert group.get("PendingCalls") == 0


@pytest.mark.parametrize(
    ("key", "value", "refusal"),
    [
        ("CallFloor", 9, Refusal.OUT_OF_RANGE),
        ("CallFloor", -2, Refusal.OUT_OF_RANGE),
        ("CallFloor", 1.5, Refusal.OUT_OF_RANGE),
        ("CallFloor", "3", Refusal.WRONG_TYPE),
        ("DestinationCall", "up", Refusal.OUT_OF_RANGE),
        ("DestinationCall", "2>2", Refusal.OUT_OF_RANGE),
        ("DestinationCall", "0>7", Refusal.OUT_OF_RANGE),
        ("FireRecallActive", True, Refusal.READ_ONLY),
    ],
)
def test_the_group_refuses_what_a_real_one_would(key: str, value: object, refusal: Refusal) -> None:
    elevators = Elevators(SEED)
    with pytest.raises(Refused) as refused:
        elevators.group.write(key, value)  # type: ignore[arg-type]
    assert refused.value.refusal is refusal
    assert not elevators.pending()


def test_a_car_takes_no_writes() -> None:
    car = Elevators(SEED).devices()[0]
    with pytest.raises(Refused) as refused:
        car.write("Position", 8.0)
    assert refused.value.refusal is Refusal.READ_ONLY


def test_the_lifts_are_objects_of_the_lifts_server() -> None:
    devices = Elevators(SEED).devices()
    assert [d.address for d in devices] == ["Lift1", "Lift2", "Lift3", "Group"]
    assert {d.gateway for d in devices} == {"lifts"}
    assert {d.protocol for d in devices} == {"opcua"}
    assert Elevators(SEED).scenario_targets() == {ScenarioKind.ELEVATOR_FAULT: list(LIFTS)}
