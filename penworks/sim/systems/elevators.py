"""Elevators: three traction lifts and their group controller, on the OPC UA server 'lifts'.

Objects Lift1..Lift3 (one per car of layout.LIFTS) and Group. People who change level
inside the building (world.moves with `move.lift`) call a lift with their destination, as
at the lobby's destination-dispatch keypads; the group assigns each call to the car that
reaches it soonest (distance, stops already planned, and a car heading away), cars serve
their stops collectively (spaces_lift_car). The platform may place a hall call (CallFloor)
or a destination call (DestinationCall 'from>to', e.g. for a visitor) and command fire
recall.

Fire recall (shared 'fire.alarm' or the group's FireRecallCommand): waiting calls are
cancelled, every car returns to level 0, opens its doors and stays out of service until
both are clear. ELEVATOR_FAULT (target lift1..lift3): the car stops where it is (between
floors if it was travelling: safety circuit, code 31; at its landing otherwise: door lock,
code 21) with its passengers, out of service, until the fault ends; it then levels to the
nearest landing and carries on. Calls assigned to it go to the other cars.

The machine room is on the roof: the lifts draw their load there ('lifts', floor 'roof').
"""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass, field
from itertools import islice

from penworks.core import PointKind, Value
from penworks.sim.devices import DeviceType, PointSpec, Refusal, Refused, SimDevice
from penworks.sim.layout import LIFT_LEVELS, LIFTS
from penworks.sim.people import Move, level_of
from penworks.sim.scenarios import ScenarioKind
from penworks.sim.systems.spaces_lift_car import (
    CAPACITY,
    LOWEST_LEVEL,
    SPEED_M_S,
    STANDBY_KW,
    TOP_LEVEL,
    Call,
    Car,
    Phase,
    height,
    landing,
)
from penworks.sim.world import World

SERVER = "lifts"
GROUP_OBJECT = "Group"
FAULT_SAFETY_CIRCUIT = 31  # stopped between floors
FAULT_DOOR_LOCK = 21  # stopped at a landing
STOP_PENALTY_S = 10.0  # what each planned stop adds to a car's time to a new call
REVERSAL_PENALTY_S = 30.0  # a car heading away from the call
AVERAGE_OVER = 20  # calls, for AverageWaitTime
KEEP_DONE = 5000  # calls served kept for the statistics
_DESTINATION = re.compile(r"^\s*(-?\d+)\s*>\s*(-?\d+)\s*$")
INT = 0  # default of Int32 variables (an int default tells the OPC UA server the type)

LIFT_CAR = DeviceType(
    "TX-1000 traction lift controller",
    "opcua",
    (
        PointSpec("Position", unit="m", description="Car height above the b1 landing"),
        PointSpec("Speed", unit="m/s", description="Car speed"),
        PointSpec(
            "CurrentFloor", description="Nearest landing (level, -1 b1 .. 3 f4)", default=INT
        ),
        PointSpec("NextStop", description="Level the car is heading for", default=INT),
        PointSpec("Direction", description="-1 down, 0 standing, 1 up", default=INT),
        PointSpec(
            "DoorState",
            PointKind.TEXT,
            description="closed, opening, open, closing",
            default="closed",
        ),
        PointSpec("Load", unit="kg", description="Load in the car"),
        PointSpec("Passengers", description="People in the car", default=INT),
        PointSpec("Moving", PointKind.BOOL, description="Travelling", default=False),
        PointSpec("InService", PointKind.BOOL, description="Serving calls", default=True),
        PointSpec(
            "Mode", PointKind.TEXT, description="normal, fire_recall or fault", default="normal"
        ),
        PointSpec("FaultCode", description="0 none, 21 door lock, 31 safety circuit", default=INT),
        PointSpec("FireRecall", PointKind.BOOL, description="Fire recall active", default=False),
        PointSpec("Trips", description="Runs since commissioning", default=INT),
        PointSpec("MotorPower", unit="kW", description="Traction motor power"),
    ),
    vendor="Penworks Lifts",
)

