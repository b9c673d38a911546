"""The people of Building 15: tenant staff, visitors, a guard and cleaners, person by person.

Every day each person gets a plan drawn from the seed and the date: when they come (by
car through the car park, or on foot through an entrance), their desk, the meetings they
attend (the meeting rooms' bookings), lunch, and when they leave. The plan is a sorted list
of moves; `People.advance(until)` takes the moves that are due, so presence per place,
the moves themselves (doors, lifts, entrances, cars) and the counts are what every system
of the twin reads: CO2 and heat follow presence, doors and lifts follow moves.

Places are 'floor/space' strings ('f3/r301'); OUTSIDE is off the premises.
"""

from __future__ import annotations

import bisect
import random
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from penworks.sim.layout import (
    DOORS,
    FLOOR_LEVELS,
    MEETING_ROOMS,
    SMALL_ROOMS,
    TENANT_FLOORS,
    ZONES,
    DoorUse,
    ZoneUse,
)
from penworks.sim.rights import AccessRights

OUTSIDE = "out"
CARPARK = "b1/carpark"
LOBBY = "f1/lobby"
HALL = "f1/hall"
SECURITY = "f1/sec"
DRIVES_SHARE = 0.18  # staff who come by car (the car park has 40 bays)
FACE_ENROLLED_SHARE = 0.6  # staff who consented to face access (all keep a card)
ABSENT_SHARE = 0.12  # leave, travel, sick
LUNCH_OUT_SHARE = 0.6
NO_SHOW_SHARE = 0.08  # bookings nobody turns up to
MEETING_SLOTS_H = (9.5, 11.0, 14.0, 15.5, 17.0)
BOOKING_SHARE = 0.55


def place(floor: str, space: str) -> str:
    return f"{floor}/{space}"


def floor_of(where: str) -> str:
    return where.split("/", 1)[0]


def level_of(where: str) -> int | None:
    """The level of a place (None: outside)."""
    return None if where == OUTSIDE else FLOOR_LEVELS[floor_of(where)]


@dataclass(frozen=True, slots=True)
class Person:
    id: str  # p0001
    role: str  # staff, visitor, guard, cleaner
    tenant: str | None
    desk: str  # home place
    card: str  # badge number
    tag: str  # BLE/UWB tag id
    plate: str | None = None  # car plate, for those who drive
    face: bool = False  # enrolled (with consent) for face access


@dataclass(frozen=True, slots=True)
class Booking:
    """A meeting room booking, as the room panel and the booking system show it."""

    room: str  # place of the room
    start: datetime  # local, aware
    end: datetime
    organizer: str  # person id
    attendees: tuple[str, ...]
    title: str
    no_show: bool = False


@dataclass(frozen=True, slots=True, order=True)
class Move:
    """A person going from one place to another at a local instant."""

    at: datetime
    person: str
    to: str
    origin: str = field(compare=False)
    door: str | None = field(default=None, compare=False)  # access-controlled door used
    entrance: str | None = field(default=None, compare=False)  # building entrance crossed
    by_car: bool = field(default=False, compare=False)  # arriving or leaving by car

    @property
    def lift(self) -> bool:
        """Whether the move takes a lift (a change of level inside the building)."""
        a, b = level_of(self.origin), level_of(self.to)
        return a is not None and b is not None and a != b


@dataclass(slots=True)
class _Plan:
    day: date
    moves: list[Move]
    bookings: list[Booking]
    next: int = 0


