"""The BACnet products of the air side: the air-handling unit controller and the VAV controller.

Object instances follow each product's manual; every device has its own device instance
(AHUs 15101-15102, VAV boxes 15111-15123). Also how each controller shows its state on its
points, and the VAV controller's own check of setpoint writes (a heating setpoint must stay
a deadband below the cooling one).
"""

from __future__ import annotations

from typing import NamedTuple

from penworks.core import Value
from penworks.sim.devices import DeviceType, Refusal, Refused, SimDevice
from penworks.sim.systems.hvac_ahu import DESIGN_STATIC_PA, FILTER_ALARM_PA, Ahu, AhuMode
from penworks.sim.systems.hvac_commands import Commands
from penworks.sim.systems.hvac_points import (
    analog_input,
    analog_output,
    analog_value,
    binary_input,
    binary_output,
    multi_state,
)
from penworks.sim.systems.hvac_vav import Vav

AHU_CONTROLLER = DeviceType(
    model="AHC-800 air handler controller",
    protocol="bacnet",
    vendor="Penworks Twin Controls",
    points=(
        analog_input("supply_air_temp", 1, "degC", "Supply air temperature", cov=0.2),
        analog_input("return_air_temp", 2, "degC", "Return air temperature", cov=0.2),
        analog_input("mixed_air_temp", 3, "degC", "Mixed air temperature", cov=0.2),
        analog_input("outside_air_temp", 4, "degC", "Outside air temperature", cov=0.2),
        analog_input("return_air_humidity", 5, "%RH", "Return air relative humidity", cov=1.0),
        analog_input("return_air_co2", 6, "ppm", "Return air CO2", cov=20.0),
        analog_input("supply_airflow", 7, "L/s", "Supply airflow", cov=50.0),
        analog_input("supply_fan_speed", 8, "%", "Supply fan VFD speed", cov=1.0),
        analog_input("supply_fan_power", 9, "kW", "Supply fan VFD power", cov=0.2),
        analog_input("filter_dp", 10, "Pa", "Filter differential pressure", cov=5.0),
        analog_input("duct_static_pressure", 11, "Pa", "Supply duct static pressure", cov=5.0),
        analog_output("outside_air_damper", 1, "Outside air damper position"),
        analog_output("cooling_valve", 2, "Chilled water valve position"),
        analog_output("heating_valve", 3, "Hot water valve position"),
        analog_value(
            "supply_air_temp_setpoint",
            1,
            "degC",
            "Supply air temperature setpoint (reset by zone demand unless commanded)",
            default=16.0,
            low=10.0,
            high=30.0,
            commandable=True,
            cov=0.1,
        ),
        analog_value(
            "duct_static_setpoint",
            2,
            "Pa",
            "Supply duct static pressure setpoint",
            default=250.0,
            low=100.0,
            high=500.0,
            commandable=True,
        ),
        binary_output("supply_fan_command", 1, "Supply fan start/stop (schedule unless commanded)"),
        binary_input("supply_fan_status", 1, "Supply fan proven running (differential pressure)"),
        binary_input("fire_shutdown", 2, "Stopped by the fire alarm panel"),
        binary_input("filter_alarm", 3, "Filter dirty (differential pressure above 250 Pa)"),
        multi_state(
            "occupancy_mode",
            1,
            "1 occupied, 2 unoccupied, 3 optimal start, 4 night cycle, 5 fire shutdown",
            5,
        ),
        multi_state(
            "occupancy_command",
            2,
            "1 schedule, 2 occupied, 3 unoccupied (night protection still runs): "
            "after-hours service and optimal start/stop from outside",
            3,
            commandable=True,
        ),
    ),
)

VAV_CONTROLLER = DeviceType(
    model="VRC-300 VAV reheat controller",
    protocol="bacnet",
    vendor="Penworks Twin Controls",
    points=(
        analog_input("zone_temp", 1, "degC", "Zone air temperature", cov=0.1),
        analog_input("zone_humidity", 2, "%RH", "Zone relative humidity", cov=1.0),
        analog_input("zone_co2", 3, "ppm", "Zone CO2", cov=10.0),
        analog_input("airflow", 4, "L/s", "Discharge airflow", cov=5.0),
        analog_input("discharge_air_temp", 5, "degC", "Discharge air temperature", cov=0.2),
        analog_input("damper_feedback", 6, "%", "Damper actuator position feedback", cov=1.0),
        analog_output(
            "damper_command", 1, "Damper position command (airflow loop unless commanded)"
        ),
        analog_output("reheat_command", 2, "Electric reheat output (SCR), 0-100 %"),
        analog_value(
            "occupied_cooling_setpoint",
            1,
            "degC",
            "Occupied cooling setpoint",
            default=25.0,
            low=16.0,
            high=30.0,
            commandable=True,
        ),
        analog_value(
            "occupied_heating_setpoint",
            2,
            "degC",
            "Occupied heating setpoint",
            default=21.0,
            low=16.0,
            high=30.0,
            commandable=True,
        ),
        analog_value(
            "unoccupied_cooling_setpoint",
            3,
            "degC",
            "Unoccupied cooling setpoint (night cycle above it)",
            default=29.0,
            low=24.0,
            high=35.0,
            writable=True,
        ),
        analog_value(
            "unoccupied_heating_setpoint",
            4,
            "degC",
            "Unoccupied heating setpoint (night cycle below it)",
            default=15.0,
            low=8.0,
            high=20.0,
            writable=True,
        ),
        analog_value(
            "effective_setpoint", 5, "degC", "Setpoint the controller works to now", default=25.0
        ),
        analog_value("airflow_setpoint", 6, "L/s", "Airflow setpoint", default=0.0, cov=5.0),
        binary_input("occupancy", 1, "Zone occupied (occupancy sensor)"),
    ),
)

