"""The readings HVAC systems leave in `world.shared` for each other, and how they read others'.

Written by HvacAir and Fcu per room: '<place>.temp' (degC), '.rh' (%), '.co2' (ppm).
Loads on the water plant, written by each system that has water coils (thermal kW, latent
included) with a request for water when a coil calls for it (the plant runs on requests):
  '<system>.cooling_kw', '<system>.heating_kw', '<system>.chw_request', '<system>.hhw_request'
  for system in hvac_air, ventilation, fcu.
Written by HvacWater: 'hvac_water.chw_supply_temp', 'hvac_water.hhw_supply_temp' (degC, what
the coils get), 'hvac.cooling_kw' and 'hvac.heating_kw' (what the plant delivers).
Written by Ventilation per office floor: 'ventilation.<floor>.fresh_air_ls' (L/s of outdoor
air its fresh-air unit supplies), 'ventilation.<floor>.supply_temp' (degC),
'ventilation.<floor>.supply_g_kg' (humidity ratio, g/kg); 'ventilation.smoke_exhaust' (bool).
Read from other systems: 'fire.alarm' (bool, absent: no alarm), '<place>.light_pct' and
'<place>.blinds_pct' (0 up .. 100 fully down; absent: the old model's shaded glazing),
'it.load_kw' (the server room's IT heat; absent: 4 kW).
"""

from __future__ import annotations

from dataclasses import dataclass

from penworks.sim.layout import OFFICE_FLOORS, SMALL_ROOMS, ZONES
from penworks.sim.people import place
from penworks.sim.systems.hvac_coil import CoilResult
from penworks.sim.systems.hvac_room import AirStream, Room, internal_gains_w, step_room
from penworks.sim.world import World

Shared = dict[str, float | bool | str]

WATER_USERS = ("hvac_air", "ventilation", "fcu")
# Each water user's keys: cooling kW, heating kW, chilled-water request, hot-water request.
WATER_KEYS: dict[str, tuple[str, str, str, str]] = {
    user: (f"{user}.cooling_kw", f"{user}.heating_kw", f"{user}.chw_request", f"{user}.hhw_request")
    for user in WATER_USERS
}
CHW_SUPPLY = "hvac_water.chw_supply_temp"
HHW_SUPPLY = "hvac_water.hhw_supply_temp"
DESIGN_CHW_C = 7.0
DESIGN_HHW_C = 45.0
UNLIT_PCT = 0.0
LIT_PCT = 70.0  # lights of an occupied room when the lighting system has said nothing yet


def optional_number(shared: Shared, key: str) -> float | None:
    """A number another system shares (None: absent, or not a number)."""
    value = shared.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def number(shared: Shared, key: str, default: float) -> float:
    value = optional_number(shared, key)
    return default if value is None else value


def fire_alarm(shared: Shared) -> bool:
    return shared.get("fire.alarm") is True


def plant_water_c(shared: Shared) -> tuple[float, float]:
    """The chilled and the hot water the coils get (design temperatures until the plant says)."""
    return number(shared, CHW_SUPPLY, DESIGN_CHW_C), number(shared, HHW_SUPPLY, DESIGN_HHW_C)


@dataclass(slots=True)
class WaterLoad:
    """What a system's water coils take from the plant in a step, and whether they call."""

    cooling_kw: float = 0.0
    heating_kw: float = 0.0
    chw_request: bool = False
    hhw_request: bool = False

    def add(self, cooling: CoilResult, heating: CoilResult) -> None:
        """A chilled-water and a hot-water coil: a coil whose valve is open calls for water."""
        self.add_loads(cooling.load_kw, cooling.valve_pct, heating.load_kw, heating.valve_pct)

    def add_loads(
        self, cooling_kw: float, cooling_valve: float, heating_kw: float, heating_valve: float
    ) -> None:
        self.cooling_kw += cooling_kw
        self.heating_kw += heating_kw
        self.chw_request |= cooling_valve > 0
        self.hhw_request |= heating_valve > 0

    def publish(self, shared: Shared, system: str) -> None:
        cooling, heating, chw, hhw = WATER_KEYS[system]
        shared[cooling] = self.cooling_kw
        shared[heating] = self.heating_kw
        shared[chw] = self.chw_request
        shared[hhw] = self.hhw_request