class People:
    """Deterministic for a seed: the same day always brings the same people and moves."""

    def __init__(self, seed: int, tz: ZoneInfo) -> None:
        self._seed = seed
        self._tz = tz
        self.persons = _staff(seed)
        self.by_id = {p.id: p for p in self.persons}
        self.rights = AccessRights(self.persons, seed)
        self.where: dict[str, str] = {p.id: OUTSIDE for p in self.persons}
        self.count: Counter[str] = Counter({OUTSIDE: len(self.persons)})
        self._plan: _Plan | None = None
        self._visitors = 0
        self.now: datetime | None = None

    # -- what systems read ------------------------------------------------------------------

    def in_place(self, where: str) -> int:
        return self.count.get(where, 0)

    def on_floor(self, floor: str) -> int:
        return sum(n for p, n in self.count.items() if p != OUTSIDE and floor_of(p) == floor)

    def inside(self) -> int:
        return sum(n for p, n in self.count.items() if p != OUTSIDE)

    def bookings(self, day: date) -> list[Booking]:
        return self._plan_for(day).bookings

    @staticmethod
    def meeting_rooms() -> list[str]:
        return [place(floor, space) for floor, space in MEETING_ROOMS]

    def no_show(self, room: str, after: datetime) -> Booking | None:
        """Nobody comes to the next booking of a room that starts after `after`.

        Its attendees stay where they were; the booking stays on the panel, marked as a
        no-show in the ground truth. None when the room has no such booking today.
        """
        local = after.astimezone(self._tz)
        plan = self._plan_for(local.date())
        upcoming = [
            b for b in plan.bookings if b.room == room and b.start > local and not b.no_show
        ]
        if not upcoming:
            return None
        booking = upcoming[0]
        index = plan.bookings.index(booking)
        plan.bookings[index] = replace(booking, no_show=True)
        pending = plan.moves[plan.next :]
        kept = [
            m
            for m in pending
            if not (
                m.person in booking.attendees
                and booking.start - timedelta(hours=0.5) <= m.at <= booking.end
                and room in (m.to, m.origin)
            )
        ]
        plan.moves[plan.next :] = kept
        return plan.bookings[index]

    # -- stepping ---------------------------------------------------------------------------

    def advance(self, until: datetime) -> list[Move]:
        """Apply every move due up to `until` (aware); the moves, oldest first."""
        local = until.astimezone(self._tz)
        if self.now is None:
            self._settle(local)  # the first call: no moves until now
            day = local.date()
        else:
            day = self.now.date()
        done: list[Move] = []
        while True:
            plan = self._plan_for(day)
            while plan.next < len(plan.moves) and plan.moves[plan.next].at <= local:
                move = plan.moves[plan.next]
                plan.next += 1
                self._apply(move)
                done.append(move)
            if day >= local.date():
                break
            day += timedelta(days=1)
        self.now = local
        return done

    def _settle(self, local: datetime) -> None:
        """Place everyone where the day's plan has them at the start, without moves."""
        plan = self._plan_for(local.date())
        plan.next = bisect.bisect_right(plan.moves, local, key=lambda m: m.at)
        for move in plan.moves[: plan.next]:
            self._apply(move)
        self.now = local

    def _apply(self, move: Move) -> None:
        if move.person not in self.where:  # a visitor's first move of the day
            self.where[move.person] = OUTSIDE
            self.count[OUTSIDE] += 1
        before = self.where[move.person]
        self.count[before] -= 1
        self.count[move.to] += 1
        self.where[move.person] = move.to

    def _plan_for(self, day: date) -> _Plan:
        if self._plan is None or self._plan.day != day:
            if self._plan is not None:
                self._forget_visitors()
            self._plan = _Day(self, day).build()
        return self._plan

    def _forget_visitors(self) -> None:
        for pid in [p for p in self.where if p.startswith("v")]:
            self.count[self.where.pop(pid)] -= 1
            self.by_id.pop(pid, None)

    def new_visitor(self, room: str) -> Person:
        """A visitor of the day, expected in a meeting room (they get a QR code, no card)."""
        self._visitors += 1
        vid = f"v{self._visitors:05d}"
        visitor = Person(vid, "visitor", None, room, card="", tag=f"vtag{vid[1:]}")
        self.by_id[vid] = visitor
        return visitor


# -- who works here ---------------------------------------------------------------------------


