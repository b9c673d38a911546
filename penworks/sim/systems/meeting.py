"""Meeting rooms: a booking panel, a presence sensor and a display in each.

The panel (MQTT 'b15/<floor>/<space>/panel') shows the booking due now (running, or
starting within CHECK_IN_EARLY_S when no other is running) or else the next one, from
world.people.bookings. A booking is checked in when somebody is in the room while it is
due; one that nobody checked in RELEASE_AFTER_S after its start is released, and the panel
says so until its end: that is how a no-show (MEETING_NO_SHOW, which the building injects
into the people's plans) shows. The platform may check in (checked_in true) or end the
meeting early (false).

The presence sensor ('.../presence') counts the people in the room. The display
('.../display') comes on at check-in and goes to standby when the room has been empty for
DISPLAY_OFF_AFTER_S; the platform may switch it and choose its input. The displays and
panels draw on the tenant's plug circuit.
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from penworks.core import PointKind, Value
from penworks.sim.devices import DeviceType, PointSpec, Refusal, Refused, SimDevice
from penworks.sim.layout import FLOOR_TENANTS, MEETING_ROOMS
from penworks.sim.people import Booking, People
from penworks.sim.scenarios import ScenarioKind
from penworks.sim.systems.spaces_common import hhmm, mqtt_device
from penworks.sim.world import World

CHECK_IN_EARLY_S = 600.0
RELEASE_AFTER_S = 900.0
DISPLAY_OFF_AFTER_S = 600.0
INPUTS = ("hdmi1", "hdmi2", "wireless")
DISPLAY_ON_W = 165.0
DISPLAY_STANDBY_W = 0.5
PANEL_W = 4.0
PRESENCE_W = 1.0

ROOM_PANEL = DeviceType(
    "RP-10 room booking panel",
    "mqtt",
    (
        PointSpec(
            "status", PointKind.TEXT, description="free, booked, in_use, released", default="free"
        ),
        PointSpec("title", PointKind.TEXT, description="Booking shown (due or next)", default=""),
        PointSpec("organizer", PointKind.TEXT, description="Organizer's tenant", default=""),
        PointSpec("start", PointKind.TEXT, description="Start of the booking, HH:MM", default=""),
        PointSpec("end", PointKind.TEXT, description="End of the booking, HH:MM", default=""),
        PointSpec("attendees", description="People invited", default=0),
        PointSpec(
            "next", PointKind.TEXT, description="The booking after: HH:MM-HH:MM title", default=""
        ),
        PointSpec("booked", PointKind.BOOL, description="A booking is due now", default=False),
        PointSpec(
            "checked_in",
            PointKind.BOOL,
            description="Checked in; write true to check in, false to end the meeting",
            writable=True,
            default=False,
        ),
        PointSpec(
            "free_until",
            PointKind.TEXT,
            description="While free: HH:MM of the next booking (24:00: free all day)",
            default="24:00",
        ),
    ),
    vendor="Roomly",
)

PRESENCE_SENSOR = DeviceType(
    "PS-3 presence and people counting sensor",
    "mqtt",
    (
        PointSpec("present", PointKind.BOOL, description="Somebody in the room", default=False),
        PointSpec("count", description="People in the room", default=0),
    ),
    vendor="Roomly",
)

ROOM_DISPLAY = DeviceType(
    "MD-75 meeting room display",
    "mqtt",
    (
        PointSpec(
            "power",
            PointKind.BOOL,
            description="On (true) or standby",
            writable=True,
            default=False,
        ),
        PointSpec(
            "input",
            PointKind.TEXT,
            description="hdmi1, hdmi2 or wireless",
            writable=True,
            default="hdmi1",
        ),
        PointSpec(
            "in_use", PointKind.BOOL, description="On with people in the room", default=False
        ),
        PointSpec("power_w", unit="W", description="Power drawn", default=DISPLAY_STANDBY_W),
    ),
    vendor="Roomly",
)


@dataclass(slots=True)
class _Room:
    floor: str
    place: str
    panel: SimDevice
    presence: SimDevice
    display: SimDevice
    day: date | None = None
    checked: set[datetime] = field(default_factory=set)  # starts of bookings checked in
    released: set[datetime] = field(default_factory=set)
    due: Booking | None = None
    vacant_s: float = 0.0


class Meeting:
    name = "meeting"

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self._rooms = [self._room(floor, space) for floor, space in MEETING_ROOMS]

    def _room(self, floor: str, space: str) -> _Room:
        where, place = (floor, space), f"{floor}/{space}"
        room = _Room(
            floor,
            place,
            mqtt_device(where, "panel", f"Booking panel {place}", ROOM_PANEL),
            mqtt_device(where, "presence", f"Presence sensor {place}", PRESENCE_SENSOR),
            mqtt_device(where, "display", f"Display {place}", ROOM_DISPLAY),
        )
        room.panel.on_write = lambda key, value: _check_in(room, value)
        room.display.on_write = lambda key, value: _display_command(room, key, value)
        return room

    def devices(self) -> list[SimDevice]:
        return [d for r in self._rooms for d in (r.panel, r.presence, r.display)]

    def scenario_targets(self) -> dict[ScenarioKind, list[str]]:
        return {}  # MEETING_NO_SHOW is the building's: it changes the people's plans

    def step(self, world: World) -> None:
        by_room: dict[str, list[Booking]] = defaultdict(list)
        for booking in world.people.bookings(world.local.date()):
            by_room[booking.room].append(booking)
        for room in self._rooms:
            bookings = sorted(by_room.get(room.place, []), key=lambda b: b.start)
            self._step_room(room, bookings, world)

    def _step_room(self, room: _Room, bookings: list[Booking], world: World) -> None:
        now = world.local
        if room.day != now.date():
            room.day = now.date()
            room.checked.clear()
            room.released.clear()
        count = world.people.in_place(room.place)
        room.vacant_s = 0.0 if count else room.vacant_s + world.dt
        room.due = _due(bookings, now, room.released)
        due = room.due
        if due is not None and due.start not in room.released:
            if count and due.start not in room.checked:
                room.checked.add(due.start)
                self._display_on(room, due)
            elif due.start not in room.checked and now >= due.start + _s(RELEASE_AFTER_S):
                room.released.add(due.start)
        self._publish_panel(room, bookings, now, world.people)
        room.presence.set("present", count > 0)
        room.presence.set("count", count)
        self._step_display(room, count, world)

    def _display_on(self, room: _Room, booking: Booking) -> None:
        """At check-in the display wakes on the input the organizer's laptop uses."""
        rng = random.Random(f"{self.seed}:{room.place}:{booking.start.isoformat()}")
        room.display.set("power", True)
        room.display.set("input", rng.choice(INPUTS))

    def _step_display(self, room: _Room, count: int, world: World) -> None:
        display = room.display
        if display.get("power") and room.vacant_s >= DISPLAY_OFF_AFTER_S:
            display.set("power", False)
        on = bool(display.get("power"))
        display.set("in_use", on and count > 0)
        watts = DISPLAY_ON_W if on else DISPLAY_STANDBY_W
        display.set("power_w", watts)
        kw = (watts + PANEL_W + PRESENCE_W) / 1000
        world.power.draw(kw, "plug", room.floor, FLOOR_TENANTS.get(room.floor))

    @staticmethod
    def _publish_panel(room: _Room, bookings: list[Booking], now: datetime, people: People) -> None:
        due = room.due
        upcoming = [b for b in bookings if b.start > now and b.start not in room.released]
        shown = due if due is not None else (upcoming[0] if upcoming else None)
        if due is None:
            status = "free"
        elif due.start in room.released:
            status = "released"
        else:
            status = "in_use" if due.start in room.checked else "booked"
        panel = room.panel
        panel.set("status", status)
        panel.set("booked", status in ("booked", "in_use"))
        panel.set("checked_in", status == "in_use")
        panel.set("title", shown.title if shown else "")
        organizer = people.by_id.get(shown.organizer) if shown else None
        panel.set("organizer", (organizer.tenant or "") if organizer else "")
        panel.set("start", hhmm(shown.start) if shown else "")
        panel.set("end", hhmm(shown.end) if shown else "")
        panel.set("attendees", len(shown.attendees) if shown else 0)
        later = [b for b in upcoming if shown is None or b.start >= shown.end]
        panel.set("next", _summary(later[0]) if later else "")
        free = status in ("free", "released")
        after = [b for b in upcoming if b is not due]
        panel.set("free_until", (hhmm(after[0].start) if after else "24:00") if free else "")


