"""What the spaces systems share: the rooms they serve, how their devices are named and placed.

Lighting, blinds, air-quality sensors and locators sit in the same rooms: the HVAC zones of
layout.ZONES and the fan-coil rooms of layout.SMALL_ROOMS. A `Room` gathers what these
systems need of one (its place, area, windows, tenant); `mqtt_device` names their devices
the same way everywhere: topic 'b15/<floor>/<space>/<device>', name '<device>_<floor>_<space>'.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from penworks.sim.devices import DeviceType, SimDevice, WriteHandler
from penworks.sim.layout import FLOOR_TENANTS, SMALL_ROOMS, ZONES, ZoneSpec, ZoneUse

SMALL_ROOM_HEIGHT_M = 3.0
_ZONE_USES = frozenset(u.value for u in ZoneUse)
# Focus rooms and the security office sit on the facade; the server room has no window.
SMALL_ROOM_WINDOW_SHARE = {"focus": 0.25, "security": 0.2, "server": 0.0}


@dataclass(frozen=True, slots=True)
class Room:
    floor: str
    space: str
    use: str  # office, meeting, lobby, hall (zones); focus, security, server (small rooms)
    area_m2: float
    window_m2: float
    seats: int
    height_m: float

    @property
    def place(self) -> str:
        return f"{self.floor}/{self.space}"

    @property
    def tenant(self) -> str | None:
        return FLOOR_TENANTS.get(self.floor)

    @property
    def volume_m3(self) -> float:
        return self.area_m2 * self.height_m

    def zone_spec(self) -> ZoneSpec:
        """The room as physics.Zone describes one (for the lighting logic it shares)."""
        use = ZoneUse(self.use) if self.use in _ZONE_USES else ZoneUse.OFFICE
        return ZoneSpec(
            self.floor, self.space, use, self.area_m2, self.window_m2, self.seats, self.height_m
        )


def _rooms() -> tuple[Room, ...]:
    zones = [
        Room(z.floor, z.space, z.use.value, z.area_m2, z.window_m2, z.seats, z.height_m)
        for z in ZONES
    ]
    small = [
        Room(
            r.floor,
            r.space,
            r.use,
            r.area_m2,
            r.area_m2 * SMALL_ROOM_WINDOW_SHARE.get(r.use, 0.2),
            r.seats,
            SMALL_ROOM_HEIGHT_M,
        )
        for r in SMALL_ROOMS
    ]
    return (*zones, *small)


ROOMS: tuple[Room, ...] = _rooms()
"""Every HVAC zone and fan-coil room: where lights, IAQ sensors and locators are."""

ZONE_PLACES: tuple[str, ...] = tuple(f"{z.floor}/{z.space}" for z in ZONES)


def mqtt_device(
    room: Room | tuple[str, str],
    device: str,
    label: str,
    product: DeviceType,
    on_write: WriteHandler | None = None,
) -> SimDevice:
    """An MQTT device in a room: topic b15/<floor>/<space>/<device>."""
    floor, space = (room.floor, room.space) if isinstance(room, Room) else room
    return SimDevice(
        name=f"{device}_{floor}_{space}",
        label=label,
        type=product,
        address=f"b15/{floor}/{space}/{device}",
        location=f"{floor}/{space}",
        on_write=on_write,
    )


def hhmm(when: datetime) -> str:
    """A local instant as a room panel shows it: 14:30."""
    return f"{when.hour:02d}:{when.minute:02d}"


def working_hours(local: datetime, start_h: float, end_h: float) -> bool:
    """Whether a local instant is between two hours of a working day (Monday to Friday)."""
    hour = local.hour + local.minute / 60 + local.second / 3600
    return local.weekday() < 5 and start_h <= hour < end_h
