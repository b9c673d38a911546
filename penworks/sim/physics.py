"""The building's physics: each zone a thermal RC model with CO2, a VAV, lights; an AHU; meters.

Pure state and arithmetic, stepped in fixed increments, so a seed and a start time fully
determine the run however fast the wall clock goes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from penworks.sim.layout import ZoneSpec
from penworks.sim.weather import WeatherSample

AIR_RHO_CP = 1.2 * 1005.0  # J/(m3 K)
CAPACITANCE_J_PER_M2K = 80_000.0  # air, furniture and the share of the slab that moves
ENVELOPE_W_PER_M2K = 1.6  # walls and windows, per m2 of floor
PERSON_SENSIBLE_W = 75.0
PERSON_PLUG_W = 110.0  # a laptop, screens, phone chargers
BASE_PLUG_W_PER_M2 = 1.5
LIGHT_W_PER_M2 = 8.0  # at 100 % level
SOLAR_GAIN_FACTOR = 0.15  # share of horizontal irradiance let in by shaded glazing
MAX_AIRFLOW_LS_PER_M2 = 6.0
MIN_DAMPER_PCT = 20.0  # ventilation minimum while the AHU runs
HEATING_MAX_DAMPER_PCT = 50.0
OUTDOOR_CO2_PPM = 420.0
CO2_LS_PER_PERSON = 0.0052  # L/s exhaled by a person at office work
FRESH_AIR_SHARE = 0.3
INFILTRATION_ACH = 0.2
FAN_W_PER_LS = 1.1
COOLING_COP = 3.6
HEATING_COP = 3.0
DISTRIBUTION_LOSS = 0.03  # the main meter sees this much more than the submeters
COOLING_SUPPLY_C = 13.0  # AHU discharge in the cooling season
HEATING_SUPPLY_C = 16.0  # AHU discharge in the heating season (mixed air, lightly heated)
MAX_REHEAT_K = 20.0  # a VAV's reheat coil can raise its discharge this much
HEATING_BELOW_DAILY_MEAN_C = 15.0


@dataclass(slots=True)
class Zone:
    spec: ZoneSpec
    temp_c: float
    setpoint_c: float = 24.0
    damper_pct: float = 0.0
    co2_ppm: float = OUTDOOR_CO2_PPM
    people: int = 0
    light_pct: float = 0.0
    light_override: float | None = None  # a commanded level (update_lights clears it)
    lux: float = 0.0
    reheat_k: float = 0.0
    _integral: float = 0.0

    @property
    def airflow_ls(self) -> float:
        return self.damper_pct / 100 * MAX_AIRFLOW_LS_PER_M2 * self.spec.area_m2


@dataclass(slots=True)
class Ahu:
    fan_on: bool = False
    supply_c: float = COOLING_SUPPLY_C
    heating: bool = False


@dataclass(slots=True)
class Meters:
    power_kw: dict[str, float] = field(default_factory=dict)
    energy_kwh: dict[str, float] = field(default_factory=dict)


def step_zone(zone: Zone, ahu: Ahu, weather: WeatherSample, dt: float) -> float:
    """Advance one zone by dt seconds; returns the reheat power its VAV used (W)."""
    spec = zone.spec
    _control_vav(zone, ahu, dt)
    flow_m3s = zone.airflow_ls / 1000
    discharge_c = ahu.supply_c + zone.reheat_k
    hvac_w = AIR_RHO_CP * flow_m3s * (discharge_c - zone.temp_c) if ahu.fan_on else 0.0
    gains_w = (
        zone.people * PERSON_SENSIBLE_W
        + zone.people * PERSON_PLUG_W
        + spec.area_m2 * (BASE_PLUG_W_PER_M2 + LIGHT_W_PER_M2 * zone.light_pct / 100)
        + spec.window_m2 * SOLAR_GAIN_FACTOR * weather.solar_w_m2
    )
    envelope_w = ENVELOPE_W_PER_M2K * spec.area_m2 * (weather.temp_c - zone.temp_c)
    zone.temp_c += (gains_w + envelope_w + hvac_w) * dt / (CAPACITANCE_J_PER_M2K * spec.area_m2)
    _step_co2(zone, ahu, dt)
    return AIR_RHO_CP * flow_m3s * zone.reheat_k if ahu.fan_on else 0.0


def _control_vav(zone: Zone, ahu: Ahu, dt: float) -> None:
    """A VAV with reheat under one PI loop: above setpoint open the damper to cool,
    below it hold the ventilation minimum and heat the discharge air."""
    if not ahu.fan_on:
        zone.damper_pct, zone.reheat_k, zone._integral = 0.0, 0.0, 0.0
        return
    error = zone.temp_c - zone.setpoint_c
    zone._integral = max(-150.0, min(150.0, zone._integral + error * dt / 60))
    demand = 40.0 * error + 0.5 * zone._integral  # % of cooling (+) or reheat (-)
    zone.reheat_k = MAX_REHEAT_K * max(0.0, min(100.0, -demand)) / 100
    # Dual maximum: once the reheat coil is saturated, more warm air instead of more heat.
    heating_flow = min(HEATING_MAX_DAMPER_PCT, MIN_DAMPER_PCT + max(0.0, -demand - 100.0))
    zone.damper_pct = max(heating_flow, min(100.0, demand))


def _step_co2(zone: Zone, ahu: Ahu, dt: float) -> None:
    volume = zone.spec.volume_m3
    fresh_m3s = INFILTRATION_ACH * volume / 3600
    if ahu.fan_on:
        fresh_m3s += FRESH_AIR_SHARE * zone.airflow_ls / 1000
    generated = zone.people * CO2_LS_PER_PERSON / 1000 * 1e6 / volume  # ppm per second
    removed = fresh_m3s / volume * (zone.co2_ppm - OUTDOOR_CO2_PPM)
    zone.co2_ppm = max(OUTDOOR_CO2_PPM, zone.co2_ppm + (generated - removed) * dt)


def daylight_lux(zone: Zone, weather: WeatherSample) -> float:
    """Daylight at the zone's work plane."""
    return weather.solar_w_m2 * 0.6 * zone.spec.window_m2 / zone.spec.area_m2


