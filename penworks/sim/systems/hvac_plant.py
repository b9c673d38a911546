"""The water plant's machines: water-cooled chillers, a cooling tower, an air-source heat pump.

A chiller's efficiency is a share of the Carnot COP between its evaporator (below the chilled
water it makes) and its condenser (above the condenser water it warms), falling at part load
and, below its least stable load, cycling at that load's COP. The tower brings condenser water
towards the wet bulb; its fan speeds up as the water it must reach nears the wet bulb and as
the heat it rejects grows. The heat pump lifts heat from outdoor air to the hot water; its COP
and capacity fall as outdoors gets colder, and it stops to defrost in cold damp weather.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

WATER_KJ_PER_L_K = 4.19
KELVIN = 273.15

CHILLER_KW = 300.0  # nominal cooling capacity, each
CHILLER_CARNOT_SHARE = 0.55
CHILLER_MIN_PLR = 0.15  # below this the compressor cycles
CHILLER_LIFT_K = 1.5  # refrigerant against water, each side
CHW_DESIGN_DT_K = 5.0
CHW_FLOW_LS = CHILLER_KW / (WATER_KJ_PER_L_K * CHW_DESIGN_DT_K)
CW_FLOW_LS = 1.2 * CHILLER_KW / (WATER_KJ_PER_L_K * CHW_DESIGN_DT_K)
TOWER_REJECT_KW = 2 * 1.2 * CHILLER_KW
TOWER_APPROACH_K = 4.0  # at full rejection and full fan speed
TOWER_MIN_SPEED = 0.2
NATURAL_DRAFT_SPEED = 0.1  # the fan stopped still moves a little air
HEAT_PUMP_KW = 250.0  # at 7 degC outdoors
HEAT_PUMP_CARNOT_SHARE = 0.45
HEAT_PUMP_LIFT_K = 4.0
HHW_FLOW_LS = HEAT_PUMP_KW / (WATER_KJ_PER_L_K * CHW_DESIGN_DT_K)
DEFROST_BELOW_C = 6.0
DEFROST_ABOVE_RH = 65.0
DEFROST_EVERY_S = 3600.0
DEFROST_FOR_S = 300.0


def chiller_power_kw(
    load_kw: float, leaving_chw_c: float, leaving_cw_c: float
) -> tuple[float, float]:
    """Electric power and COP of a chiller carrying a load (kW thermal)."""
    if load_kw <= 0:
        return 0.0, 0.0
    evaporator = leaving_chw_c - CHILLER_LIFT_K + KELVIN
    condenser = leaving_cw_c + CHILLER_LIFT_K + KELVIN
    carnot = evaporator / max(5.0, condenser - evaporator)
    full_cop = max(2.0, min(9.0, CHILLER_CARNOT_SHARE * carnot))
    plr = min(1.0, load_kw / CHILLER_KW)
    steady = max(plr, CHILLER_MIN_PLR)
    power = CHILLER_KW / full_cop * (0.15 + 0.25 * steady + 0.6 * steady * steady) * plr / steady
    return power, load_kw / power


def tower_speed(reject_kw: float, wet_bulb_c: float, setpoint_c: float) -> tuple[float, float]:
    """Fan speed (0..1) and the water temperature it reaches (degC) for a heat rejection."""
    load = max(0.0, reject_kw) / TOWER_REJECT_KW
    full_approach = TOWER_APPROACH_K * math.pow(load, 0.7)
    target = max(setpoint_c, wet_bulb_c + full_approach)
    if full_approach <= 0:
        return TOWER_MIN_SPEED, target
    speed = math.pow(full_approach / max(0.1, target - wet_bulb_c), 1 / 0.6)
    return max(TOWER_MIN_SPEED, min(1.0, speed)), target


def natural_draft_c(reject_kw: float, wet_bulb_c: float) -> float:
    """What the tower reaches with its fan stopped."""
    load = max(0.0, reject_kw) / TOWER_REJECT_KW
    return wet_bulb_c + TOWER_APPROACH_K * math.pow(load, 0.7) / math.pow(NATURAL_DRAFT_SPEED, 0.6)


def heat_pump_capacity_kw(outdoor_c: float) -> float:
    return HEAT_PUMP_KW * max(0.5, min(1.15, 0.9 + 0.015 * outdoor_c))


def heat_pump_cop(leaving_hhw_c: float, outdoor_c: float) -> float:
    hot = leaving_hhw_c + HEAT_PUMP_LIFT_K + KELVIN
    cold = outdoor_c - HEAT_PUMP_LIFT_K - 2.0 + KELVIN
    return max(1.5, min(5.0, HEAT_PUMP_CARNOT_SHARE * hot / max(10.0, hot - cold)))


def defrosting(outdoor_c: float, rh_pct: float, seconds_of_day: float) -> bool:
    """The heat pump's coil frosts in cold damp air; it defrosts a few minutes an hour."""
    frosty = outdoor_c < DEFROST_BELOW_C and rh_pct > DEFROST_ABOVE_RH
    return frosty and seconds_of_day % DEFROST_EVERY_S < DEFROST_FOR_S


@dataclass(slots=True)
class Chiller:
    name: str
    running: bool = False
    tripped: bool = False
    fault_code: int = 1
    run_hours: float = 0.0
    load_kw: float = 0.0
    power_kw: float = 0.0
    cop: float = 0.0
    leaving_c: float = 12.0
    return_c: float = 12.0
    cw_in_c: float = 25.0
    cw_out_c: float = 25.0
    flow_ls: float = 0.0


@dataclass(slots=True)
class Pump:
    name: str
    design_kw: float
    design_kpa: float
    running: bool = False
    speed: float = 0.0  # 0..1

    @property
    def power_kw(self) -> float:
        return self.design_kw * self.speed**3 if self.running else 0.0

    @property
    def head_kpa(self) -> float:
        return self.design_kpa * self.speed**2 if self.running else 0.0
