"""Point values <-> Modbus registers, as the twin's devices store them.

Pure functions, no I/O. Words and bytes are big-endian (the Modbus convention), and
register = value / scale. A value that does not fit its register type saturates at the
type's limits, as a real device's firmware does; the caller is told so it can log it.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Sequence
from dataclasses import dataclass

from penworks.core import Value
from penworks.sim.devices import ModbusRegister, ModbusType

WORDS: dict[ModbusType, int] = {
    "int16": 1,
    "uint16": 1,
    "int32": 2,
    "uint32": 2,
    "float32": 2,
    "float64": 4,
    "bit": 1,
}
_FORMATS: dict[ModbusType, struct.Struct] = {
    "int16": struct.Struct(">h"),
    "uint16": struct.Struct(">H"),
    "int32": struct.Struct(">i"),
    "uint32": struct.Struct(">I"),
    "float32": struct.Struct(">f"),
    "float64": struct.Struct(">d"),
}
INT_LIMITS: dict[ModbusType, tuple[int, int]] = {
    "int16": (-(2**15), 2**15 - 1),
    "uint16": (0, 2**16 - 1),
    "int32": (-(2**31), 2**31 - 1),
    "uint32": (0, 2**32 - 1),
}
FLOAT32_MAX = 3.4028234663852886e38
_SIGNIFICANT = 12  # digits kept of raw * scale, so 215 * 0.1 reads 21.5


class EncodeError(ValueError):
    """A value no register can hold at all (a text, a NaN in an integer register)."""


@dataclass(frozen=True, slots=True)
class Encoded:
    """The registers that hold a value, and whether the value had to be saturated."""

    words: tuple[int, ...]
    clamped: bool = False


def encode(register: ModbusRegister, value: Value) -> Encoded:
    """The words of a whole-register value (every type but bit)."""
    raw = _raw_number(value) / register.scale
    if register.type in INT_LIMITS:
        whole, clamped = _saturate_int(register.type, raw)
        packed = _FORMATS[register.type].pack(whole)
    else:
        number, clamped = _saturate_float(register.type, raw)
        packed = _FORMATS[register.type].pack(number)
    words = tuple(int.from_bytes(packed[i : i + 2], "big") for i in range(0, len(packed), 2))
    return Encoded(words, clamped)


def encode_bit(value: Value) -> bool:
    """A coil, discrete input or register bit: on for true and any non-zero number."""
    if isinstance(value, str):
        raise EncodeError(f"a bit holds on/off, not the text {value!r:.40}")
    return bool(value)


def decode(register: ModbusRegister, words: Sequence[int]) -> int | float:
    """The value that whole registers hold (raw * scale; integers stay int when unscaled)."""
    data = b"".join((w & 0xFFFF).to_bytes(2, "big") for w in words)
    (raw,) = _FORMATS[register.type].unpack(data)
    if register.scale == 1.0:
        return raw  # type: ignore[no-any-return]
    scaled = raw * register.scale
    if register.type in INT_LIMITS:
        return float(f"{scaled:.{_SIGNIFICANT}g}")
    return float(scaled)


def word_bit(word: int, bit: int) -> bool:
    return bool((word >> bit) & 1)


def with_bit(word: int, bit: int, on: bool) -> int:
    return word | (1 << bit) if on else word & ~(1 << bit) & 0xFFFF


def _raw_number(value: Value) -> float:
    if isinstance(value, str):
        raise EncodeError(f"a register holds a number, not the text {value!r:.40}")
    return float(value)


def _saturate_int(kind: ModbusType, raw: float) -> tuple[int, bool]:
    if math.isnan(raw):
        raise EncodeError(f"{kind} cannot hold NaN")
    low, high = INT_LIMITS[kind]
    if raw <= low:
        return low, raw < low
    if raw >= high:
        return high, raw > high
    return round(raw), False


def _saturate_float(kind: ModbusType, raw: float) -> tuple[float, bool]:
    if kind == "float32" and math.isfinite(raw) and abs(raw) > FLOAT32_MAX:
        return math.copysign(FLOAT32_MAX, raw), True
    return raw, False  # NaN and infinities are IEEE values a float register holds as they are
