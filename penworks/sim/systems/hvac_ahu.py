"""An air-handling unit: its schedule and modes, supply-air reset, economiser, coils and fan.

Occupied on working days 7:00-20:00, started earlier by optimal start (the colder or warmer
the zones, the earlier), or on a fixed schedule (fixed_mode: occupied 6:00-20:00, the
zones' temperatures aside); cycled at night when a zone leaves its unoccupied limits, stopped
by the fire alarm. The fan holds the duct static pressure the boxes need; the economiser
mixes outdoor air to reach the supply-air setpoint when outdoor air is cooler and drier than
return air; the chilled-water coil then the hot-water coil trim what is left. The fan's heat
warms the supply air, and the coils aim below the setpoint by that much.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

from penworks.sim.physics import AIR_RHO_CP
from penworks.sim.systems.hvac_coil import cooling_coil, heating_coil
from penworks.sim.systems.hvac_psychro import enthalpy_kj_kg, relative_humidity

OCCUPIED_FROM_H = 7.0
OCCUPIED_UNTIL_H = 20.0
FIXED_START_H = 6.0  # a time clock's start: an hour early every day instead of optimal start
LONGEST_LEAD_H = 2.0
DESIGN_STATIC_PA = 250.0
MIN_FAN_SPEED = 0.3
CLEAN_FILTER_PA = 60.0
FILTER_LOADING_PA_PER_H = 0.05
FILTER_ALARM_PA = 250.0
SAT_COOLEST_C = 13.0
SAT_WARMEST_C = 18.0
WARM_UP_SAT_C = 28.0
SAT_RAMP_K_PER_S = 0.1 / 30
ECONOMISER_MARGIN_K = 1.0
HEATING_DEADBAND_K = 0.5
RETURN_PLENUM_RISE_K = 0.5  # lights warm the return air in the ceiling void
MAX_FAN_RISE_K = 3.0  # motor heat in the airstream, at the lowest flows
SENSOR_LAG_S = 1800.0  # a stopped unit's sensors drift to the air around them


class AhuMode(IntEnum):
    """The occupancy-mode multi-state value (its state texts, in order)."""

    OCCUPIED = 1
    UNOCCUPIED = 2
    OPTIMAL_START = 3
    NIGHT_CYCLE = 4
    FIRE_SHUTDOWN = 5


@dataclass(frozen=True, slots=True)
class AhuDesign:
    name: str
    label: str
    instance: int
    places: tuple[str, ...]  # the zones its boxes serve
    min_outdoor_pct: float
    fan_kw: float  # at full speed
    cooling_kw: float
    heating_kw: float
    design_flow_ls: float


@dataclass(slots=True)
class Ahu:
    design: AhuDesign
    filter_loading_pa: float
    mode: AhuMode = AhuMode.UNOCCUPIED
    running: bool = False
    night_cycle: bool = False
    sat_setpoint_c: float = SAT_WARMEST_C
    supply_c: float = 20.0
    supply_ratio: float = 0.008
    mixed_c: float = 20.0
    return_c: float = 22.0
    return_ratio: float = 0.008
    return_co2: float = 420.0
    outdoor_pct: float = 0.0
    cooling_valve: float = 0.0
    heating_valve: float = 0.0
    speed_pct: float = 0.0
    static_pa: float = 0.0
    fan_kw: float = 0.0
    flow_ls: float = 0.0
    flow_share: float = 1.0  # the share of what the boxes ask for that the fan can deliver
    cooling_kw: float = 0.0
    heating_kw: float = 0.0

    @property
    def return_rh(self) -> float:
        return relative_humidity(self.return_c, self.return_ratio)

    @property
    def filter_dp_pa(self) -> float:
        flow = self.flow_ls / self.design.design_flow_ls
        return (CLEAN_FILTER_PA + self.filter_loading_pa) * flow * flow


def optimal_start_lead_h(worst_deviation_k: float) -> float:
    """How long before occupancy to start, from how far the worst zone is from its setpoint."""
    return max(0.25, min(LONGEST_LEAD_H, 0.25 + 0.35 * worst_deviation_k))


def occupied_hours(hour: float, working_day: bool) -> bool:
    """The building's occupied hours: working days 7:00-20:00."""
    return working_day and OCCUPIED_FROM_H <= hour < OCCUPIED_UNTIL_H


