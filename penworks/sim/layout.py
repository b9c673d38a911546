"""Building 15 as the twin knows it: floors, spaces, zones, doors and places, as data.

The twin is the building, not the platform: it keeps its own description and does not read
the platform's site model (the site model describes this building, the way a real BMS
integrator's model would).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ZoneUse(StrEnum):
    OFFICE = "office"
    MEETING = "meeting"
    LOBBY = "lobby"
    HALL = "hall"


@dataclass(frozen=True, slots=True)
class ZoneSpec:
    floor: str
    space: str
    use: ZoneUse
    area_m2: float
    window_m2: float
    seats: int  # how many people it is furnished for
    height_m: float = 3.0

    @property
    def volume_m3(self) -> float:
        return self.area_m2 * self.height_m


def _office(floor: str, space: str, area: float, seats: int) -> ZoneSpec:
    return ZoneSpec(floor, space, ZoneUse.OFFICE, area, window_m2=area * 0.25, seats=seats)


def _meeting(floor: str, space: str, area: float, seats: int) -> ZoneSpec:
    return ZoneSpec(floor, space, ZoneUse.MEETING, area, window_m2=area * 0.2, seats=seats)


ZONES: tuple[ZoneSpec, ...] = (
    ZoneSpec("f1", "lobby", ZoneUse.LOBBY, 240.0, window_m2=80.0, seats=20, height_m=6.0),
    ZoneSpec("f1", "hall", ZoneUse.HALL, 600.0, window_m2=60.0, seats=80, height_m=6.0),
    _office("f2", "r201", 240.0, 24),
    _office("f2", "r202", 240.0, 24),
    _office("f2", "r203", 240.0, 20),
    _meeting("f2", "m201", 80.0, 12),
    _office("f3", "r301", 240.0, 24),
    _office("f3", "r302", 240.0, 24),
    _office("f3", "r303", 240.0, 20),
    _meeting("f3", "m301", 80.0, 12),
    _office("f4", "r401", 360.0, 36),
    _office("f4", "r402", 360.0, 36),
    _meeting("f4", "m401", 120.0, 16),
)

# Floors from the basement to the roof, with their level (0 ground).
FLOOR_LEVELS: dict[str, int] = {"b1": -1, "f1": 0, "f2": 1, "f3": 2, "f4": 3, "roof": 4}
OFFICE_FLOORS: tuple[str, ...] = ("f2", "f3", "f4")

# Tenants and the floor each occupies.
TENANT_FLOORS: dict[str, str] = {"inkwell": "f2", "nib": "f3", "quill": "f4"}
FLOOR_TENANTS: dict[str, str] = {floor: tenant for tenant, floor in TENANT_FLOORS.items()}


@dataclass(frozen=True, slots=True)
class SmallRoom:
    """A room served by a fan-coil unit rather than a VAV box."""

    floor: str
    space: str
    area_m2: float
    seats: int
    use: str  # focus, security, server


SMALL_ROOMS: tuple[SmallRoom, ...] = (
    SmallRoom("f1", "sec", 40.0, 2, "security"),
    SmallRoom("f1", "srv", 40.0, 0, "server"),
    SmallRoom("f2", "s201", 40.0, 4, "focus"),
    SmallRoom("f2", "s202", 40.0, 4, "focus"),
    SmallRoom("f3", "s301", 40.0, 4, "focus"),
    SmallRoom("f3", "s302", 40.0, 4, "focus"),
    SmallRoom("f4", "s401", 30.0, 3, "focus"),
    SmallRoom("f4", "s402", 30.0, 3, "focus"),
)


class DoorUse(StrEnum):
    ENTRANCE = "entrance"  # to the building from outside
    TENANT = "tenant"  # into a tenant's floor
    RESTRICTED = "restricted"  # plant, electrical, server, roof: staff with rights only


@dataclass(frozen=True, slots=True)
class DoorSpec:
    """An access-controlled door: where it is, what it leads into, which readers it has."""

    id: str
    floor: str
    into: str  # the space it opens into (or 'building' for entrances)
    use: DoorUse
    readers: tuple[str, ...]  # card, qr, face


DOORS: tuple[DoorSpec, ...] = (
    DoorSpec("main", "f1", "lobby", DoorUse.ENTRANCE, ("card", "qr", "face")),
    DoorSpec("side", "f1", "lobby", DoorUse.ENTRANCE, ("card",)),
    DoorSpec("carpark", "b1", "carpark", DoorUse.ENTRANCE, ("card", "face")),
    DoorSpec("f2", "f2", "r201", DoorUse.TENANT, ("card", "face")),
    DoorSpec("f3", "f3", "r301", DoorUse.TENANT, ("card", "face")),
    DoorSpec("f4", "f4", "r401", DoorUse.TENANT, ("card", "face")),
    DoorSpec("plant", "b1", "plant", DoorUse.RESTRICTED, ("card",)),
    DoorSpec("elec", "b1", "elec", DoorUse.RESTRICTED, ("card",)),
    DoorSpec("srv", "f1", "srv", DoorUse.RESTRICTED, ("card", "face")),
    DoorSpec("roof", "roof", "roof", DoorUse.RESTRICTED, ("card",)),
)

# Restricted areas watched by the intrusion system when armed (nights and weekends).
RESTRICTED_AREAS: tuple[tuple[str, str], ...] = (
    ("b1", "plant"),
    ("b1", "elec"),
    ("f1", "srv"),
    ("roof", "roof"),
)

# Where cameras look: (id, floor, space).
CAMERAS: tuple[tuple[str, str, str], ...] = (
    ("entrance", "f1", "lobby"),
    ("lobby", "f1", "lobby"),
    ("hall", "f1", "hall"),
    ("carpark_gate", "b1", "carpark"),
    ("carpark", "b1", "carpark"),
    ("f2", "f2", "r201"),
    ("f3", "f3", "r301"),
    ("f4", "f4", "r401"),
    ("plant", "b1", "plant"),
    ("roof", "roof", "roof"),
)

ENTRANCES: tuple[str, ...] = ("main", "side", "carpark")  # people counters stand at these
LIFTS: tuple[str, ...] = ("lift1", "lift2", "lift3")
LIFT_LEVELS: tuple[int, ...] = (-1, 0, 1, 2, 3)  # b1 to f4; the roof by the stairs
PARKING_BAYS = 40
EV_CHARGERS = 6  # on bays 1..6
MEETING_ROOMS: tuple[tuple[str, str], ...] = (("f2", "m201"), ("f3", "m301"), ("f4", "m401"))
