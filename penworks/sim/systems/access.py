"""Access control: a controller on every door of Building 15 and its card, QR and face readers.

People badge at the doors their moves go through (penworks.sim.rights decides who may pass and
with which credential), leave through them on a request-to-exit, and now and then are
refused (an expired card, the wrong floor, an unknown card; drawn per day from the seed).
The main entrance is free access in opening hours (unlocked; people still show their
credential at its turnstile readers, so every passage is logged); egress doors (entrances
and tenant floors) unlock while the fire panel is in alarm; the platform may lock or unlock
any door, which holds until it writes null. Alarms: held open (a door propped open), forced
open (an intruder at a restricted door), tailgating (scenario: two people through on one
badge).

Shared readings: 'access.<door>.granted' (count), 'access.<door>.open', 'access.<door>.locked'.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from penworks.core import Value
from penworks.sim.devices import Refusal, Refused, SimDevice
from penworks.sim.layout import DOORS, DoorSpec, DoorUse
from penworks.sim.people import Move, Person, floor_of, place
from penworks.sim.rights import AccessRights, credential, describe
from penworks.sim.scenarios import Injection, ScenarioKind
from penworks.sim.systems.security_products import DOOR_CONTROLLER, READERS
from penworks.sim.world import World

NORMAL, FREE, EMERGENCY = "normal", "free-access", "emergency-unlocked"
LOCKED_OVERRIDE, UNLOCKED_OVERRIDE = "locked-override", "unlocked-override"
FREE_ACCESS = {"main": (8.0, 19.0)}  # door -> opening hours on working days
EGRESS = (DoorUse.ENTRANCE, DoorUse.TENANT)  # on the escape routes: unlock on fire
PASS_OPEN_S, EXIT_OPEN_S, TAILGATE_OPEN_S, FORCED_OPEN_S = 6.0, 4.0, 18.0, 20.0
HELD_OPEN_AFTER_S = 60.0
MEAN_PROPPED_INTERVAL_S = 86400.0  # in working hours: a door propped open every few days
PROPPED_S = (180.0, 480.0)
PROPPED_HOURS = (8.0, 18.0)
MEAN_READER_FAULT_INTERVAL_S = 10 * 86400.0  # a face terminal drops off its bus
READER_FAULT_H = (0.5, 4.0)
DENIALS_PER_DAY = {True: (2, 5), False: (0, 1)}  # working day or not
DENIAL_REASONS = ("expired card", "wrong floor", "unknown card")
CONTROLLER_KW, READER_KW, LOCK_KW = 0.012, 0.005, 0.006


@dataclass(slots=True)
class Door:
    spec: DoorSpec
    controller: SimDevice
    readers: dict[str, SimDevice]
    mode: str = NORMAL
    override: bool | None = None  # the platform's lock command, None: the schedule
    open_s: float = 0.0  # open time within this step
    propped_s: float = 0.0  # left to stand propped open
    propped_for_s: float = 0.0
    granted: int = 0
    denied: int = 0
    tailgates: int = 0
    last_event: str = ""
    forced_by: Injection | None = None  # the intruder who forced it, while it lasts
    passed: list[Person] = field(default_factory=list)  # granted this step

    @property
    def emergency(self) -> bool:
        return self.mode == EMERGENCY


@dataclass(frozen=True, slots=True)
class Denial:
    at: datetime  # local
    door: str
    text: str


class Access:
    name = "access"

    def __init__(self, seed: int) -> None:
        self._seed = seed
        self._rng = random.Random(f"{seed}:access")
        self.doors = {spec.id: self._door(spec) for spec in DOORS}
        self._exits = _ExitDoors()
        self._rights: AccessRights | None = None
        self._day: date | None = None
        self._denials: list[Denial] = []
        self._reader_faults: dict[str, datetime] = {}
        self._handled: set[Injection] = set()

    def _door(self, spec: DoorSpec) -> Door:
        topic = f"b15/{spec.floor}/door_{spec.id}"
        where = f"{spec.floor}/{spec.into}"
        controller = SimDevice(
            f"door_{spec.id}", f"Door {spec.id} controller", DOOR_CONTROLLER, topic, location=where
        )
        readers = {
            kind: SimDevice(
                f"door_{spec.id}_{kind}_reader",
                f"Door {spec.id} {kind} reader",
                READERS[kind],
                f"{topic}/{kind}_reader",
                location=where,
            )
            for kind in spec.readers
        }
        door = Door(spec, controller, readers)
        controller.on_write = lambda key, value: self._command(door, key, value)
        return door

    def devices(self) -> list[SimDevice]:
        out: list[SimDevice] = []
        for door in self.doors.values():
            out += [door.controller, *door.readers.values()]
        return out

    def scenario_targets(self) -> dict[ScenarioKind, list[str]]:
        return {ScenarioKind.TAILGATING: [spec.id for spec in DOORS]}

    @property
    def rights(self) -> AccessRights | None:
        return self._rights

    def _command(self, door: Door, key: str, value: Value | None) -> None:
        if key == "locked" and value is True and door.emergency:
            raise Refused(
                Refusal.READ_ONLY,
                f"door {door.spec.id} is held unlocked by the fire alarm (an egress door)",
            )
        door.override = None if value is None else bool(value)

    # -- a step ---------------------------------------------------------------------------

    def step(self, world: World) -> None:
        if self._rights is None:
            self._rights = AccessRights(world.people.persons, self._seed)
        self._plan_day(world)
        self._faults(world)
        fire = world.shared.get("fire.alarm") is True
        for door in self.doors.values():
            door.mode = _mode(door, fire, world)
            door.open_s = 0.0
            door.passed.clear()
        for move in world.moves:
            self._move(move, world)
        self._refusals(world)
        self._tailgating(world)
        self._intruders(world)
        self._propped(world)
        self._handled &= set(world.scenarios.all_active())
        self._show(world)

    def _move(self, move: Move, world: World) -> None:
        badged = move.door if move.door in self.doors else None
        if badged is not None:
            person = world.people.by_id.get(move.person)
            if person is not None:
                self._badge(self.doors[badged], person)
        for door_id in self._exits(move):
            if door_id != badged:
                self.doors[door_id].open_s += EXIT_OPEN_S  # request-to-exit: no credential

    def _badge(self, door: Door, person: Person) -> None:
        assert self._rights is not None
        face_ok = f"{door.controller.name}_face_reader" not in self._reader_faults
        how = credential(person, door.spec, face_ok)
        reader = door.readers.get(how)
        if reader is not None:
            reader.set("reads", int(reader.get("reads")) + 1)
            reader.set("last_read", person.card if how == "card" else person.id)
        refusal = self._rights.refusal(person, door.spec)
        if refusal is None:
            door.granted += 1
            door.open_s += PASS_OPEN_S
            door.last_event = f"granted {describe(person, how)}"
            door.passed.append(person)
        else:
            door.denied += 1
            door.last_event = f"denied {describe(person, how)} {refusal}"

    # -- events of the day ----------------------------------------------------------------

    def _plan_day(self, world: World) -> None:
        day = world.local.date()
        if day == self._day:
            return
        self._day = day
        rng = random.Random(f"{self._seed}:denials:{day.isoformat()}")
        low, high = DENIALS_PER_DAY[world.working_day]
        staff = [p for p in world.people.persons if p.role == "staff"]
        midnight = datetime.combine(day, time(), world.local.tzinfo)
        denials = []
        for _ in range(rng.randint(low, high)):
            at = midnight + timedelta(hours=rng.uniform(7.5, 20.0))
            person = rng.choice(staff)
            reason = rng.choice(DENIAL_REASONS)
            if reason == "wrong floor":
                doors = [d for d in DOORS if d.use is DoorUse.TENANT]
                door = rng.choice([d for d in doors if d.id != floor_of(person.desk)])
                text = f"denied {describe(person, 'card')} wrong floor"
            else:
                door = rng.choice([d for d in DOORS if d.use is DoorUse.ENTRANCE])
                card = person.card if reason == "expired card" else f"{rng.randrange(16**6):06X}"
                who = f" {person.id}" if reason == "expired card" else ""
                text = f"denied card {card}{who} {reason}"
            denials.append(Denial(at, door.id, text))
        self._denials = sorted(denials, key=lambda d: d.at)

    def _refusals(self, world: World) -> None:
        since = world.local - timedelta(seconds=world.dt)
        for denial in self._denials:
            if since < denial.at <= world.local:
                door = self.doors[denial.door]
                door.denied += 1
                door.last_event = denial.text
                reader = door.readers["card"]
                reader.set("reads", int(reader.get("reads")) + 1)
                reader.set("last_read", denial.text.split()[2])

    def _faults(self, world: World) -> None:
        for name in [n for n, until in self._reader_faults.items() if until <= world.now]:
            del self._reader_faults[name]
        if world.dt > 0 and self._rng.random() < world.dt / MEAN_READER_FAULT_INTERVAL_S:
            faces = sorted(
                d.readers["face"].name for d in self.doors.values() if "face" in d.readers
            )
            hours = self._rng.uniform(*READER_FAULT_H)
            self._reader_faults[self._rng.choice(faces)] = world.now + timedelta(hours=hours)

    def _intruders(self, world: World) -> None:
        """An intruder forces the locked door of the restricted area, unless he slipped in
        behind someone who badged; the alarm lasts while the intrusion does."""
        active = world.scenarios.active(ScenarioKind.INTRUDER)
        for door in self.doors.values():
            if door.forced_by is not None and door.forced_by not in active:
                door.forced_by = None
        for intruder in active:
            forced_id = self._exits.rooms.get(intruder.target)
            if forced_id is None or intruder in self._handled:
                continue
            forced = self.doors[forced_id]
            self._handled.add(intruder)
            forced.open_s += FORCED_OPEN_S
            if forced.mode in (NORMAL, LOCKED_OVERRIDE) and not forced.passed:
                forced.forced_by = intruder
                forced.last_event = "forced open"

    def _tailgating(self, world: World) -> None:
        assert self._rights is not None
        for tailgate in world.scenarios.active(ScenarioKind.TAILGATING):
            door = self.doors.get(tailgate.target)
            if door is None or tailgate in self._handled:
                continue
            self._handled.add(tailgate)
            if not door.passed:  # the badge that lets the pair in
                holders = self._rights.holders(world.people.persons, door.spec)
                self._badge(door, self._rng.choice(holders))
            person = door.passed[-1]
            how = credential(person, door.spec)
            door.tailgates += 1
            door.open_s += TAILGATE_OPEN_S
            door.last_event = f"tailgate after {describe(person, how)}"

    def _propped(self, world: World) -> None:
        """Someone props a door open (a delivery, a move) in working hours, now and then."""
        draw = self._rng.random() if world.dt > 0 else 1.0
        busy = world.working_day and PROPPED_HOURS[0] <= world.hour < PROPPED_HOURS[1]
        if busy and draw < world.dt / MEAN_PROPPED_INTERVAL_S:
            propped = self.doors[self._rng.choice(sorted(self.doors))]
            propped.propped_s = self._rng.uniform(*PROPPED_S)
            propped.propped_for_s = 0.0
        for door in self.doors.values():
            if door.propped_s > 0:
                door.open_s = world.dt
                door.propped_for_s += world.dt
                door.propped_s -= world.dt
            elif door.propped_for_s > 0:
                door.propped_for_s = 0.0

    # -- what the devices show ------------------------------------------------------------

    def _show(self, world: World) -> None:
        kw: dict[str, float] = {}
        tailgating = {i.target for i in world.scenarios.active(ScenarioKind.TAILGATING)}
        for door in self.doors.values():
            c, spec = door.controller, door.spec
            locked = door.mode in (NORMAL, LOCKED_OVERRIDE)
            c.set("open", door.open_s > 0)
            c.set("locked", locked)
            c.set("mode", door.mode)
            c.set("held_open", door.propped_for_s >= HELD_OPEN_AFTER_S and not door.emergency)
            c.set("forced_open", door.forced_by is not None)
            c.set("tailgate", spec.id in tailgating)
            c.set("last_event", door.last_event)
            c.set("granted", door.granted)
            c.set("denied", door.denied)
            c.set("tailgates", door.tailgates)
            for reader in door.readers.values():
                online = reader.name not in self._reader_faults
                reader.set("online", online)
                reader.set("status", "ok" if online else "offline")
            granted_key, open_key, locked_key = _SHARED[spec.id]
            world.shared[granted_key] = door.granted
            world.shared[open_key] = door.open_s > 0
            world.shared[locked_key] = locked
            load = CONTROLLER_KW + READER_KW * len(door.readers) + (LOCK_KW if locked else 0.0)
            kw[spec.floor] = kw.get(spec.floor, 0.0) + load
        for floor, load in kw.items():
            world.power.draw(load, "security", floor)


def _mode(door: Door, fire: bool, world: World) -> str:
    if fire and door.spec.use in EGRESS:
        return EMERGENCY
    if door.override is not None:
        return LOCKED_OVERRIDE if door.override else UNLOCKED_OVERRIDE
    hours = FREE_ACCESS.get(door.spec.id)
    if hours is not None and world.working_day and hours[0] <= world.hour < hours[1]:
        return FREE
    return NORMAL


# The shared readings of every door: 'access.<door>.granted', '.open', '.locked'.
_SHARED = {
    d.id: (f"access.{d.id}.granted", f"access.{d.id}.open", f"access.{d.id}.locked") for d in DOORS
}


class _ExitDoors:
    """Which doors a move leaves through on a request-to-exit (no credential needed)."""

    def __init__(self) -> None:
        self.entrances = {d.id for d in DOORS if d.use is DoorUse.ENTRANCE}
        self.floors = {d.floor: d.id for d in DOORS if d.use is DoorUse.TENANT}
        # the door into each restricted room, by the room's place
        self.rooms = {place(d.floor, d.into): d.id for d in DOORS if d.use is DoorUse.RESTRICTED}

    def __call__(self, move: Move) -> list[str]:
        out = []
        if move.entrance in self.entrances:
            out.append(move.entrance)
        origin_floor = floor_of(move.origin)
        if origin_floor in self.floors and floor_of(move.to) != origin_floor:
            out.append(self.floors[origin_floor])
        if move.origin in self.rooms and move.to != move.origin:
            out.append(self.rooms[move.origin])
        return out
