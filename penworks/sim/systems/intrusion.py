"""Intrusion detection: the restricted areas of Building 15 (plant, electrical, server rooms, roof).

Each area has a PIR motion detector, a door contact (the access controller's), a glass-break
detector where there is glass (the plant room's lightwell windows, the roof door's vision
panel), and arms itself at night (22:00-6:00) and at weekends once nobody has been inside for
a few minutes; it disarms at 6:00 on working days. A granted badge at the area's door
disarms it (access-controlled arming: 'access.<door>.granted' counts up), and it re-arms
once the area is empty again. Motion, an open door or breaking glass while armed, without a
granted entry, raise the alarm, which latches until the area is disarmed or nothing has
stirred for a few minutes (the panel's auto-reset). The platform may arm or disarm an area;
that holds until it writes null or the schedule next changes.

Shared readings: '<place>.armed', '<place>.intrusion' (the alarm) per area.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from penworks.core import Value
from penworks.sim.devices import Refusal, Refused, SimDevice
from penworks.sim.layout import DOORS, RESTRICTED_AREAS, DoorUse
from penworks.sim.people import place
from penworks.sim.scenarios import ScenarioKind
from penworks.sim.systems.security_products import INTRUSION_AREA, INTRUSION_AREA_GLASS
from penworks.sim.world import World

GLASS = frozenset({"b1/plant", "roof/roof"})
NIGHT = (22.0, 6.0)
REARM_AFTER_S = 300.0  # empty this long before the schedule arms the area
ALARM_RESET_S = 300.0
INTRUDER_SEEN = 0.85  # chance per step that the PIR catches the intruder moving
PANEL_KW = 0.045


@dataclass(slots=True)
class Area:
    place: str
    door: str  # the access-controlled door into it
    device: SimDevice
    armed: bool = False
    override: bool | None = None  # the platform's arm command, None: the schedule
    alarm: bool = False
    entry_hold: bool = False  # disarmed by a granted entry, until empty again
    empty_s: float = 0.0
    calm_s: float = 0.0  # how long no detector has triggered while in alarm
    grants: float = 0.0
    scheduled: bool | None = None  # the schedule last step
    motion: bool = False
    door_open: bool = False
    # the shared readings it reads (the access system's) and writes, named once
    granted_key: str = field(init=False)
    open_key: str = field(init=False)
    armed_key: str = field(init=False)
    alarm_key: str = field(init=False)

    def __post_init__(self) -> None:
        self.granted_key = f"access.{self.door}.granted"
        self.open_key = f"access.{self.door}.open"
        self.armed_key = f"{self.place}.armed"
        self.alarm_key = f"{self.place}.intrusion"


class Intrusion:
    name = "intrusion"

    def __init__(self, seed: int) -> None:
        self._seed = seed
        self.areas = [self._area(floor, space) for floor, space in RESTRICTED_AREAS]

    def _area(self, floor: str, space: str) -> Area:
        where = place(floor, space)
        door = next(d.id for d in DOORS if d.use is DoorUse.RESTRICTED and d.into == space)
        product = INTRUSION_AREA_GLASS if where in GLASS else INTRUSION_AREA
        device = SimDevice(
            f"intrusion_{space}",
            f"Intrusion area {where}",
            product,
            f"b15/{floor}/{space}/intrusion",
            location=where,
        )
        area = Area(where, door, device)
        device.on_write = lambda key, value: self._command(area, key, value)
        return area

    def devices(self) -> list[SimDevice]:
        return [a.device for a in self.areas]

    def scenario_targets(self) -> dict[ScenarioKind, list[str]]:
        return {ScenarioKind.INTRUDER: [a.place for a in self.areas]}

    def _command(self, area: Area, key: str, value: Value | None) -> None:
        if key != "armed":
            return
        if value is True and (area.motion or area.door_open):
            why = "motion" if area.motion else "the door is open"
            raise Refused(Refusal.DEVICE_FAULT, f"{area.place} is not ready to arm: {why}")
        area.override = None if value is None else bool(value)
        if value is not None:
            self._set_armed(area, bool(value), "by the platform")
        if value is True:
            area.entry_hold = False

    def step(self, world: World) -> None:
        scheduled = not world.working_day or world.hour >= NIGHT[0] or world.hour < NIGHT[1]
        for area in self.areas:
            self._step_area(area, scheduled, world)
        world.power.draw(PANEL_KW, "security", "f1")

    def _step_area(self, area: Area, scheduled: bool, world: World) -> None:
        inside = world.people.in_place(area.place)
        intruder = world.scenarios.at(ScenarioKind.INTRUDER, area.place) is not None
        entry = self._entered(area, world)
        area.door_open = world.shared.get(area.open_key) is True
        area.motion = inside > 0 or (intruder and world.rng.random() < INTRUDER_SEEN)
        quiet = not (area.motion or area.door_open)
        area.empty_s = area.empty_s + world.dt if inside == 0 and quiet else 0.0
        self._arming(area, scheduled, entry, inside)
        self._alarm(area, entry, quiet, world.dt)
        self._show(area, world)

    @staticmethod
    def _entered(area: Area, world: World) -> bool:
        """Whether the access system granted someone entry at the area's door this step."""
        grants = world.shared.get(area.granted_key)
        if isinstance(grants, bool) or not isinstance(grants, int | float):
            return False
        entered = grants > area.grants
        area.grants = float(grants)
        return entered

    def _arming(self, area: Area, scheduled: bool, entry: bool, inside: int) -> None:
        if area.scheduled is None:  # the start: as the schedule left it
            area.armed = scheduled and inside == 0
        elif scheduled != area.scheduled:
            area.override = None  # a schedule change ends a manual arm or disarm
        area.scheduled = scheduled
        if entry and area.armed:
            area.override = None
            area.entry_hold = True
            self._set_armed(area, False, f"by access at door {area.door}")
        if area.entry_hold and area.empty_s >= REARM_AFTER_S:
            area.entry_hold = False
        if area.override is not None:
            return
        if not scheduled:
            self._set_armed(area, False, "by schedule")
        elif not area.entry_hold and area.empty_s >= REARM_AFTER_S:
            self._set_armed(area, True, "by schedule")

    def _alarm(self, area: Area, entry: bool, quiet: bool, dt: float) -> None:
        if area.armed and not entry and not quiet:
            if not area.alarm:
                cause = "motion" if area.motion else "door open"
                area.device.set("last_event", f"alarm: {cause}")
            area.alarm = True
            area.calm_s = 0.0
        elif area.alarm:
            area.calm_s += dt
            if area.calm_s >= ALARM_RESET_S:
                area.alarm = False
                area.device.set("last_event", "alarm reset")

    def _set_armed(self, area: Area, armed: bool, why: str) -> None:
        if armed == area.armed:
            return
        area.armed = armed
        if not armed:
            area.alarm = False
        area.device.set("last_event", f"{'armed' if armed else 'disarmed'} {why}")

    def _show(self, area: Area, world: World) -> None:
        d = area.device
        d.set("armed", area.armed)
        d.set("state", "alarm" if area.alarm else "armed" if area.armed else "disarmed")
        d.set("ready", not (area.motion or area.door_open))
        d.set("motion", area.motion)
        d.set("door", area.door_open)
        d.set("alarm", area.alarm)
        world.shared[area.armed_key] = area.armed
        world.shared[area.alarm_key] = area.alarm
