"""The BACnet products of the water plant: chiller, pump drive, cooling tower, heat pump.

Device instances 15201-15209: chiller1-2, chilled-water pumps 1-2, condenser-water pumps 1-2,
the cooling tower, the air-source heat pump and its hot-water pump.
"""

from __future__ import annotations

from penworks.sim.devices import DeviceType, SimDevice
from penworks.sim.systems.hvac_plant import CHILLER_KW, Chiller, Pump
from penworks.sim.systems.hvac_points import (
    analog_input,
    analog_value,
    binary_input,
    binary_output,
    multi_state,
)

FAULT_NONE = 1
FAULT_COMPRESSOR_OVERLOAD = 4

CHILLER = DeviceType(
    model="WCS-300 water-cooled screw chiller",
    protocol="bacnet",
    vendor="Penworks Twin Chillers",
    points=(
        analog_input("chw_supply_temp", 1, "degC", "Chilled water leaving temperature", cov=0.1),
        analog_input("chw_return_temp", 2, "degC", "Chilled water entering temperature", cov=0.1),
        analog_input(
            "cw_entering_temp", 3, "degC", "Condenser water entering temperature", cov=0.1
        ),
        analog_input("cw_leaving_temp", 4, "degC", "Condenser water leaving temperature", cov=0.1),
        analog_input("chw_flow", 5, "L/s", "Evaporator water flow", cov=0.5),
        analog_input("load_pct", 6, "%", "Percent of full load capacity", cov=1.0),
        analog_input("cooling_output", 7, "kW", "Cooling output", cov=2.0),
        analog_input("power", 8, "kW", "Compressor electric power", cov=1.0),
        analog_input("cop", 9, None, "Coefficient of performance", cov=0.1),
        analog_input("run_hours", 10, "h", "Compressor run hours", cov=1.0),
        analog_value(
            "chw_supply_setpoint",
            1,
            "degC",
            "Chilled water leaving temperature setpoint",
            default=7.0,
            low=5.0,
            high=12.0,
            commandable=True,
        ),
        binary_output("enable", 1, "Chiller enable (plant staging unless commanded)"),
        binary_input("running", 1, "Compressor running"),
        binary_input("alarm", 2, "Chiller tripped on a safety (needs attention)"),
        multi_state(
            "fault_code",
            1,
            "1 none, 2 high condenser pressure, 3 low evaporator pressure, "
            "4 compressor motor overload, 5 low chilled water flow",
            5,
            kind="multi-state-input",
        ),
    ),
)

PUMP_DRIVE = DeviceType(
    model="VFD-55 pump drive",
    protocol="bacnet",
    vendor="Penworks Twin Drives",
    points=(
        analog_input("speed", 1, "%", "Drive output speed", cov=1.0),
        analog_input("power", 2, "kW", "Drive output power", cov=0.1),
        analog_input("differential_pressure", 3, "kPa", "Pump differential pressure", cov=2.0),
        binary_output("start_stop", 1, "Pump start/stop (plant control unless commanded)"),
        binary_input("status", 1, "Pump running (drive at speed)"),
        binary_input("fault", 2, "Drive fault"),
    ),
)

COOLING_TOWER = DeviceType(
    model="CTX-720 cooling tower controller",
    protocol="bacnet",
    vendor="Penworks Twin Chillers",
    points=(
        analog_input("fan_speed", 1, "%", "Fan drive speed", cov=1.0),
        analog_input("fan_power", 2, "kW", "Fan drive power", cov=0.1),
        analog_input("basin_temp", 3, "degC", "Basin (leaving) water temperature", cov=0.1),
        analog_input(
            "cw_entering_temp", 4, "degC", "Entering condenser water temperature", cov=0.1
        ),
        analog_input("outside_wet_bulb", 5, "degC", "Outside air wet-bulb temperature", cov=0.2),
        analog_value(
            "cw_supply_setpoint",
            1,
            "degC",
            "Condenser water supply setpoint (wet-bulb reset unless commanded)",
            default=26.0,
            low=18.0,
            high=32.0,
            commandable=True,
        ),
        binary_output("fan_command", 1, "Fan start/stop (runs with the condenser pumps)"),
        binary_input("fan_status", 1, "Fan running"),
    ),
)

HEAT_PUMP = DeviceType(
    model="ASW-250 air-to-water heat pump",
    protocol="bacnet",
    vendor="Penworks Twin Chillers",
    points=(
        analog_input("hhw_supply_temp", 1, "degC", "Hot water leaving temperature", cov=0.2),
        analog_input("hhw_return_temp", 2, "degC", "Hot water entering temperature", cov=0.2),
        analog_input("heating_output", 3, "kW", "Heating output", cov=2.0),
        analog_input("power", 4, "kW", "Electric power", cov=1.0),
        analog_input("cop", 5, None, "Coefficient of performance", cov=0.1),
        analog_input("outside_air_temp", 6, "degC", "Outside air temperature", cov=0.2),
        analog_value(
            "hhw_supply_setpoint",
            1,
            "degC",
            "Hot water leaving temperature setpoint",
            default=45.0,
            low=35.0,
            high=55.0,
            commandable=True,
        ),
        binary_output("enable", 1, "Heat pump enable (runs on heating requests unless commanded)"),
        binary_input("running", 1, "Compressors running"),
        binary_input("alarm", 2, "Heat pump in alarm"),
        binary_input("defrost", 3, "Defrost cycle"),
    ),
)


def show_chiller(device: SimDevice, chiller: Chiller, enable: bool, setpoint_c: float) -> None:
    device.set("chw_supply_temp", round(chiller.leaving_c, 1))
    device.set("chw_return_temp", round(chiller.return_c, 1))
    device.set("cw_entering_temp", round(chiller.cw_in_c, 1))
    device.set("cw_leaving_temp", round(chiller.cw_out_c, 1))
    device.set("chw_flow", round(chiller.flow_ls, 1))
    device.set("load_pct", round(100 * chiller.load_kw / CHILLER_KW, 1))
    device.set("cooling_output", round(chiller.load_kw, 1))
    device.set("power", round(chiller.power_kw, 1))
    device.set("cop", round(chiller.cop, 2))
    device.set("run_hours", float(int(chiller.run_hours)))
    device.set("chw_supply_setpoint", setpoint_c)
    device.set("enable", enable)
    device.set("running", chiller.running)
    device.set("alarm", chiller.tripped)
    device.set("fault_code", chiller.fault_code)


def show_pump(device: SimDevice, pump: Pump) -> None:
    """A drive runs as its start/stop says (the plant's, or the network's command)."""
    device.set("speed", round(100 * pump.speed if pump.running else 0.0, 1))
    device.set("power", round(pump.power_kw, 2))
    device.set("differential_pressure", round(pump.head_kpa, 1))
    device.set("start_stop", pump.running)
    device.set("status", pump.running)
