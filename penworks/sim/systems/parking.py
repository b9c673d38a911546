"""The car park: 40 bays with sensors, entry and exit barriers with plate-reading cameras.

Staff who drive come and go through the car park gate (their moves by car); the entry camera
reads the plate, the barrier lifts for a known plate and the car takes a free bay (drivers of
electric cars prefer bays 1-6, which have chargers; other cars take them only when nothing
else is free). When every bay is taken the sign shows FULL and cars park off the marked bays
(counted as overflow). A few unknown vehicles a day (deliveries, visitors) take a ticket in
and pay out; the platform may lift a barrier for a visitor (`open`).

Shared readings: 'parking.bay<n>' (occupied), 'parking.bay<n>.ev' (an electric car stands
there) and 'parking.bay<n>.driver' (its driver's person id, empty for an unknown car), so the
EV chargers on bays 1-6 can tell whose car is at them; 'parking.free', 'parking.occupied'.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from penworks.core import Value
from penworks.sim.devices import SimDevice
from penworks.sim.layout import EV_CHARGERS, PARKING_BAYS
from penworks.sim.people import CARPARK, OUTSIDE, Person
from penworks.sim.scenarios import ScenarioKind
from penworks.sim.systems.security_products import BARRIER_GATE, BAY_SENSOR, PARKING_SUMMARY
from penworks.sim.world import World

TOPIC = "b15/b1/carpark"
EV_SHARE = 0.35  # of those who drive: the same draw as the EV chargers' (ev.py), so both agree
VISITS_PER_DAY = {True: (3, 6), False: (0, 2)}  # working day or not
DELIVERY_MIN, VISIT_H = (10.0, 40.0), (1.0, 3.0)
PROVINCES = ("沪", "苏", "浙", "皖")
PLATE_CHARS = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"
BASE_KW = 0.15  # barrier controllers, LPR cameras, bay sensors, guidance signs


@dataclass(slots=True)
class Car:
    plate: str
    ev: bool
    driver: str  # person id; empty for a delivery or a visitor
    bay: int | None  # 1-based; None: parked off the marked bays

    @property
    def known(self) -> bool:
        """A staff car on the list (else a delivery or a visitor)."""
        return bool(self.driver)


@dataclass(frozen=True, slots=True)
class Visit:
    """An unknown vehicle's stay: a delivery or a visitor."""

    arrive: datetime  # local
    leave: datetime
    plate: str


@dataclass(slots=True)
class Gate:
    device: SimDevice
    vehicles: int = 0
    unknown: int = 0
    remote: bool = False  # lifted by a command, drops after the next car
    passed: list[tuple[str, str]] = field(default_factory=list)  # (plate, decision) this step


