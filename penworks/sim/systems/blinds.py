"""Blinds: motorised venetian blinds in the perimeter offices, meeting rooms and the hall.

Each actuator (MQTT 'b15/<floor>/<space>/blinds') has a sun sensor on the south facade and
follows this policy while in automatic:
- occupied (somebody in the room; the hall in its opening hours): lowered with the slats at
  45 degrees when the facade irradiance is above SUN_ON_W_M2 (raised again below
  SUN_OFF_W_M2), else raised: glare protection that keeps a view and some daylight;
- unoccupied in the heating season (daily mean below 15 degC): raised by day for solar
  gain, lowered and closed at night to insulate the glazing;
- unoccupied in the cooling season: lowered and closed in strong sun to keep the heat out,
  else raised.
Position is 0 % raised (open) to 100 % lowered; the motor runs the full travel in 50 s.
A written position or tilt switches automatic off for MANUAL_HOLD_S; writing auto true
returns to automatic at once, auto false holds manual until auto is written back.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from penworks.core import PointKind, Value
from penworks.sim.devices import DeviceType, PointSpec, SimDevice
from penworks.sim.layout import ZoneUse
from penworks.sim.scenarios import ScenarioKind
from penworks.sim.systems.spaces_common import ROOMS, Room, mqtt_device, working_hours
from penworks.sim.weather import WeatherSample
from penworks.sim.world import World

SUN_ON_W_M2 = 200.0
SUN_OFF_W_M2 = 120.0
HEATING_BELOW_DAILY_MEAN_C = 15.0  # as the HVAC's changeover
DAYLIGHT_W_M2 = 20.0
TRAVEL_PCT_S = 2.0  # full travel in 50 s
MANUAL_HOLD_S = 2 * 3600.0
GLARE_TILT_DEG = 45.0
CLOSED_TILT_DEG = 90.0
MOTOR_KW = 0.25  # all motors of a room's facade together
HALL_OPEN_H = (9.0, 18.0)
SHADED_USES = (ZoneUse.OFFICE, ZoneUse.MEETING, ZoneUse.HALL)

BLIND_ACTUATOR = DeviceType(
    "SB-24 blind actuator",
    "mqtt",
    (
        PointSpec(
            "position",
            unit="%",
            description="0 raised (open) to 100 lowered; a write switches automatic off",
            writable=True,
            min=0.0,
            max=100.0,
        ),
        PointSpec(
            "tilt",
            unit="deg",
            description="Slat angle: 0 horizontal (open) to 90 closed",
            writable=True,
            min=0.0,
            max=90.0,
        ),
        PointSpec(
            "auto", PointKind.BOOL, description="Automatic control", writable=True, default=True
        ),
        PointSpec(
            "sun_protection", PointKind.BOOL, description="Lowered against the sun", default=False
        ),
        PointSpec("irradiance", unit="W/m2", description="Irradiance on the south facade"),
    ),
    vendor="Lumo Controls",
)


@dataclass(slots=True)
class _Blind:
    room: Room
    device: SimDevice
    position: float = 0.0
    tilt: float = 0.0
    target: float = 0.0
    target_tilt: float = 0.0
    manual_left_s: float = 0.0  # > 0: a manual command holds
    sun: bool = False  # the sun sensor's state, with hysteresis
    protecting: bool = False


def facade_irradiance(weather: WeatherSample, local: datetime) -> float:
    """Irradiance on the south facade: a larger share of the sun's in winter, when it is low."""
    season = math.cos(2 * math.pi * (local.timetuple().tm_yday - 172) / 365)  # 1 in June
    return weather.solar_w_m2 * (0.5 - 0.2 * season)


class Blinds:
    name = "blinds"

    def __init__(self, seed: int) -> None:
        self.seed = seed  # nothing random: the policy is deterministic
        self._blinds = [self._blind(room) for room in ROOMS if room.use in SHADED_USES]
        self._keys = {b.room.place: f"{b.room.place}.blinds_pct" for b in self._blinds}

    def _blind(self, room: Room) -> _Blind:
        device = mqtt_device(room, "blinds", f"Blinds {room.place}", BLIND_ACTUATOR)
        blind = _Blind(room, device)
        device.on_write = lambda key, value: _command(blind, key, value)
        return blind

    def devices(self) -> list[SimDevice]:
        return [b.device for b in self._blinds]

    def scenario_targets(self) -> dict[ScenarioKind, list[str]]:
        return {}

    def step(self, world: World) -> None:
        irradiance = facade_irradiance(world.weather, world.local)
        heating = world.weather.daily_mean_c < HEATING_BELOW_DAILY_MEAN_C
        hall_open = working_hours(world.local, *HALL_OPEN_H)
        loads: dict[tuple[str, str | None], float] = defaultdict(float)
        for b in self._blinds:
            b.sun = irradiance > (SUN_OFF_W_M2 if b.sun else SUN_ON_W_M2)
            occupied = world.people.in_place(b.room.place) > 0 or (
                b.room.use == ZoneUse.HALL and hall_open
            )
            if b.manual_left_s > 0:
                b.manual_left_s -= world.dt
                b.protecting = False
            else:
                _automatic(b, occupied, heating, world.weather.solar_w_m2)
            moved = _travel(b, world.dt)
            if moved > 0 and world.dt > 0:
                share = moved / TRAVEL_PCT_S / world.dt
                loads[(b.room.floor, b.room.tenant)] += MOTOR_KW * share
            self._publish(b, irradiance, world)
        for (floor, tenant), kw in loads.items():
            world.power.draw(kw, "plug", floor, tenant)

    def _publish(self, b: _Blind, irradiance: float, world: World) -> None:
        position = round(b.position, 1)
        b.device.set("position", position)
        b.device.set("tilt", round(b.tilt))
        b.device.set("auto", b.manual_left_s <= 0)
        b.device.set("sun_protection", b.protecting)
        b.device.set("irradiance", round(irradiance))
        world.shared[self._keys[b.room.place]] = position


def _automatic(b: _Blind, occupied: bool, heating: bool, solar: float) -> None:
    if occupied:
        b.protecting = b.sun
        b.target, b.target_tilt = (100.0, GLARE_TILT_DEG) if b.sun else (0.0, 0.0)
    elif heating:
        b.protecting = False
        daylight = solar > DAYLIGHT_W_M2
        b.target, b.target_tilt = (0.0, 0.0) if daylight else (100.0, CLOSED_TILT_DEG)
    else:
        b.protecting = b.sun
        b.target, b.target_tilt = (100.0, CLOSED_TILT_DEG) if b.sun else (0.0, 0.0)


def _travel(b: _Blind, dt: float) -> float:
    """Run the motor towards the target; the travel done (%)."""
    step = min(abs(b.target - b.position), TRAVEL_PCT_S * dt)
    b.position += math.copysign(step, b.target - b.position)
    b.tilt = b.target_tilt  # the slats turn within a second or two
    return step


def _command(b: _Blind, key: str, value: Value | None) -> None:
    if key == "auto":
        b.manual_left_s = 0.0 if value is None or value else math.inf
        return
    if value is None:  # relinquishing a position returns to automatic
        b.manual_left_s = 0.0
        return
    b.manual_left_s = max(b.manual_left_s, MANUAL_HOLD_S)  # auto false holds for good
    b.protecting = False
    if key == "position":
        b.target = float(value)
    else:
        b.target_tilt = float(value)
    b.device.set("auto", False)
