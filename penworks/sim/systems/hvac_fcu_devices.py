"""The fan-coil thermostat's Modbus register map (FC-200 room controller), as its manual lists it.

Holding registers (read/write, function 3; writes with 6 or 16):
  0 power        uint16   0 off, 1 on
  1 mode         uint16   0 cool, 1 heat, 2 fan only, 3 auto
  2 fan_speed    uint16   0 auto, 1 low, 2 medium, 3 high
  3 setpoint     int16    x0.1 degC, 16.0..30.0
Input registers (read-only, function 4):
  0 room_temp      int16   x0.1 degC
  1 room_humidity  uint16  x0.1 %RH
  2 cooling_valve  uint16  % open
  3 heating_valve  uint16  % open
  4 fan_status     uint16  0 off, 1 low, 2 medium, 3 high
  5 fault_code     uint16  0 none, 1 room sensor, 2 fan motor, 3 condensate high, 4 frost
A write outside a register's range is refused with exception 3 (illegal data value).
"""

from __future__ import annotations

from enum import IntEnum

from penworks.core import PointKind
from penworks.sim.devices import DeviceType, ModbusRegister, ModbusType, PointSpec


class FcuMode(IntEnum):
    COOL = 0
    HEAT = 1
    FAN = 2
    AUTO = 3


class FanSpeed(IntEnum):
    AUTO = 0
    LOW = 1
    MEDIUM = 2
    HIGH = 3


def _holding(
    key: str, address: int, description: str, low: float, high: float, default: float
) -> PointSpec:
    return PointSpec(
        key,
        description=description,
        writable=True,
        min=low,
        max=high,
        default=default,
        modbus=ModbusRegister(3, address, "uint16"),
    )


def _input(
    key: str, address: int, unit: str | None, description: str, scale: float = 1.0
) -> PointSpec:
    kind: ModbusType = "int16" if unit == "degC" else "uint16"
    register = ModbusRegister(4, address, kind, scale)
    return PointSpec(key, unit=unit, description=description, modbus=register)


FAN_COIL_THERMOSTAT = DeviceType(
    model="FC-200 fan-coil room controller",
    protocol="modbus",
    vendor="Penworks Twin Controls",
    points=(
        PointSpec(
            "power",
            PointKind.BOOL,
            description="Unit on/off (0 off, 1 on)",
            writable=True,
            default=False,
            modbus=ModbusRegister(3, 0, "uint16"),
        ),
        _holding("mode", 1, "0 cool, 1 heat, 2 fan only, 3 auto", 0, 3, int(FcuMode.AUTO)),
        _holding("fan_speed", 2, "0 auto, 1 low, 2 medium, 3 high", 0, 3, int(FanSpeed.AUTO)),
        PointSpec(
            "setpoint",
            unit="degC",
            description="Room temperature setpoint",
            writable=True,
            min=16.0,
            max=30.0,
            default=24.0,
            modbus=ModbusRegister(3, 3, "int16", 0.1),
        ),
        _input("room_temp", 0, "degC", "Room temperature", 0.1),
        _input("room_humidity", 1, "%RH", "Room relative humidity", 0.1),
        _input("cooling_valve", 2, "%", "Chilled water valve position"),
        _input("heating_valve", 3, "%", "Hot water valve position"),
        _input("fan_status", 4, None, "0 off, 1 low, 2 medium, 3 high"),
        _input("fault_code", 5, None, "0 none, 1 room sensor, 2 fan motor, 3 condensate, 4 frost"),
    ),
)