def fresh_air_key(floor: str) -> str:
    return f"ventilation.{floor}.fresh_air_ls"


def fresh_supply_temp_key(floor: str) -> str:
    return f"ventilation.{floor}.supply_temp"


def fresh_supply_ratio_key(floor: str) -> str:
    return f"ventilation.{floor}.supply_g_kg"


def _fresh_air_shares() -> dict[str, float]:
    """Each office-floor room's share of its floor's fresh air: by seats, as designed."""
    seats: dict[str, dict[str, int]] = {floor: {} for floor in OFFICE_FLOORS}
    for zone in ZONES:
        if zone.floor in seats:
            seats[zone.floor][place(zone.floor, zone.space)] = zone.seats
    for room in SMALL_ROOMS:
        if room.floor in seats:
            seats[room.floor][place(room.floor, room.space)] = room.seats
    return {
        where: n / sum(rooms.values()) for rooms in seats.values() for where, n in rooms.items()
    }


FRESH_AIR_SHARE: dict[str, float] = _fresh_air_shares()


class SpaceAir:
    """A conditioned room's air, stepped with what other systems share about the room.

    Each step the room takes its people, its lights ('<place>.light_pct'), the sun through
    its blinds ('<place>.blinds_pct'), the air its HVAC supplies and, on an office floor, its
    share of the floor's fresh air (last step's); then it publishes '<place>.temp', '.rh'
    and '.co2'. The keys are formatted once, here.
    """

    __slots__ = ("room", "where", "has_fresh_air", "_share", "_keys", "_fresh_keys")

    def __init__(self, room: Room, floor: str, space: str) -> None:
        self.room = room
        self.where = where = place(floor, space)
        share = FRESH_AIR_SHARE.get(where)
        self.has_fresh_air = share is not None
        self._share = 0.0 if share is None else share
        self._keys = tuple(f"{where}.{q}" for q in ("light_pct", "blinds_pct", "temp", "rh", "co2"))
        self._fresh_keys = (
            fresh_air_key(floor),
            fresh_supply_temp_key(floor),
            fresh_supply_ratio_key(floor),
        )

    def step(
        self,
        world: World,
        outdoor_ratio: float,
        supplies: list[AirStream],
        extra_gains_w: float = 0.0,
    ) -> tuple[int, float]:
        """Advance the room by world.dt; (people in it, its relative humidity)."""
        shared, room, weather = world.shared, self.room, world.weather
        light_key, blinds_key, temp_key, rh_key, co2_key = self._keys
        people = world.people.in_place(self.where)
        lit = number(shared, light_key, LIT_PCT if people else UNLIT_PCT)
        gains = internal_gains_w(
            room, people, lit, weather.solar_w_m2, optional_number(shared, blinds_key)
        )
        fresh = self._fresh_air(shared)
        step_room(
            room,
            world.dt,
            gains_w=gains + extra_gains_w,
            people=people,
            outdoor_c=weather.temp_c,
            outdoor_ratio=outdoor_ratio,
            supplies=supplies if fresh is None else [*supplies, fresh],
        )
        rh = room.rh_pct
        shared[temp_key] = round(room.temp_c, 2)
        shared[rh_key] = round(rh, 1)
        shared[co2_key] = round(room.co2_ppm)
        return people, rh

    def _fresh_air(self, shared: Shared) -> AirStream | None:
        """The outdoor air the floor's fresh-air unit supplies to the room, if any."""
        flow_key, temp_key, ratio_key = self._fresh_keys
        flow_ls = number(shared, flow_key, 0.0) * self._share
        if flow_ls <= 0:
            return None
        return AirStream(
            flow_ls / 1000,
            number(shared, temp_key, 20.0),
            number(shared, ratio_key, 8.0) / 1000,
            1.0,
        )