LIFT_GROUP = DeviceType(
    "TX-GC group controller",
    "opcua",
    (
        PointSpec(
            "CallFloor",
            description="Write a level to place a hall call there",
            writable=True,
            min=LOWEST_LEVEL,
            max=TOP_LEVEL,
            default=INT,
        ),
        PointSpec(
            "DestinationCall",
            PointKind.TEXT,
            description="Write 'from>to' (levels, e.g. 0>3) to call a lift for a passenger",
            writable=True,
            default="",
        ),
        PointSpec(
            "FireRecallCommand",
            PointKind.BOOL,
            description="Recall every car to level 0 (the fire alarm also does)",
            writable=True,
            default=False,
        ),
        PointSpec("FireRecallActive", PointKind.BOOL, description="Recall active", default=False),
        PointSpec("PendingCalls", description="Calls waiting for a car", default=INT),
        PointSpec("CarsInService", description="Cars serving calls", default=len(LIFTS)),
        PointSpec("AverageWaitTime", unit="s", description="Over the last 20 calls served"),
        PointSpec("LongestWaitTime", unit="s", description="Of the calls waiting now"),
        PointSpec("CallsServed", description="Calls served since start", default=INT),
    ),
    vendor="Penworks Lifts",
)


@dataclass(slots=True)
class LiftStats:
    """What the group has done: for the platform's points and for tests."""

    calls: int = 0
    served: int = 0
    cancelled: int = 0
    done: deque[tuple[Call, float]] = field(default_factory=lambda: deque(maxlen=KEEP_DONE))

    def waits_s(self, last: int | None = None) -> list[float]:
        """How long the calls served waited for their car (the last ones, or all kept)."""
        done = list(self.done) if last is None else list(islice(reversed(self.done), last))
        return [(c.boarded_s if c.boarded_s is not None else t) - c.at_s for c, t in done]


def object_name(lift: str) -> str:
    """The OPC UA object of a lift: lift1 -> Lift1."""
    return lift.capitalize()