def scheduled_mode(hour: float, working_day: bool, lead_h: float) -> AhuMode:
    if not working_day or hour >= OCCUPIED_UNTIL_H:
        return AhuMode.UNOCCUPIED
    if hour >= OCCUPIED_FROM_H:
        return AhuMode.OCCUPIED
    if hour >= OCCUPIED_FROM_H - lead_h:
        return AhuMode.OPTIMAL_START
    return AhuMode.UNOCCUPIED


def fixed_mode(hour: float, working_day: bool) -> AhuMode:
    """A time clock's mode: occupied on working days from FIXED_START_H to 20:00."""
    if working_day and FIXED_START_H <= hour < OCCUPIED_UNTIL_H:
        return AhuMode.OCCUPIED
    return AhuMode.UNOCCUPIED


def decide(
    ahu: Ahu,
    *,
    fire: bool,
    fan_command: bool | None,
    scheduled: AhuMode,
    zone_outside_limits: bool,
    zones_back_inside: bool,
) -> None:
    """Mode and whether the fan runs: fire stops it, a fan command overrides the schedule."""
    if scheduled is AhuMode.UNOCCUPIED:
        if zone_outside_limits:
            ahu.night_cycle = True
        elif zones_back_inside:
            ahu.night_cycle = False
    else:
        ahu.night_cycle = False
    mode = AhuMode.NIGHT_CYCLE if ahu.night_cycle else scheduled
    if fire:
        ahu.mode, ahu.running = AhuMode.FIRE_SHUTDOWN, False
        return
    ahu.mode = mode
    ahu.running = mode is not AhuMode.UNOCCUPIED if fan_command is None else fan_command


def reset_supply_setpoint(ahu: Ahu, *, max_cooling_pct: float, warm_up: bool, dt: float) -> float:
    """The unit's own supply-air setpoint: warm-up, or reset by the neediest zone's cooling."""
    if warm_up and ahu.mode in (AhuMode.OPTIMAL_START, AhuMode.NIGHT_CYCLE):
        ahu.sat_setpoint_c = WARM_UP_SAT_C
        return ahu.sat_setpoint_c
    need = max(0.0, min(1.0, (max_cooling_pct - 10) / 80))
    target = SAT_WARMEST_C - (SAT_WARMEST_C - SAT_COOLEST_C) * need
    current = min(SAT_WARMEST_C, ahu.sat_setpoint_c)  # out of warm-up at once
    ramp = SAT_RAMP_K_PER_S * dt
    ahu.sat_setpoint_c = current + max(-ramp, min(ramp, target - current))
    return ahu.sat_setpoint_c


@dataclass(frozen=True, slots=True)
class AirInputs:
    """What the unit's air side works with in a step."""

    demand_ls: float  # what the boxes' dampers pass at design static pressure
    return_c: float
    return_ratio: float
    return_co2: float
    outdoor_c: float
    outdoor_ratio: float
    sat_setpoint_c: float
    static_setpoint_pa: float
    chw_c: float
    hhw_c: float
    outdoor_override: float | None = None
    cooling_override: float | None = None
    heating_override: float | None = None


