"""Registers <-> values: every type, word order and byte order of a ModbusBinding.

Pure functions, no I/O. Registers are the 16-bit numbers pymodbus hands over (each one
big-endian on the wire); `byte_order` swaps the two bytes of each register and
`word_order` says whether the first register holds the most significant word. Scale and
offset apply to numbers (value = raw * scale + offset) and are inverted for writes.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Callable, Sequence

from penworks.core import PayloadError
from penworks.model.schema import ModbusBinding, ModbusType

# struct format (big-endian) of each type that spans whole registers
_FORMATS: dict[ModbusType, str] = {
    "int16": ">h",
    "uint16": ">H",
    "int32": ">i",
    "uint32": ">I",
    "float32": ">f",
    "float64": ">d",
}
INT_RANGES: dict[ModbusType, tuple[int, int]] = {
    "int16": (-(2**15), 2**15 - 1),
    "uint16": (0, 2**16 - 1),
    "int32": (-(2**31), 2**31 - 1),
    "uint32": (0, 2**32 - 1),
}
FLOAT32_MAX = 3.4028234663852886e38
TABLES: dict[int, str] = {1: "coil", 2: "di", 3: "hr", 4: "ir"}

Raw = int | float | bool


class CodecError(PayloadError):
    """Registers that do not make a value, or a value that does not fit the registers."""


def register_bytes(registers: Sequence[int]) -> bytes:
    """The registers as the device sent them (two big-endian bytes each)."""
    return b"".join((r & 0xFFFF).to_bytes(2, "big") for r in registers)


def _ordered(data: bytes, binding: ModbusBinding) -> bytes:
    """Device order <-> big-endian order; the same swap both ways."""
    words = [data[i : i + 2] for i in range(0, len(data), 2)]
    if binding.byte_order == "little":
        words = [w[::-1] for w in words]
    if binding.word_order == "little":
        words.reverse()
    return b"".join(words)


def _words(data: bytes) -> list[int]:
    return [int.from_bytes(data[i : i + 2], "big") for i in range(0, len(data), 2)]


Decoder = Callable[[Sequence[int] | Sequence[bool], int], Raw]
"""Reads a binding's raw value from an answer, at an offset into it."""


def decode(binding: ModbusBinding, registers: Sequence[int]) -> Raw:
    """The raw value (before scale and offset) that registers of this binding hold."""
    if len(registers) != binding.count:
        raise CodecError(f"{binding.type} needs {binding.count} registers, got {len(registers)}")
    return decoder(binding)(registers, 0)


def decoder(binding: ModbusBinding) -> Decoder:
    """A decoder for the binding, prepared once: polls decode thousands of values a second."""
    if binding.function in (1, 2):
        return _answered_bit
    if binding.type in ("uint16", "int16", "bit"):
        return _word_decoder(binding)
    words = struct.Struct(("<" if binding.byte_order == "little" else ">") + "H" * binding.count)
    value = struct.Struct(_FORMATS[binding.type])
    count, reverse = binding.count, binding.word_order == "little"
    floating = binding.type in ("float32", "float64")
    name = binding.type

    def read(answer: Sequence[int] | Sequence[bool], at: int) -> Raw:
        found = list(answer[at : at + count])
        if len(found) != count:
            raise CodecError(f"{name} needs {count} registers, got {len(found)}")
        if reverse:
            found.reverse()
        (raw,) = value.unpack(words.pack(*found))
        if floating and not math.isfinite(raw):
            raise CodecError(f"{name} registers hold {raw}, not a finite number")
        return raw  # type: ignore[no-any-return]

    return read


def _answered_bit(answer: Sequence[int] | Sequence[bool], at: int) -> Raw:
    return bool(answer[at])


def _word_decoder(binding: ModbusBinding) -> Decoder:
    swap = binding.byte_order == "little"
    kind, bit = binding.type, binding.bit

    def read(answer: Sequence[int] | Sequence[bool], at: int) -> Raw:
        word = int(answer[at])
        if swap:
            word = ((word & 0xFF) << 8) | (word >> 8)
        if kind == "uint16":
            return word
        if kind == "int16":
            return word - 0x10000 if word & 0x8000 else word
        assert bit is not None  # the binding's validator requires it for a bit of a register
        return bool((word >> bit) & 1)

    return read


def encode(binding: ModbusBinding, raw: int | float) -> list[int]:
    """The registers that hold a raw value of a register type (not a bit of a register)."""
    if binding.type == "bit":
        raise CodecError("a bit of a register is written by read-modify-write: use set_bit")
    packed = struct.pack(_FORMATS[binding.type], raw)
    return _words(_ordered(packed, binding))


def set_bit(binding: ModbusBinding, register: int, on: bool) -> int:
    """The register with the binding's bit set or cleared (in the device's byte order)."""
    assert binding.bit is not None
    value = int.from_bytes(_ordered(register_bytes([register]), binding), "big")
    value = value | (1 << binding.bit) if on else value & ~(1 << binding.bit)
    return _words(_ordered(value.to_bytes(2, "big"), binding))[0]


def scaled(binding: ModbusBinding, raw: Raw) -> Raw:
    """value = raw * scale + offset for numbers; bits and unscaled values are kept as they are."""
    if isinstance(raw, bool) or (binding.scale == 1.0 and binding.offset == 0.0):
        return raw
    return raw * binding.scale + binding.offset


def unscaled(binding: ModbusBinding, value: object) -> Raw:
    """The raw value to write for an engineering value; CodecError if it cannot be written."""
    if binding.type == "bit":
        if isinstance(value, bool) or value in (0, 1):
            return bool(value)
        raise CodecError(f"a bit takes true/false or 0/1, not {value!r:.40}")
    if isinstance(value, bool):
        value = int(value)
    if not isinstance(value, int | float):
        raise CodecError(f"a {binding.type} register holds a number, not {value!r:.40}")
    raw: int | float = value
    if binding.scale != 1.0 or binding.offset != 0.0:
        if binding.scale == 0.0:
            raise CodecError("the binding's scale is 0: no raw value gives this value")
        raw = (value - binding.offset) / binding.scale
    return _fit(binding.type, raw, value)


def _fit(kind: ModbusType, raw: int | float, value: int | float) -> int | float:
    if not math.isfinite(raw):
        raise CodecError(f"{value} is not a finite number")
    if kind in INT_RANGES:
        low, high = INT_RANGES[kind]
        whole = round(raw)  # the nearest step the register can hold
        if not low <= whole <= high:
            raw_note = "" if whole == value else f" (raw value {whole})"
            raise CodecError(f"{value} is outside the {kind} range {low}..{high}{raw_note}")
        return whole
    if kind == "float32" and abs(raw) > FLOAT32_MAX:
        raise CodecError(f"{value} is outside the float32 range")
    return float(raw)