class Parking:
    name = "parking"

    def __init__(self, seed: int) -> None:
        self._seed = seed
        self._rng = random.Random(f"{seed}:parking")
        self.bays = [
            SimDevice(
                f"parking_bay{n:02d}",
                f"Bay {n} sensor",
                BAY_SENSOR,
                f"{TOPIC}/bay{n:02d}",
                location=CARPARK,
            )
            for n in range(1, PARKING_BAYS + 1)
        ]
        self.gates = {way: self._gate(way) for way in ("in", "out")}
        self.summary = SimDevice(
            "parking_summary",
            "Parking guidance",
            PARKING_SUMMARY,
            f"{TOPIC}/summary",
            location=CARPARK,
        )
        self.cars: dict[str, Car] = {}  # by plate
        self._in_bay: list[Car | None] = [None] * PARKING_BAYS
        self._ev: dict[str, bool] = {}
        self._day: date | None = None
        self._visits: list[Visit] = []
        self._started = False
        self._moved = True  # a car parked or left since the bays were last shown

    def _gate(self, way: str) -> Gate:
        device = SimDevice(
            f"parking_gate_{way}",
            f"Car park {way} gate",
            BARRIER_GATE,
            f"{TOPIC}/gate_{way}",
            location=CARPARK,
        )
        gate = Gate(device)
        device.on_write = lambda key, value: self._command(gate, key, value)
        return gate

    def devices(self) -> list[SimDevice]:
        return [*self.bays, *(g.device for g in self.gates.values()), self.summary]

    def scenario_targets(self) -> dict[ScenarioKind, list[str]]:
        return {}

    @property
    def visiting(self) -> int:
        """Unknown vehicles in the car park now."""
        return sum(1 for car in self.cars.values() if not car.known)

    def _command(self, gate: Gate, key: str, value: Value | None) -> None:
        if key == "open" and value is not None:
            gate.remote = bool(value)

    # -- a step ---------------------------------------------------------------------------

    def step(self, world: World) -> None:
        self._plan_day(world)
        if not self._started:
            self._started = True
            self._settle(world)
        for gate in self.gates.values():
            gate.passed.clear()
        for move in world.moves:
            if not move.by_car:
                continue
            person = world.people.by_id.get(move.person)
            if person is None or person.plate is None:
                continue
            if move.to == CARPARK:
                self._arrive(person.plate, self.is_ev(person), person.id)
            elif move.origin == CARPARK and move.to == OUTSIDE:
                self._leave(person.plate, "known")
        self._visitors(world)
        self._show(world)

    def _settle(self, world: World) -> None:
        """Cars already parked when the twin starts: their drivers are in the building."""
        for person in world.people.persons:
            if person.plate is not None and world.people.where.get(person.id, OUTSIDE) != OUTSIDE:
                self._park(person.plate, self.is_ev(person), person.id)
        for visit in self._visits:
            if visit.arrive <= world.local < visit.leave:
                self._park(visit.plate, False, "")

    def is_ev(self, person: Person) -> bool:
        """Whether this driver comes in an electric car (the same people every day)."""
        if person.id not in self._ev:
            self._ev[person.id] = random.Random(f"{self._seed}:ev:{person.id}").random() < EV_SHARE
        return self._ev[person.id]

    def _arrive(self, plate: str, ev: bool, driver: str) -> None:
        """A car through the entry gate: a staff car (its driver's id) or an unknown one ('')."""
        gate = self.gates["in"]
        gate.passed.append((plate, "known" if driver else "ticket"))
        gate.vehicles += 1
        if not driver:
            gate.unknown += 1
        if plate not in self.cars:
            self._park(plate, ev, driver)

    def _park(self, plate: str, ev: bool, driver: str) -> None:
        free = [i for i, car in enumerate(self._in_bay) if car is None]
        chargers = [i for i in free if i < EV_CHARGERS]
        others = [i for i in free if i >= EV_CHARGERS]
        pool = (chargers or others) if ev else (others or chargers)
        bay = self._rng.choice(pool) if pool else None
        car = Car(plate, ev, driver, None if bay is None else bay + 1)
        self.cars[plate] = car
        self._moved = True
        if bay is not None:
            self._in_bay[bay] = car

    def _leave(self, plate: str, decision: str) -> None:
        gate = self.gates["out"]
        gate.passed.append((plate, decision))
        gate.vehicles += 1
        if decision != "known":
            gate.unknown += 1
        car = self.cars.pop(plate, None)
        if car is not None and car.bay is not None:
            self._in_bay[car.bay - 1] = None
        self._moved = True

    # -- unknown vehicles -----------------------------------------------------------------

    def _plan_day(self, world: World) -> None:
        day = world.local.date()
        if day == self._day:
            return
        self._day = day
        rng = random.Random(f"{self._seed}:visits:{day.isoformat()}")
        midnight = datetime.combine(day, time(), world.local.tzinfo)
        low, high = VISITS_PER_DAY[world.working_day]
        visits = []
        for _ in range(rng.randint(low, high)):
            arrive = midnight + timedelta(hours=rng.uniform(8.0, 17.0))
            if rng.random() < 0.5:
                stay = timedelta(minutes=rng.uniform(*DELIVERY_MIN))
            else:
                stay = timedelta(hours=rng.uniform(*VISIT_H))
            plate = rng.choice(PROVINCES) + "".join(rng.choice(PLATE_CHARS) for _ in range(6))
            visits.append(Visit(arrive, arrive + stay, plate))
        self._visits = visits

    def _visitors(self, world: World) -> None:
        since = world.local - timedelta(seconds=world.dt)
        for visit in self._visits:
            if since < visit.arrive <= world.local:
                self._arrive(visit.plate, False, "")
            if since < visit.leave <= world.local and visit.plate in self.cars:
                self._leave(visit.plate, "paid")

    # -- what the devices show ------------------------------------------------------------

    def _show(self, world: World) -> None:
        for gate in self.gates.values():
            self._show_gate(gate, world)
        if self._moved:
            self._moved = False
            self._show_bays(world)
        world.power.draw(BASE_KW, "security", "b1")

    def _show_bays(self, world: World) -> None:
        occupied = 0
        for n, (sensor, car) in enumerate(zip(self.bays, self._in_bay, strict=True), start=1):
            sensor.set("occupied", car is not None)
            sensor.set("plate", "" if car is None else car.plate)
            world.shared[f"parking.bay{n}"] = car is not None
            world.shared[f"parking.bay{n}.ev"] = car is not None and car.ev
            world.shared[f"parking.bay{n}.driver"] = "" if car is None else car.driver
            occupied += car is not None
        free = PARKING_BAYS - occupied
        s = self.summary
        s.set("free", free)
        s.set("occupied", occupied)
        s.set("ev_free", sum(1 for car in self._in_bay[:EV_CHARGERS] if car is None))
        s.set("overflow", sum(1 for car in self.cars.values() if car.bay is None))
        s.set("full", free == 0)
        world.shared["parking.free"] = free
        world.shared["parking.occupied"] = occupied

    def _show_gate(self, gate: Gate, world: World) -> None:
        d = gate.device
        remote, gate.remote = gate.remote, False  # a lifted arm drops after a car or a while
        if gate.passed:
            plate, decision = gate.passed[-1]
            d.set("plate", plate)
            d.set("confidence", round(world.rng.uniform(86.0, 99.5), 1))
            d.set("decision", decision)
            d.set("vehicles", gate.vehicles)
            d.set("unknown", gate.unknown)
        elif remote:
            d.set("decision", "remote")
        d.set("open", remote and not gate.passed)
        d.set("barrier_open", bool(gate.passed) or remote)
        d.set("vehicle_present", bool(gate.passed))
