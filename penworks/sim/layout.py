"""Building 15 as the twin knows it: its zones and meters, described as data.

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
    def topic(self) -> str:
        return f"b15/{self.floor}/{self.space}"

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

METERS: tuple[str, ...] = ("main", "hvac", "lighting", "plug")
AHU_TOPIC = "b15/roof/roof/ahu1"