def update_lights(zone: Zone, occupied_before: bool, weather: WeatherSample) -> None:
    """Occupancy switching with daylight dimming, as the building's own lighting controls do.

    A commanded level holds until occupancy changes."""
    occupied = zone.people > 0
    if occupied != occupied_before:
        zone.light_override = None
    daylight = daylight_lux(zone, weather)
    if zone.light_override is not None:
        zone.light_pct = zone.light_override
    elif occupied:
        zone.light_pct = max(20.0, min(100.0, (500.0 - daylight) / 5))
    else:
        zone.light_pct = 0.0
    zone.lux = zone.light_pct * 5.0 + daylight


def scheduled_lights(zone: Zone, on: bool, weather: WeatherSample) -> None:
    """A time switch: full level while the schedule is on, off otherwise, no dimming.

    A commanded level holds until it is released: nothing here watches occupancy."""
    if zone.light_override is not None:
        zone.light_pct = zone.light_override
    else:
        zone.light_pct = 100.0 if on else 0.0
    zone.lux = zone.light_pct * 5.0 + daylight_lux(zone, weather)


def ahu_coil_w(zones: list[Zone], ahu: Ahu, outdoor_c: float) -> float:
    """Heat the AHU coil moves to bring mixed air to its supply temperature (W, absolute)."""
    if not ahu.fan_on:
        return 0.0
    flow_m3s = sum(z.airflow_ls for z in zones) / 1000
    return_c = sum(z.temp_c * z.airflow_ls for z in zones) / max(1e-9, flow_m3s * 1000)
    mixed_c = FRESH_AIR_SHARE * outdoor_c + (1 - FRESH_AIR_SHARE) * return_c
    return abs(AIR_RHO_CP * flow_m3s * (mixed_c - ahu.supply_c))


def update_meters(
    meters: Meters, zones: list[Zone], ahu: Ahu, reheat_w: float, outdoor_c: float, dt: float
) -> None:
    """Power per system from what the zones did, energy integrated; main = sum + losses."""
    lighting = sum(z.spec.area_m2 * LIGHT_W_PER_M2 * z.light_pct / 100 for z in zones)
    plug = sum(z.people * PERSON_PLUG_W + z.spec.area_m2 * BASE_PLUG_W_PER_M2 for z in zones)
    fans = FAN_W_PER_LS * sum(z.airflow_ls for z in zones) if ahu.fan_on else 0.0
    coil_w = ahu_coil_w(zones, ahu, outdoor_c)
    plant = coil_w / (HEATING_COP if ahu.heating else COOLING_COP) + reheat_w / HEATING_COP
    power = {"hvac": (fans + plant) / 1000, "lighting": lighting / 1000, "plug": plug / 1000}
    power["main"] = sum(power.values()) * (1 + DISTRIBUTION_LOSS)
    for name, kw in power.items():
        meters.power_kw[name] = kw
        meters.energy_kwh[name] = meters.energy_kwh.get(name, 0.0) + kw * dt / 3600