class Elevators:
    name = "elevators"

    def __init__(self, seed: int) -> None:
        self.seed = seed  # nothing random: demand comes from the people's moves
        self.cars = [Car(lift) for lift in LIFTS]
        self._car_devices = [
            SimDevice(
                name=lift,
                label=f"Lift {lift[-1]}",
                type=LIFT_CAR,
                address=object_name(lift),
                gateway=SERVER,
                location="f1/lobby",
            )
            for lift in LIFTS
        ]
        self.group = SimDevice(
            name="lift_group",
            label="Lift group controller",
            type=LIFT_GROUP,
            address=GROUP_OBJECT,
            gateway=SERVER,
            location="roof/roof",
            on_write=self._command,
        )
        self.queue: list[Call] = []  # calls no car can take yet
        self.stats = LiftStats()
        self._now_s = 0.0
        self._recall = False

    def devices(self) -> list[SimDevice]:
        return [*self._car_devices, self.group]

    def scenario_targets(self) -> dict[ScenarioKind, list[str]]:
        return {ScenarioKind.ELEVATOR_FAULT: list(LIFTS)}

    def pending(self) -> list[Call]:
        """Calls not yet picked up (queued or assigned to a car)."""
        return [*self.queue, *(c for car in self.cars for c in car.pickups)]

    # -- stepping -------------------------------------------------------------------------

    def step(self, world: World) -> None:
        self._now_s = world.now.timestamp()
        self._follow_recall(bool(world.shared.get("fire.alarm", False)))
        for car in self.cars:
            self._follow_fault(car, world)
        for move in world.moves:
            if move.lift:
                self._call_from(move)
        self._assign()
        kw = 0.0
        for car in self.cars:
            car.advance(world.dt, self._now_s, self._served)
            kw += car.energy_kj / world.dt if world.dt > 0 else STANDBY_KW
        world.power.draw(kw, "lifts", "roof")
        world.shared["elevators.fire_recall"] = self._recall
        self._publish()

    def _follow_recall(self, alarm: bool) -> None:
        recall = alarm or bool(self.group.get("FireRecallCommand"))
        if recall == self._recall:
            return
        self._recall = recall
        if recall:  # people take the stairs: every waiting call is cancelled
            for car in self.cars:
                self.stats.cancelled += len(car.pickups)
                car.pickups.clear()
            self.stats.cancelled += len(self.queue)
            self.queue.clear()
        for car in self.cars:
            car.recall = recall

    def _follow_fault(self, car: Car, world: World) -> None:
        faulted = world.scenarios.at(ScenarioKind.ELEVATOR_FAULT, car.name) is not None
        if faulted and car.fault_code == 0:
            moving = car.phase is Phase.MOVING and not car.at_landing
            car.fault_code = FAULT_SAFETY_CIRCUIT if moving else FAULT_DOOR_LOCK
            car.phase = Phase.STOPPED
            self.queue.extend(car.pickups)  # the other cars take them
            car.pickups.clear()
        elif not faulted and car.fault_code:
            car.fault_code = 0
            car.phase = Phase.IDLE

    def _call_from(self, move: Move) -> None:
        origin, dest = level_of(move.origin), level_of(move.to)
        if origin is None or dest is None:
            return
        origin, dest = landing(origin), landing(dest)
        if origin == dest:
            return
        if self._recall:
            self.stats.cancelled += 1
            return
        self.stats.calls += 1
        self.queue.append(Call(origin, dest, self._now_s, move.person))

    def _assign(self) -> None:
        """Each waiting call to the car that reaches it soonest."""
        waiting, self.queue = self.queue, []
        for call in waiting:
            best: tuple[float, Car] | None = None
            for car in self.cars:
                cost = self._cost(car, call)
                if cost is not None and (best is None or cost < best[0]):
                    best = (cost, car)
            if best is None:
                self.queue.append(call)
            else:
                best[1].pickups.append(call)

    @staticmethod
    def _cost(car: Car, call: Call) -> float | None:
        if not car.in_service or len(car.riders) + len(car.pickups) >= CAPACITY:
            return None
        gap = height(call.origin) - car.position_m
        cost = abs(gap) / SPEED_M_S + STOP_PENALTY_S * len(car.stops())
        if car.phase is Phase.MOVING and gap * car.direction < 0:
            cost += REVERSAL_PENALTY_S
        return cost

    def _served(self, call: Call, now_s: float) -> None:
        self.stats.served += 1
        self.stats.done.append((call, now_s))

    # -- points ---------------------------------------------------------------------------

    def _publish(self) -> None:
        for car, device in zip(self.cars, self._car_devices, strict=True):
            moving = car.phase is Phase.MOVING
            device.set("Position", round(car.position_m, 2))
            device.set("Speed", SPEED_M_S if moving else 0.0)
            device.set("CurrentFloor", car.level)
            device.set("NextStop", car.target if moving and car.target is not None else car.level)
            device.set("Direction", car.direction if moving else 0)
            device.set("DoorState", car.door_state)
            device.set("Load", car.load_kg)
            device.set("Passengers", len(car.riders))
            device.set("Moving", moving)
            device.set("InService", car.in_service)
            mode = "fault" if car.fault_code else ("fire_recall" if car.recall else "normal")
            device.set("Mode", mode)
            device.set("FaultCode", car.fault_code)
            device.set("FireRecall", car.recall)
            device.set("Trips", car.trips)
            device.set("MotorPower", round(car.motor_kw, 2))
        waits = self.stats.waits_s(AVERAGE_OVER)
        pending = self.pending()
        group = self.group
        group.set("FireRecallActive", self._recall)
        group.set("PendingCalls", len(pending))
        group.set("CarsInService", sum(car.in_service for car in self.cars))
        group.set("AverageWaitTime", round(sum(waits) / len(waits), 1) if waits else 0.0)
        oldest = max((self._now_s - c.at_s for c in pending), default=0.0)
        group.set("LongestWaitTime", round(oldest, 1))
        group.set("CallsServed", self.stats.served)

    # -- the platform's writes ------------------------------------------------------------

    def _command(self, key: str, value: Value | None) -> None:
        if key == "FireRecallCommand" or value is None:
            return  # followed at the next step; a relinquish leaves the last call
        if self._recall:
            raise Refused(Refusal.DEVICE_FAULT, "fire recall: the lifts take no calls")
        if key == "CallFloor":
            self._platform_call(_level(value), None)
            return
        found = _DESTINATION.match(str(value))
        if found is None:
            raise Refused(Refusal.OUT_OF_RANGE, f"DestinationCall takes 'from>to', not {value!r}")
        origin, dest = _level(int(found[1])), _level(int(found[2]))
        if origin == dest:
            raise Refused(Refusal.OUT_OF_RANGE, "a destination call goes to another level")
        self._platform_call(origin, dest)

    def _platform_call(self, origin: int, dest: int | None) -> None:
        self.stats.calls += 1
        self.queue.append(Call(origin, dest, self._now_s, "platform"))


def _level(value: Value) -> int:
    """A level a lift serves, or Refused."""
    if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value):
        raise Refused(Refusal.OUT_OF_RANGE, f"{value!r} is not a level")
    if int(value) not in LIFT_LEVELS:
        raise Refused(Refusal.OUT_OF_RANGE, f"no landing at level {int(value)}")
    return int(value)
