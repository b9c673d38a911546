"""A VAV box with electric reheat and its controller: two PI loops, airflow, damper, reheat.

The cooling loop asks for more air above the cooling setpoint; the heating loop, below the
heating setpoint, first heats the minimum airflow and then raises it (dual maximum). The
controller turns the airflow setpoint into a damper command; the actuator strokes towards
it at its own speed, unless the damper is stuck. Reheat needs proven airflow.
"""

from __future__ import annotations

from dataclasses import dataclass

from penworks.sim.layout import ZoneSpec
from penworks.sim.physics import AIR_RHO_CP, MAX_AIRFLOW_LS_PER_M2
from penworks.sim.systems.hvac_room import Room

MIN_FLOW_OCCUPIED = 0.3  # share of the box's maximum, for ventilation while occupied
MIN_FLOW_UNOCCUPIED = 0.1
HEATING_MAX_FLOW = 0.5
REHEAT_W_PER_M2 = 40.0
DAMPER_STROKE_S = 90.0  # actuator run time from closed to open
GAIN_PCT_PER_K = 35.0
INTEGRAL_PCT_PER_K_MIN = 1.0
MIN_PROVEN_FLOW = 0.05  # share of the maximum the airflow switch needs to allow reheat
MAX_DISCHARGE_RISE_K = 25.0
SENSOR_LAG_S = 300.0  # a discharge sensor in still air drifts to the room's temperature


@dataclass(slots=True)
class Vav:
    zone: ZoneSpec
    place: str
    tenant: str | None
    room: Room
    damper_pct: float = 0.0  # where the blade really is
    cooling_pct: float = 0.0
    heating_pct: float = 0.0
    flow_setpoint_ls: float = 0.0
    damper_cmd_pct: float = 0.0
    reheat_pct: float = 0.0
    airflow_ls: float = 0.0
    discharge_c: float = 20.0
    reheat_kw: float = 0.0
    _cool_integral: float = 0.0
    _heat_integral: float = 0.0

    @property
    def max_flow_ls(self) -> float:
        return MAX_AIRFLOW_LS_PER_M2 * self.zone.area_m2

    @property
    def reheat_capacity_kw(self) -> float:
        return REHEAT_W_PER_M2 * self.zone.area_m2 / 1000


def run_loops(vav: Vav, temp: float, *, cooling_sp: float, heating_sp: float, dt: float) -> None:
    """Cooling and heating demand (0..100 %) from the zone temperature the sensor reads."""
    vav.cooling_pct, vav._cool_integral = _pi(temp - cooling_sp, vav._cool_integral, dt)
    vav.heating_pct, vav._heat_integral = _pi(heating_sp - temp, vav._heat_integral, dt)


def _pi(error: float, integral: float, dt: float) -> tuple[float, float]:
    integral = max(0.0, min(100.0, integral + INTEGRAL_PCT_PER_K_MIN * error * dt / 60))
    return max(0.0, min(100.0, GAIN_PCT_PER_K * error + integral)), integral


def stop_loops(vav: Vav) -> None:
    """The air handler is off: no demand is met, so the loops rest rather than wind up."""
    vav.cooling_pct = vav.heating_pct = 0.0
    vav._cool_integral = vav._heat_integral = 0.0


def plan_airflow(vav: Vav, *, occupied: bool, running: bool) -> None:
    """Airflow setpoint and the damper position the controller commands for it."""
    if not running:
        vav.flow_setpoint_ls = 0.0
        vav.damper_cmd_pct = 0.0
        return
    low = MIN_FLOW_OCCUPIED if occupied else MIN_FLOW_UNOCCUPIED
    share = low + (1 - low) * vav.cooling_pct / 100
    if vav.heating_pct > 50:  # dual maximum: heating beyond half its range takes more air
        share = max(share, low + (HEATING_MAX_FLOW - low) * (vav.heating_pct - 50) / 50)
    vav.flow_setpoint_ls = share * vav.max_flow_ls
    vav.damper_cmd_pct = 100 * share


def stroke(vav: Vav, command_pct: float, *, stuck: bool, dt: float) -> None:
    """The actuator drives the blade towards the command, unless the blade is stuck."""
    if stuck:
        return
    step = 100 * dt / DAMPER_STROKE_S
    vav.damper_pct += max(-step, min(step, command_pct - vav.damper_pct))


def deliver(vav: Vav, *, supply_c: float, flow_share: float, reheat_pct: float, dt: float) -> None:
    """Airflow through the blade, reheat where airflow is proven, and the discharge air."""
    vav.airflow_ls = vav.damper_pct / 100 * vav.max_flow_ls * flow_share
    vav.reheat_pct = reheat_pct
    proven = vav.airflow_ls >= MIN_PROVEN_FLOW * vav.max_flow_ls
    heat_kw = reheat_pct / 100 * vav.reheat_capacity_kw if proven else 0.0
    if vav.airflow_ls > 0:
        per_k_kw = AIR_RHO_CP * vav.airflow_ls / 1e6
        vav.reheat_kw = min(heat_kw, MAX_DISCHARGE_RISE_K * per_k_kw)  # high-limit cut-out
        vav.discharge_c = supply_c + vav.reheat_kw / per_k_kw
    else:
        vav.reheat_kw = 0.0
        vav.discharge_c += (vav.room.temp_c - vav.discharge_c) * min(1.0, dt / SENSOR_LAG_S)