def _staff(seed: int) -> list[Person]:
    rng = random.Random(f"{seed}:people")
    persons: list[Person] = []

    def add(role: str, tenant: str | None, desk: str) -> None:
        n = len(persons) + 1
        drives = role == "staff" and rng.random() < DRIVES_SHARE
        persons.append(
            Person(
                id=f"p{n:04d}",
                role=role,
                tenant=tenant,
                desk=desk,
                card=f"{0x3A0000 + n * 37:06X}",
                tag=f"tag{n:04d}",
                plate=f"沪A{rng.randint(10000, 99999)}" if drives else None,
                face=role == "staff" and rng.random() < FACE_ENROLLED_SHARE,
            )
        )

    for zone in ZONES:
        if zone.use is ZoneUse.OFFICE:
            for _ in range(zone.seats):
                add("staff", _TENANT_OF[zone.floor], place(zone.floor, zone.space))
    for room in SMALL_ROOMS:
        if room.use == "focus":
            for _ in range(room.seats // 2):  # half the seats are someone's desk
                add("staff", _TENANT_OF[room.floor], place(room.floor, room.space))
    for _ in range(2):
        add("guard", None, SECURITY)
    for _ in range(3):
        add("cleaner", None, LOBBY)
    return persons


# -- a day --------------------------------------------------------------------------------------

_TENANT_OF = {floor: tenant for tenant, floor in TENANT_FLOORS.items()}
_TENANT_DOOR = {d.floor: d.id for d in DOORS if d.use is DoorUse.TENANT}
_RESTRICTED_DOOR = {place(d.floor, d.into): d for d in DOORS if d.use is DoorUse.RESTRICTED}


class _Day:
    """Builds one day's moves and bookings."""

    def __init__(self, people: People, day: date) -> None:
        self.people = people
        self.day = day
        self.tz = people._tz
        self.rng = random.Random(f"{people._seed}:{day.isoformat()}")
        self.working = day.weekday() < 5
        self.moves: list[Move] = []
        self.busy: dict[str, list[tuple[float, float, str]]] = {}  # person -> (start, end, room)

    def at(self, hour: float) -> datetime:
        hour = max(0.0, min(23.999, hour))
        return datetime.combine(self.day, time(), self.tz) + timedelta(hours=hour)

    def move(
        self,
        hour: float,
        person: str,
        origin: str,
        to: str,
        *,
        door: str | None = None,
        entrance: str | None = None,
        by_car: bool = False,
    ) -> None:
        self.moves.append(Move(self.at(hour), person, to, origin, door, entrance, by_car))

    def build(self) -> _Plan:
        staff = [p for p in self.people.persons if p.role == "staff"]
        present = [p for p in staff if self._comes(p)]
        bookings = self._bookings(present)
        for person in present:
            self._staff_day(person)
        for person in self.people.persons:
            if person.role == "guard":
                self._guard_day(person)
            elif person.role == "cleaner":
                self._cleaner_day(person)
        self.moves.sort()
        return _Plan(self.day, self.moves, bookings)

    def _comes(self, person: Person) -> bool:
        if self.working:
            return self.rng.random() >= ABSENT_SHARE
        return self.rng.random() < 0.03  # weekend overtime

    def _bookings(self, present: list[Person]) -> list[Booking]:
        if not self.working:
            return []
        bookings: list[Booking] = []
        for floor, space in MEETING_ROOMS:
            room = place(floor, space)
            colleagues = [p for p in present if p.tenant == _TENANT_OF[floor]]
            seats = next(z.seats for z in ZONES if z.space == space)
            for slot in MEETING_SLOTS_H:
                if not colleagues or self.rng.random() >= BOOKING_SHARE:
                    continue
                length = self.rng.choice((0.5, 1.0, 1.0, 1.5))
                size = min(len(colleagues), self.rng.randint(2, seats))
                attendees = self.rng.sample(colleagues, size)
                free = [a for a in attendees if self._free(a.id, slot, slot + length)]
                no_show = self.rng.random() < NO_SHOW_SHARE
                visitors = self._visitors(room, slot, length) if self.rng.random() < 0.3 else []
                booking = Booking(
                    room=room,
                    start=self.at(slot),
                    end=self.at(slot + length),
                    organizer=attendees[0].id,
                    attendees=tuple(a.id for a in free) + tuple(visitors),
                    title=self.rng.choice(_TITLES),
                    no_show=no_show,
                )
                bookings.append(booking)
                if not no_show:
                    for a in free:
                        self.busy.setdefault(a.id, []).append((slot, slot + length, room))
        return bookings

    def _free(self, person: str, start: float, end: float) -> bool:
        return all(e <= start or s >= end for s, e, _ in self.busy.get(person, []))

    def _visitors(self, room: str, start: float, length: float) -> list[str]:
        ids = []
        for _ in range(self.rng.randint(1, 3)):
            vid = self.people.new_visitor(room).id
            ids.append(vid)
            arrive = start - self.rng.uniform(0.1, 0.3)
            self.move(arrive, vid, OUTSIDE, LOBBY, entrance="main", door="main")
            self.move(start - 0.02, vid, LOBBY, room)
            self.move(start + length, vid, room, LOBBY)
            self.move(start + length + 0.05, vid, LOBBY, OUTSIDE, entrance="main")
        return ids

    def _staff_day(self, person: Person) -> None:
        rng = self.rng
        if self.working:
            arrive, leave = rng.gauss(8.9, 0.5), rng.gauss(18.1, 0.7)
        else:
            arrive, leave = rng.uniform(9.5, 11.0), rng.uniform(14.0, 17.0)
        lunch = rng.gauss(12.1, 0.25)
        back = lunch + rng.uniform(0.5, 1.0)
        out_for_lunch = self.working and rng.random() < LUNCH_OUT_SHARE
        errand = self.working and rng.random() < 0.3  # a facility or IT contact's errand
        route = self._arrival_route(person)
        hour = self._arrive(person, arrive, route)
        leave = max(leave, hour + 1)
        away: list[tuple[float, float, str]] = []  # time away from the desk, in order
        if out_for_lunch and hour + 0.1 < lunch and back + 0.1 < leave:
            away.append((lunch, back, OUTSIDE))
        for start, end, room in sorted(self.busy.get(person.id, [])):
            if hour + 0.05 < start - 0.03 and end + 0.05 < leave and _clear(away, start, end):
                away.append((start, end, room))
        if errand:
            self._errand(person, hour, leave, away)
        self._itinerary(person, sorted(away))
        self._depart(person, leave, route)

    def _itinerary(self, person: Person, away: list[tuple[float, float, str]]) -> None:
        """Moves from the desk to each place in turn and back; straight on when back to back."""
        here = person.desk
        for i, (start, end, where) in enumerate(away):
            if where == OUTSIDE:  # lunch out: through the lobby and the main entrance
                self._walk(start, person.id, here, LOBBY)
                self.move(start + 0.03, person.id, LOBBY, OUTSIDE, entrance="main")
                self.move(end, person.id, OUTSIDE, LOBBY, entrance="main", door="main")
                self._walk(end + 0.03, person.id, LOBBY, person.desk)
                here = person.desk
                continue
            if here != where:
                door = _RESTRICTED_DOOR.get(where)
                if door is not None:
                    self.move(start - 0.03, person.id, here, where, door=door.id)
                else:
                    self._walk(start - 0.03, person.id, here, where)
            here = where
            following = away[i + 1] if i + 1 < len(away) else None
            if following is None or following[2] == OUTSIDE or following[0] - 0.03 > end + 0.02:
                self._walk(end, person.id, where, person.desk)
                here = person.desk

    def _arrival_route(self, person: Person) -> str:
        if person.plate is not None:
            return "car"
        return "side" if self.rng.random() < 0.2 else "main"

    def _arrive(self, person: Person, hour: float, route: str) -> float:
        if route == "car":
            self.move(
                hour - 0.05, person.id, OUTSIDE, CARPARK, entrance="carpark_gate", by_car=True
            )
            self.move(hour, person.id, CARPARK, LOBBY, door="carpark", entrance="carpark")
        else:
            self.move(hour, person.id, OUTSIDE, LOBBY, door=route, entrance=route)
        self._walk(hour + 0.03, person.id, LOBBY, person.desk)
        return hour + 0.03

    def _depart(self, person: Person, hour: float, route: str) -> None:
        self._walk(hour, person.id, person.desk, LOBBY)
        if route == "car":
            self.move(hour + 0.03, person.id, LOBBY, CARPARK, entrance="carpark")
            self.move(
                hour + 0.06, person.id, CARPARK, OUTSIDE, entrance="carpark_gate", by_car=True
            )
        else:
            self.move(hour + 0.03, person.id, LOBBY, OUTSIDE, entrance=route)

    def _walk(self, hour: float, person: str, origin: str, to: str) -> None:
        """A move inside the building; the tenant's floor door badges people in."""
        door = None
        if floor_of(to) != floor_of(origin) and floor_of(to) in _TENANT_DOOR:
            door = _TENANT_DOOR[floor_of(to)]
        self.move(hour, person, origin, to, door=door)

    def _errand(
        self, person: Person, arrived: float, leave: float, away: list[tuple[float, float, str]]
    ) -> None:
        """A visit to a restricted room at a free time; only people with the rights go."""
        rooms = [
            room
            for room, door in sorted(_RESTRICTED_DOOR.items())
            if self.people.rights.refusal(person, door) is None
        ]
        if not rooms:
            return
        room = self.rng.choice(rooms)
        for _ in range(8):
            hour = self.rng.uniform(10, 16)
            if (
                arrived + 0.1 < hour - 0.03
                and hour + 0.3 < leave
                and _clear(away, hour, hour + 0.2)
            ):
                away.append((hour, hour + 0.2, room))
                return

    def _guard_day(self, person: Person) -> None:
        # Two guards share the day in the security room; the night one walks the car park.
        guards = [p.id for p in self.people.persons if p.role == "guard"]
        night = person.id == guards[0]
        start, end = (0.0, 12.0) if night else (12.0, 23.999)
        self.move(start, person.id, OUTSIDE, SECURITY, door="side", entrance="side")
        if night:
            self.move(2.0, person.id, SECURITY, CARPARK)
            self.move(2.3, person.id, CARPARK, SECURITY)
        self.move(end, person.id, SECURITY, OUTSIDE, entrance="side")

    def _cleaner_day(self, person: Person) -> None:
        if not self.working:
            return
        floors = ["f2", "f3", "f4"]
        start = 19.5 + self.rng.uniform(0, 0.3)
        self.move(start, person.id, OUTSIDE, LOBBY, door="side", entrance="side")
        here = LOBBY
        for i, floor in enumerate(self.rng.sample(floors, 3)):
            room = place(floor, self.rng.choice([z.space for z in ZONES if z.floor == floor]))
            self._walk(start + 0.1 + i * 0.7, person.id, here, room)
            here = room
        self._walk(start + 2.3, person.id, here, LOBBY)
        self.move(start + 2.4, person.id, LOBBY, OUTSIDE, entrance="side")


def _clear(away: list[tuple[float, float, str]], start: float, end: float) -> bool:
    """Whether start..end keeps a margin from every time already away from the desk."""
    return all(end + 0.1 <= s or start - 0.1 >= e for s, e, _ in away)


_TITLES = (
    "Sprint planning",
    "Design review",
    "Customer call",
    "Weekly sync",
    "Interview",
    "Board prep",
    "Demo",
)