MIN_DEADBAND_K = 1.0
_PAIRS = {
    "occupied_cooling_setpoint": ("occupied_heating_setpoint", 1),
    "occupied_heating_setpoint": ("occupied_cooling_setpoint", -1),
    "unoccupied_cooling_setpoint": ("unoccupied_heating_setpoint", 1),
    "unoccupied_heating_setpoint": ("unoccupied_cooling_setpoint", -1),
}


class ZoneSetpoints(NamedTuple):
    cooling: float
    heating: float
    night_cooling: float
    night_heating: float


def _default(key: str) -> float:
    return float(VAV_CONTROLLER.spec(key).default)


DEFAULT_SETPOINTS = ZoneSetpoints(
    _default("occupied_cooling_setpoint"),
    _default("occupied_heating_setpoint"),
    _default("unoccupied_cooling_setpoint"),
    _default("unoccupied_heating_setpoint"),
)


def zone_setpoints(device: SimDevice, commands: Commands) -> ZoneSetpoints:
    """The setpoints a VAV controller works to: commanded ones, else its own; written ones."""
    return ZoneSetpoints(
        commands.number("occupied_cooling_setpoint", DEFAULT_SETPOINTS.cooling),
        commands.number("occupied_heating_setpoint", DEFAULT_SETPOINTS.heating),
        float(device.get("unoccupied_cooling_setpoint")),
        float(device.get("unoccupied_heating_setpoint")),
    )


def setpoints_in_order(device: SimDevice, key: str, value: Value) -> None:
    """Refuse a cooling setpoint that would not stay a deadband above heating (and back)."""
    pair = _PAIRS.get(key)
    if pair is None or isinstance(value, bool | str):
        return
    other_key, sign = pair
    other = float(device.get(other_key))
    if sign * (float(value) - other) < MIN_DEADBAND_K:
        raise Refused(
            Refusal.OUT_OF_RANGE,
            f"{key} {value} must stay {MIN_DEADBAND_K} K "
            f"{'above' if sign > 0 else 'below'} {other_key} {other}",
        )


def show_vav(
    device: SimDevice,
    vav: Vav,
    commands: Commands,
    reading_c: float,
    rh_pct: float,
    people: int,
    setpoints: ZoneSetpoints,
) -> None:
    room = vav.room
    device.set("zone_temp", round(reading_c, 1))
    device.set("zone_humidity", round(rh_pct, 1))
    device.set("zone_co2", float(round(room.co2_ppm)))
    device.set("airflow", float(round(vav.airflow_ls)))
    device.set("discharge_air_temp", round(vav.discharge_c, 1))
    device.set("damper_feedback", round(vav.damper_pct, 1))
    device.set("damper_command", round(commands.number("damper_command", vav.damper_cmd_pct), 1))
    device.set("reheat_command", round(vav.reheat_pct, 1))
    device.set("airflow_setpoint", float(round(vav.flow_setpoint_ls)))
    device.set("occupancy", people > 0)
    device.set("occupied_cooling_setpoint", setpoints.cooling)
    device.set("occupied_heating_setpoint", setpoints.heating)


def show_ahu(device: SimDevice, ahu: Ahu, commands: Commands, outdoor_c: float) -> None:
    device.set("supply_air_temp", round(ahu.supply_c, 1))
    device.set("return_air_temp", round(ahu.return_c, 1))
    device.set("mixed_air_temp", round(ahu.mixed_c, 1))
    device.set("outside_air_temp", round(outdoor_c, 1))
    device.set("return_air_humidity", round(ahu.return_rh, 1))
    device.set("return_air_co2", float(round(ahu.return_co2)))
    device.set("supply_airflow", float(round(ahu.flow_ls)))
    device.set("supply_fan_speed", round(ahu.speed_pct, 1))
    device.set("supply_fan_power", round(ahu.fan_kw, 2))
    device.set("filter_dp", float(round(ahu.filter_dp_pa)))
    device.set("duct_static_pressure", float(round(ahu.static_pa)))
    device.set("outside_air_damper", round(ahu.outdoor_pct, 1))
    device.set("cooling_valve", round(ahu.cooling_valve, 1))
    device.set("heating_valve", round(ahu.heating_valve, 1))
    device.set(
        "supply_air_temp_setpoint",
        round(commands.number("supply_air_temp_setpoint", ahu.sat_setpoint_c), 1),
    )
    device.set("duct_static_setpoint", commands.number("duct_static_setpoint", DESIGN_STATIC_PA))
    device.set("supply_fan_command", commands.flag("supply_fan_command", ahu.running))
    device.set("supply_fan_status", ahu.running)
    device.set("fire_shutdown", ahu.mode is AhuMode.FIRE_SHUTDOWN)
    device.set("filter_alarm", ahu.filter_dp_pa > FILTER_ALARM_PA)
    device.set("occupancy_mode", int(ahu.mode))
    device.set("occupancy_command", int(commands.number("occupancy_command", 1)))