def _due(bookings: list[Booking], now: datetime, released: set[datetime]) -> Booking | None:
    """The booking running now, else one starting soon (released ones stay shown as such)."""
    running = [b for b in bookings if b.start <= now < b.end]
    if running:
        live = [b for b in running if b.start not in released]
        return live[0] if live else running[0]
    soon = [b for b in bookings if now < b.start <= now + _s(CHECK_IN_EARLY_S)]
    return soon[0] if soon else None


def _summary(booking: Booking) -> str:
    return f"{hhmm(booking.start)}-{hhmm(booking.end)} {booking.title}"


def _check_in(room: _Room, value: Value | None) -> None:
    due = room.due
    if due is None or due.start in room.released:
        raise Refused(Refusal.OUT_OF_RANGE, f"{room.place} has no booking due to check in")
    if value is None:
        return
    if value:
        room.checked.add(due.start)
    else:
        room.released.add(due.start)  # the meeting ended early: the room is free again


def _display_command(room: _Room, key: str, value: Value | None) -> None:
    if key == "input" and value is not None and value not in INPUTS:
        raise Refused(Refusal.OUT_OF_RANGE, f"input takes {', '.join(INPUTS)}, not {value!r}")
    if key == "power" and value:
        room.vacant_s = 0.0  # someone switched it on: it stays on a while


def _s(seconds: float) -> timedelta:
    return timedelta(seconds=seconds)
