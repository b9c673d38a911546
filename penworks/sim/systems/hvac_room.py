"""A room's air: temperature, humidity and CO2, stepped by the zone RC model of physics.py.

One thermal capacitance per m2 of floor, an envelope conductance to outdoors, the internal
and solar gains, and the air streams that HVAC supplies (each with its flow, temperature,
humidity and share of outdoor air). Moisture comes from people and outdoor air and leaves on
cooling coils; furnishings buffer it. CO2 comes from people and leaves with outdoor air.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from penworks.sim.physics import (
    AIR_RHO_CP,
    BASE_PLUG_W_PER_M2,
    CAPACITANCE_J_PER_M2K,
    CO2_LS_PER_PERSON,
    ENVELOPE_W_PER_M2K,
    INFILTRATION_ACH,
    LIGHT_W_PER_M2,
    OUTDOOR_CO2_PPM,
    PERSON_PLUG_W,
    PERSON_SENSIBLE_W,
    SOLAR_GAIN_FACTOR,
)
from penworks.sim.systems.hvac_psychro import AIR_DENSITY, humidity_ratio, relative_humidity

PERSON_MOISTURE_KG_S = 0.06 / 3600  # an office worker breathes and sweats about 60 g/h
MOISTURE_BUFFER = 8.0  # furnishings and finishes hold this many times the air's own moisture
OPEN_GLAZING_GAIN = 0.22  # share of horizontal irradiance through glazing, blinds up
CLOSED_BLINDS_CUT = 0.45  # blinds fully down stop this share of what open glazing lets in


@dataclass(slots=True)
class AirStream:
    """Air that HVAC supplies to a room during a step."""

    flow_m3s: float
    temp_c: float
    humidity_ratio: float
    outdoor_share: float  # the share of it that is outdoor air (CO2 at outdoor level)


@dataclass(slots=True)
class Room:
    area_m2: float
    volume_m3: float
    window_m2: float
    temp_c: float
    humidity_ratio: float
    co2_ppm: float = OUTDOOR_CO2_PPM

    @property
    def rh_pct(self) -> float:
        return relative_humidity(self.temp_c, self.humidity_ratio)


SETTLED_RH_PCT = 60.0


def settled_ratio(temp_c: float, outdoor_ratio: float) -> float:
    """A room's humidity when the twin starts: outdoor air's, but no damper than 60 %RH."""
    return min(outdoor_ratio, humidity_ratio(temp_c, SETTLED_RH_PCT))


def settled_temp_c(daily_mean_c: float, in_use: bool) -> float:
    """A room's temperature when the twin starts: near its setpoints while the building is in
    use, else where a building left alone drifts at this time of year."""
    if in_use:
        return max(21.5, min(24.5, daily_mean_c + 5.0))
    return max(16.0, min(29.0, daily_mean_c + 5.0))


def solar_share(blinds_pct: float | None) -> float:
    """Share of horizontal irradiance the glazing lets in (blinds: 0 up .. 100 fully down).

    Without a blinds reading the room has the old model's shaded glazing.
    """
    if blinds_pct is None:
        return SOLAR_GAIN_FACTOR
    return OPEN_GLAZING_GAIN * (1 - CLOSED_BLINDS_CUT * max(0.0, min(100.0, blinds_pct)) / 100)


def internal_gains_w(
    room: Room, people: int, light_pct: float, solar_w_m2: float, blinds_pct: float | None
) -> float:
    """Sensible heat of people, their devices, lights, base plug loads and sun (W)."""
    return (
        people * (PERSON_SENSIBLE_W + PERSON_PLUG_W)
        + room.area_m2 * (BASE_PLUG_W_PER_M2 + LIGHT_W_PER_M2 * light_pct / 100)
        + room.window_m2 * solar_share(blinds_pct) * solar_w_m2
    )


def step_room(
    room: Room,
    dt: float,
    *,
    gains_w: float,
    people: int,
    outdoor_c: float,
    outdoor_ratio: float,
    supplies: Iterable[AirStream],
) -> None:
    """Advance the room's air by dt seconds."""
    infiltration = INFILTRATION_ACH * room.volume_m3 / 3600
    heat_w = gains_w + ENVELOPE_W_PER_M2K * room.area_m2 * (outdoor_c - room.temp_c)
    moisture = people * PERSON_MOISTURE_KG_S + AIR_DENSITY * infiltration * (
        outdoor_ratio - room.humidity_ratio
    )
    fresh = infiltration
    for air in supplies:
        heat_w += AIR_RHO_CP * air.flow_m3s * (air.temp_c - room.temp_c)
        moisture += AIR_DENSITY * air.flow_m3s * (air.humidity_ratio - room.humidity_ratio)
        fresh += air.flow_m3s * air.outdoor_share
    room.temp_c += heat_w * dt / (CAPACITANCE_J_PER_M2K * room.area_m2)
    buffer_kg = AIR_DENSITY * room.volume_m3 * MOISTURE_BUFFER
    ratio = room.humidity_ratio + moisture * dt / buffer_kg
    # beyond saturation the water condenses on the coldest surfaces
    room.humidity_ratio = max(0.001, min(ratio, humidity_ratio(room.temp_c, 100.0)))
    exhaled = people * CO2_LS_PER_PERSON / 1000 * 1e6  # ppm m3/s
    removed = fresh * (room.co2_ppm - OUTDOOR_CO2_PPM)
    room.co2_ppm = max(OUTDOOR_CO2_PPM, room.co2_ppm + (exhaled - removed) * dt / room.volume_m3)
