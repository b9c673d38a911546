"""The BACnet products of the ventilation system: fresh-air unit, exhaust fan, smoke fan.

Device instances 15301-15303: the fresh-air units of f2, f3, f4; 15304-15307: the toilet
exhaust fans of f1-f4; 15308-15309: the smoke-exhaust fans of the atrium and the stairs.
"""

from __future__ import annotations

from penworks.sim.devices import DeviceType
from penworks.sim.systems.hvac_points import (
    analog_input,
    analog_output,
    analog_value,
    binary_input,
    binary_output,
)

FRESH_AIR_UNIT = DeviceType(
    model="PAU-800 fresh-air unit controller",
    protocol="bacnet",
    vendor="Penworks Twin Controls",
    points=(
        analog_input("supply_air_temp", 1, "degC", "Supply air temperature", cov=0.2),
        analog_input("outside_air_temp", 2, "degC", "Outside air temperature", cov=0.2),
        analog_input("supply_airflow", 3, "L/s", "Supply airflow (all outdoor air)", cov=10.0),
        analog_input("supply_fan_speed", 4, "%", "Supply fan VFD speed", cov=1.0),
        analog_input("supply_fan_power", 5, "kW", "Supply fan VFD power", cov=0.05),
        analog_input("filter_dp", 6, "Pa", "Filter differential pressure", cov=5.0),
        analog_input("worst_zone_co2", 7, "ppm", "Highest CO2 of the floor's rooms", cov=10.0),
        analog_output("cooling_valve", 1, "Chilled water valve position"),
        analog_output("heating_valve", 2, "Hot water valve position"),
        analog_output(
            "supply_fan_speed_command",
            3,
            "Supply fan VFD speed (own control unless commanded; the drive holds at least 30 %)",
        ),
        analog_value(
            "co2_setpoint",
            1,
            "ppm",
            "CO2 setpoint of demand-controlled ventilation",
            default=800.0,
            low=600.0,
            high=1200.0,
            commandable=True,
        ),
        analog_value(
            "supply_air_temp_setpoint",
            2,
            "degC",
            "Supply air temperature setpoint",
            default=16.0,
            low=12.0,
            high=24.0,
            commandable=True,
        ),
        binary_output("supply_fan_command", 1, "Supply fan start/stop (schedule unless commanded)"),
        binary_input("supply_fan_status", 1, "Supply fan proven running"),
        binary_input("fire_shutdown", 2, "Stopped by the fire alarm panel"),
        binary_input("filter_alarm", 3, "Filter dirty (differential pressure above 200 Pa)"),
    ),
)

EXHAUST_FAN = DeviceType(
    model="EFC-10 exhaust fan controller",
    protocol="bacnet",
    vendor="Penworks Twin Controls",
    points=(
        analog_input("airflow", 1, "L/s", "Exhaust airflow", cov=10.0),
        binary_output("fan_command", 1, "Fan start/stop (schedule unless commanded)"),
        binary_input("fan_status", 1, "Fan running (current switch)"),
        binary_input("fire_shutdown", 2, "Stopped by the fire alarm panel"),
    ),
)

SMOKE_FAN = DeviceType(
    model="SFC-20 smoke-exhaust fan panel",
    protocol="bacnet",
    vendor="Penworks Twin Controls",
    points=(
        analog_input("airflow", 1, "L/s", "Smoke-exhaust airflow", cov=100.0),
        binary_output(
            "fan_command",
            1,
            "Manual start (the fire panel starts the fan on alarm whatever is commanded)",
        ),
        binary_input("fan_status", 1, "Fan running (airflow switch)"),
        binary_input("fire_mode", 2, "Started by the fire alarm panel"),
        binary_input("smoke_damper_open", 3, "Smoke damper open (end switch)"),
    ),
)
