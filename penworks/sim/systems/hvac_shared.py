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

from penworks.sim.layout import OFFICE_FLOORS, SMALL_ROOMS, TENANT_FLOORS, ZONES
from penworks.sim.systems.hvac_coil import CoilResult
from penworks.sim.systems.hvac_room import AirStream

Shared = dict[str, float | bool | str]

WATER_USERS = ("hvac_air", "ventilation", "fcu")
CHW_SUPPLY = "hvac_water.chw_supply_temp"
HHW_SUPPLY = "hvac_water.hhw_supply_temp"
DESIGN_CHW_C = 7.0
DESIGN_HHW_C = 45.0
UNLIT_PCT = 0.0
LIT_PCT = 70.0  # lights of an occupied room when the lighting system has said nothing yet

TENANT_OF_FLOOR: dict[str, str] = {floor: tenant for tenant, floor in TENANT_FLOORS.items()}


def place(floor: str, space: str) -> str:
    return f"{floor}/{space}"


def number(shared: Shared, key: str, default: float) -> float:
    value = shared.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return default
    return float(value)


def fire_alarm(shared: Shared) -> bool:
    return shared.get("fire.alarm") is True


def light_pct(shared: Shared, where: str, people: int) -> float:
    return number(shared, f"{where}.light_pct", LIT_PCT if people else UNLIT_PCT)


def blinds_pct(shared: Shared, where: str) -> float | None:
    value = shared.get(f"{where}.blinds_pct")
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def publish_room(shared: Shared, where: str, temp_c: float, rh_pct: float, co2: float) -> None:
    shared[f"{where}.temp"] = round(temp_c, 2)
    shared[f"{where}.rh"] = round(rh_pct, 1)
    shared[f"{where}.co2"] = round(co2)


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
        shared[f"{system}.cooling_kw"] = self.cooling_kw
        shared[f"{system}.heating_kw"] = self.heating_kw
        shared[f"{system}.chw_request"] = self.chw_request
        shared[f"{system}.hhw_request"] = self.hhw_request


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


def fresh_air_stream(shared: Shared, where: str, floor: str) -> AirStream | None:
    """The outdoor air the floor's fresh-air unit supplies to a room (last step's), if any."""
    share = FRESH_AIR_SHARE.get(where)
    if share is None:
        return None
    flow_ls = number(shared, fresh_air_key(floor), 0.0) * share
    if flow_ls <= 0:
        return None
    return AirStream(
        flow_ls / 1000,
        number(shared, fresh_supply_temp_key(floor), 20.0),
        number(shared, fresh_supply_ratio_key(floor), 8.0) / 1000,
        1.0,
    )
