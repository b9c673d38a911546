"""The car park: bays follow the cars present, gates read every plate, EVs take the chargers."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest

from penworks.sim import people as people_module
from penworks.sim.building import Building
from penworks.sim.devices import Refusal, Refused
from penworks.sim.layout import EV_CHARGERS, PARKING_BAYS
from penworks.sim.people import CARPARK, OUTSIDE
from penworks.sim.systems.ev import Ev
from penworks.sim.systems.parking import Parking
from penworks.sim.world import World
from tests.unit.sim.test_security_support import MONDAY, Probe, at, building, logged_day, run_until


class CarLog:
    """After each step: bay and summary consistency, and what the gates read."""

    def __init__(self, parking: Parking) -> None:
        self.parking = parking
        self.reads: Counter[str] = Counter()  # gate -> single-car steps read right
        self.full = 0
        self.ev_bays_first_full: list[bool] | None = None
        self.cars_max = 0
        self.cars: set[str] | None = None  # plates of staff cars present, from the moves

    def __call__(self, world: World) -> None:
        p, people = self.parking, world.people
        occupied = [bool(bay.get("occupied")) for bay in p.bays]
        plates = [str(bay.get("plate")) for bay in p.bays if bay.get("occupied")]
        assert len(plates) == len(set(plates))
        assert all(plates)
        assert p.summary.get("occupied") == sum(occupied)
        assert p.summary.get("free") == PARKING_BAYS - sum(occupied)
        assert all(world.shared[f"parking.bay{n}"] is o for n, o in enumerate(occupied, 1))
        if self.cars is None:  # the start: drivers in the building came by car
            self.cars = {
                x.plate for x in people.persons if x.plate and people.where[x.id] != OUTSIDE
            }
        for move in (m for m in world.moves if m.by_car):
            plate = people.by_id[move.person].plate or ""
            (self.cars.add if move.to == CARPARK else self.cars.discard)(plate)
        self.cars_max = max(self.cars_max, len(self.cars))
        assert sum(occupied) + int(p.summary.get("overflow")) == len(self.cars) + p.visiting
        assert self.cars <= {c.plate for c in p.cars.values()}
        self.full += p.summary.get("full") is True
        if self.ev_bays_first_full is None and all(occupied[:EV_CHARGERS]):
            self.ev_bays_first_full = [
                world.shared[f"parking.bay{n}.ev"] is True for n in range(1, EV_CHARGERS + 1)
            ]
        for way, moves in (
            ("in", [m for m in world.moves if m.by_car and m.to == CARPARK]),
            ("out", [m for m in world.moves if m.by_car and m.origin == CARPARK]),
        ):
            gate = p.gates[way].device
            if len(moves) == 1:
                driver = people.by_id[moves[0].person]
                assert (gate.get("plate"), gate.get("decision")) == (driver.plate, "known")
                assert gate.get("barrier_open") is True
                assert gate.get("vehicle_present") is True
                self.reads[way] += 1


@pytest.fixture(scope="module")
def day() -> tuple[Building, Parking, CarLog]:
    parking = Parking(15)
    log = CarLog(parking)
    return logged_day(parking, log), parking, log


def test_bays_hold_the_cars_present_and_gates_read_each_plate(
    day: tuple[Building, Parking, CarLog],
) -> None:
    b, parking, log = day
    assert log.reads["in"] > 20
    assert log.reads["out"] > 20
    gate_in, gate_out = (parking.gates[w].device for w in ("in", "out"))
    assert gate_in.get("vehicles") == gate_out.get("vehicles")  # everyone went home
    assert 3 <= int(gate_in.get("unknown")) <= 6  # deliveries and visitors
    assert gate_in.get("unknown") == gate_out.get("unknown")
    assert parking.summary.get("occupied") == 0
    assert parking.visiting == 0


def test_electric_cars_take_the_charging_bays_first(day: tuple[Building, Parking, CarLog]) -> None:
    _, _, log = day
    assert log.ev_bays_first_full == [True] * EV_CHARGERS


def test_cars_park_off_the_bays_when_the_car_park_is_full(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(people_module, "DRIVES_SHARE", 0.35)  # more cars than bays
    parking = Parking(15)
    log = CarLog(parking)
    b = building([parking], at(MONDAY, 7.0), probe=Probe(log))
    run_until(b, at(MONDAY, 12.0))
    assert log.cars_max > PARKING_BAYS
    assert log.full > 0
    assert parking.summary.get("occupied") == PARKING_BAYS


def test_a_gate_opens_for_a_visitor_on_command_and_drops_after() -> None:
    parking = Parking(15)
    b = building([parking], at(MONDAY, 3.0))
    gate = parking.gates["in"].device
    gate.write("open", True)
    run_until(b, at(MONDAY, 3.0) + timedelta(seconds=30))
    assert (gate.get("barrier_open"), gate.get("decision"), gate.get("open")) == (
        True,
        "remote",
        True,
    )
    run_until(b, at(MONDAY, 3.0) + timedelta(seconds=60))
    assert (gate.get("barrier_open"), gate.get("open")) == (False, False)
    for key, value, refusal in (
        ("plate", "沪A00000", Refusal.READ_ONLY),
        ("barrier_open", True, Refusal.READ_ONLY),
        ("open", "up", Refusal.WRONG_TYPE),
    ):
        with pytest.raises(Refused) as refused:
            gate.write(key, value)
        assert refused.value.refusal is refusal
    with pytest.raises(Refused):
        parking.bays[0].write("occupied", False)


def test_cars_present_at_the_start_are_in_their_bays() -> None:
    parking = Parking(15)
    b = building([parking], at(MONDAY, 11.0))
    drivers = [p for p in b.people.persons if p.plate and b.people.where[p.id] != OUTSIDE]
    occupied = int(parking.summary.get("occupied")) + int(parking.summary.get("overflow"))
    assert occupied == len(drivers) + parking.visiting
    assert parking.gates["in"].device.get("vehicles") == 0


def test_the_car_park_and_the_ev_chargers_agree_on_who_drives_electric() -> None:
    parking, chargers = Parking(15), Ev(15)
    b = building([parking], MONDAY)
    drivers = [p for p in b.people.persons if p.plate]
    assert [parking.is_ev(p) for p in drivers] == [chargers.owns_ev(p.id) for p in drivers]
    assert any(parking.is_ev(p) for p in drivers)
