"""A traction lift car: travel, doors and passengers, stepped through its phases.

A car is idle, moving to a landing, or cycling its doors (opening, open while people get in
and out, closing). `Car.advance(dt)` runs through as many phases as dt holds, so a 30 s step
can carry a car a few floors, through a door cycle and off again. Stops are the landings of
the passengers aboard and of the calls assigned to the car (collective control: keep going
the way it travels while there are stops ahead). In fire recall the car's only stop is the
recall level, where it opens its doors and keeps them open.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

from penworks.sim.layout import LIFT_LEVELS

SPEED_M_S = 1.6
FLOOR_HEIGHT_M = 4.0
LOWEST_LEVEL = min(LIFT_LEVELS)
TOP_LEVEL = max(LIFT_LEVELS)
RECALL_LEVEL = 0
DOOR_OPENING_S = 2.5
DOOR_CLOSING_S = 3.0
DWELL_S = 4.0
BOARDING_S = 1.2  # per person getting in or out
PERSON_KG = 75.0
CAPACITY = 13  # 1000 kg rated load
BALANCE_KG = 450.0  # the counterweight balances the car and 45 % of the rated load
MOTOR_LOSS_KW = 2.0
DRIVE_EFFICIENCY = 0.8
STANDBY_KW = 0.4  # controller, car lighting and fan
G = 9.81
SHAFT_TOP_M = (TOP_LEVEL - LOWEST_LEVEL) * FLOOR_HEIGHT_M
_EPS = 1e-6


def height(level: int) -> float:
    """Height of a landing above the lowest one (b1)."""
    return (level - LOWEST_LEVEL) * FLOOR_HEIGHT_M


def landing(level: int) -> int:
    """The landing the lifts serve nearest a level (the roof is by the stairs from f4)."""
    return min(TOP_LEVEL, max(LOWEST_LEVEL, level))


class Phase(StrEnum):
    IDLE = "idle"
    MOVING = "moving"
    OPENING = "opening"
    OPEN = "open"
    CLOSING = "closing"
    STOPPED = "stopped"  # in fault, wherever it stopped


@dataclass(slots=True)
class Call:
    """Someone (or the platform) wanting to go from a landing to another."""

    origin: int
    dest: int | None  # None: a hall call from the platform, served when the doors open
    at_s: float  # when the call was made (epoch seconds of the twin's clock)
    who: str = ""
    boarded_s: float | None = None


Served = Callable[[Call, float], None]
"""Told each call that is done (the passenger got out, or the doors opened for a hall call)."""


@dataclass(slots=True)
class Car:
    name: str
    position_m: float = height(0)
    phase: Phase = Phase.IDLE
    phase_left_s: float = 0.0
    direction: int = 0  # of travel: -1 down, 1 up, 0 none
    target: int | None = None
    riders: list[Call] = field(default_factory=list)
    pickups: list[Call] = field(default_factory=list)
    trips: int = 0
    fault_code: int = 0
    recall: bool = False
    energy_kj: float = 0.0  # drawn during the last advance
    motor_kw: float = 0.0  # at the end of the last advance

    @property
    def level(self) -> int:
        """The nearest landing."""
        return LOWEST_LEVEL + round(self.position_m / FLOOR_HEIGHT_M)

    @property
    def at_landing(self) -> bool:
        return abs(self.position_m - height(self.level)) < _EPS

    @property
    def load_kg(self) -> float:
        return len(self.riders) * PERSON_KG

    @property
    def in_service(self) -> bool:
        return self.fault_code == 0 and not self.recall

    @property
    def door_state(self) -> str:
        if self.phase in (Phase.OPENING, Phase.OPEN, Phase.CLOSING):
            return self.phase.value
        return "closed"

    def stops(self) -> set[int]:
        full = len(self.riders) >= CAPACITY
        stops = {c.dest for c in self.riders if c.dest is not None}
        return stops | {c.origin for c in self.pickups if not full or c.dest is None}

    def advance(self, dt: float, now_s: float, served: Served) -> None:
        """Run the car for dt seconds from now_s."""
        self.energy_kj = STANDBY_KW * dt
        self.motor_kw = 0.0
        if self.phase is Phase.STOPPED:
            return
        self._follow_recall()
        if self.phase is Phase.MOVING:
            self._retarget()
        t = 0.0
        while t < dt - _EPS:
            if self.phase is Phase.MOVING:
                t += self._move(dt - t)
            elif self.phase is Phase.IDLE:
                if not self._depart():
                    break
            else:
                t += self._doors(dt - t, now_s + t, served)

    def _follow_recall(self) -> None:
        """In recall, doors open elsewhere close at once; after it, open doors close."""
        if self.recall and self.phase in (Phase.OPENING, Phase.OPEN):
            if self.level != RECALL_LEVEL:
                self.phase, self.phase_left_s = Phase.CLOSING, DOOR_CLOSING_S
        elif not self.recall and self.phase is Phase.OPEN and math.isinf(self.phase_left_s):
            self.phase_left_s = DWELL_S

    def _next_stop(self) -> int | None:
        if self.recall:
            return RECALL_LEVEL
        stops = self.stops()
        if not stops:
            return None
        pos = self.position_m
        if self.direction:
            ahead = [s for s in stops if (height(s) - pos) * self.direction >= -_EPS]
            if ahead:
                return min(ahead, key=lambda s: abs(height(s) - pos))
        return min(stops, key=lambda s: (abs(height(s) - pos), s))

    def _retarget(self) -> None:
        """A moving car heads for its nearest stop ahead (or the next landing if none)."""
        stop = self._next_stop()
        if stop is None:
            ahead = self.position_m / FLOOR_HEIGHT_M
            step = math.ceil(ahead - _EPS) if self.direction > 0 else math.floor(ahead + _EPS)
            stop = LOWEST_LEVEL + step
        self.target = landing(stop)
        gap = height(self.target) - self.position_m
        if abs(gap) > _EPS:
            self.direction = 1 if gap > 0 else -1

    def _depart(self) -> bool:
        """Leave for the next stop, or open here; False when there is nothing to do."""
        stop = self._next_stop()
        if stop is None:
            if self.at_landing:
                self.direction = 0
                return False
            stop = self.level  # back in service between floors: level to the nearest landing
        if stop == self.level and self.at_landing:
            self.phase, self.phase_left_s = Phase.OPENING, DOOR_OPENING_S
            return True
        self.target = stop
        self.direction = 1 if height(stop) > self.position_m else -1
        self.phase = Phase.MOVING
        self.trips += 1
        return True

    def _move(self, left: float) -> float:
        assert self.target is not None
        goal = height(self.target)
        need = abs(goal - self.position_m) / SPEED_M_S
        kw = self._motor_kw()
        if need <= left:
            self.position_m = goal
            self.energy_kj += kw * need
            self._arrive()
            return need
        self.position_m += self.direction * SPEED_M_S * left
        self.energy_kj += kw * left
        self.motor_kw = kw
        return left

    def _motor_kw(self) -> float:
        """Motoring power; what the car regenerates goes to the braking resistor."""
        unbalance = (self.load_kg - BALANCE_KG) * self.direction
        return MOTOR_LOSS_KW + max(0.0, unbalance * G * SPEED_M_S / 1000 / DRIVE_EFFICIENCY)

    def _arrive(self) -> None:
        wanted = self.level in self.stops() or (self.recall and self.level == RECALL_LEVEL)
        self.phase = Phase.OPENING if wanted else Phase.IDLE
        self.phase_left_s = DOOR_OPENING_S

    def _doors(self, left: float, now_s: float, served: Served) -> float:
        used = min(left, self.phase_left_s)
        self.phase_left_s -= used
        if self.phase_left_s > _EPS:
            return used
        if self.phase is Phase.OPENING:
            people = self._exchange(now_s + used, served)
            self.phase = Phase.OPEN
            self.phase_left_s = math.inf if self.recall else DWELL_S + BOARDING_S * people
        elif self.phase is Phase.OPEN:
            self.phase, self.phase_left_s = Phase.CLOSING, DOOR_CLOSING_S
        else:
            self.phase = Phase.IDLE
        return used

    def _exchange(self, now_s: float, served: Served) -> int:
        """People get out, then in; how many moved."""
        here = self.level
        leaving = [c for c in self.riders if c.dest == here or self.recall]
        for call in leaving:
            self.riders.remove(call)
            served(call, now_s)
        boarding = 0
        for call in [c for c in self.pickups if c.origin == here]:
            if call.dest is not None and len(self.riders) >= CAPACITY:
                continue  # full: the next car, or this one on its way back
            self.pickups.remove(call)
            call.boarded_s = now_s
            if call.dest is None:
                served(call, now_s)
            else:
                self.riders.append(call)
                boarding += 1
        return len(leaving) + boarding