def run_air(ahu: Ahu, air: AirInputs, dt: float) -> None:
    """Fan, mixing and coils for a step (or a stopped unit's sensors drifting)."""
    if not ahu.running:
        _stopped(ahu, air, dt)
        return
    design = ahu.design
    ahu.return_c = air.return_c + RETURN_PLENUM_RISE_K
    ahu.return_ratio, ahu.return_co2 = air.return_ratio, air.return_co2
    pressure = (air.static_setpoint_pa / DESIGN_STATIC_PA) ** 0.5
    demand = max(1e-6, air.demand_ls)
    ahu.flow_share = min(1.0, design.design_flow_ls / demand)  # flat out, boxes go short
    ahu.flow_ls = air.demand_ls * ahu.flow_share
    needed = demand / design.design_flow_ls * pressure
    speed = max(MIN_FAN_SPEED, min(1.0, needed))
    ahu.static_pa = air.static_setpoint_pa * min(1.0, 1.0 / needed**2)
    ahu.speed_pct = 100 * speed
    ahu.fan_kw = design.fan_kw * speed**3
    flow = ahu.flow_ls / 1000
    fan_rise = min(MAX_FAN_RISE_K, ahu.fan_kw * 1000 / (AIR_RHO_CP * max(flow, 1e-3)))
    target = air.sat_setpoint_c - fan_rise
    ahu.outdoor_pct = _outdoor_damper(ahu, air, target)
    share = ahu.outdoor_pct / 100
    ahu.mixed_c = share * air.outdoor_c + (1 - share) * ahu.return_c
    mixed_ratio = share * air.outdoor_ratio + (1 - share) * ahu.return_ratio
    cool = cooling_coil(
        flow,
        ahu.mixed_c,
        mixed_ratio,
        target_c=target,
        water_c=air.chw_c,
        capacity_kw=design.cooling_kw,
        valve_override=air.cooling_override,
    )
    calls_for_heat = cool.load_kw == 0 and cool.leaving_c < target - HEATING_DEADBAND_K
    heat = heating_coil(
        flow,
        cool.leaving_c,
        cool.leaving_ratio,
        target_c=target if calls_for_heat else cool.leaving_c,
        water_c=air.hhw_c,
        capacity_kw=design.heating_kw,
        valve_override=air.heating_override,
    )
    ahu.cooling_kw, ahu.cooling_valve = cool.load_kw, cool.valve_pct
    ahu.heating_kw, ahu.heating_valve = heat.load_kw, heat.valve_pct
    ahu.supply_c = heat.leaving_c + fan_rise
    ahu.supply_ratio = heat.leaving_ratio
    ahu.filter_loading_pa += FILTER_LOADING_PA_PER_H * speed * dt / 3600


def _outdoor_damper(ahu: Ahu, air: AirInputs, target_c: float) -> float:
    if air.outdoor_override is not None:
        return air.outdoor_override
    if ahu.mode is not AhuMode.OCCUPIED:
        return 0.0  # nobody to ventilate for: recirculate while starting or cycling
    least = ahu.design.min_outdoor_pct
    cooler = air.outdoor_c < ahu.return_c - ECONOMISER_MARGIN_K
    drier = enthalpy_kj_kg(air.outdoor_c, air.outdoor_ratio) < enthalpy_kj_kg(
        ahu.return_c, ahu.return_ratio
    )
    if not (cooler and drier):
        return least
    share = (ahu.return_c - target_c) / (ahu.return_c - air.outdoor_c)
    return max(least, min(100.0, 100 * share))


def _stopped(ahu: Ahu, air: AirInputs, dt: float) -> None:
    lag = min(1.0, dt / SENSOR_LAG_S)
    ahu.supply_c += (air.outdoor_c - ahu.supply_c) * lag
    ahu.mixed_c += (air.outdoor_c - ahu.mixed_c) * lag
    ahu.return_c += (air.return_c - ahu.return_c) * lag
    ahu.supply_ratio = air.outdoor_ratio
    ahu.return_ratio, ahu.return_co2 = air.return_ratio, air.return_co2
    ahu.outdoor_pct = 0.0 if air.outdoor_override is None else air.outdoor_override
    ahu.cooling_valve = 0.0 if air.cooling_override is None else air.cooling_override
    ahu.heating_valve = 0.0 if air.heating_override is None else air.heating_override
    ahu.speed_pct = ahu.static_pa = ahu.fan_kw = ahu.flow_ls = 0.0
    ahu.cooling_kw = ahu.heating_kw = 0.0
    ahu.flow_share = 0.0
