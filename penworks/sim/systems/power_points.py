"""Read-only Modbus points of the power and water products, as their manuals list them.

Readings sit in input registers (function 4): 32-bit floats, or integers holding value /
scale (16-bit ones signed for temperatures). States sit in discrete inputs (function 2).
"""

from __future__ import annotations

from penworks.core import PointKind
from penworks.sim.devices import ModbusRegister, ModbusType, PointSpec


def reading(
    key: str,
    unit: str | None,
    address: int,
    description: str,
    *,
    kind: ModbusType = "float32",
    scale: float = 1.0,
) -> PointSpec:
    """A reading in the input registers."""
    register = ModbusRegister(4, address, kind, scale)
    return PointSpec(key, PointKind.NUMBER, unit, description, modbus=register)


def scaled(key: str, unit: str | None, address: int, scale: float, description: str) -> PointSpec:
    """A reading in one 16-bit input register (value / scale): signed for temperatures."""
    kind: ModbusType = "int16" if unit == "degC" else "uint16"
    return reading(key, unit, address, description, kind=kind, scale=scale)


def status(key: str, address: int, description: str) -> PointSpec:
    """An on/off state in the discrete inputs."""
    register = ModbusRegister(2, address, "bit")
    return PointSpec(key, PointKind.BOOL, None, description, default=False, modbus=register)
