"""Every type, word order and byte order: decoding, encoding, round trips, refusals."""

from __future__ import annotations

import itertools
import math
import struct

import pytest

from penworks.connectors.modbus.codec import (
    CodecError,
    decode,
    encode,
    register_bytes,
    scaled,
    set_bit,
    unscaled,
)
from penworks.model.schema import ModbusBinding

ORDERS = list(itertools.product(("big", "little"), ("big", "little")))  # (word, byte)


def binding(type_: str = "uint16", **fields: object) -> ModbusBinding:
    return ModbusBinding(connector="modbus", device="d", address=0, type=type_, **fields)  # type: ignore[arg-type]


def device_registers(fmt: str, value: float, word: str, byte: str) -> list[int]:
    """How a device with these orders lays a value out, computed independently of the codec."""
    data = struct.pack(fmt, value)
    words = [data[i : i + 2] for i in range(0, len(data), 2)]
    if word == "little":
        words.reverse()
    if byte == "little":
        words = [w[::-1] for w in words]
    return [int.from_bytes(w, "big") for w in words]


SAMPLES: dict[str, tuple[str, list[float]]] = {
    "int16": (">h", [0, 1, -1, 12345, -32768, 32767]),
    "uint16": (">H", [0, 1, 0x1234, 65535]),
    "int32": (">i", [0, -1, 70000, -70000, -(2**31), 2**31 - 1]),
    "uint32": (">I", [0, 1, 0x12345678, 2**32 - 1]),
    "float32": (">f", [0.0, 1.5, -0.25, 21.5, 2.0**100, -(2.0**-100)]),  # exact in 32 bits
    "float64": (">d", [0.0, 1234.5678, -1e300, 5e-324]),
}
CASES = [
    (type_, word, byte, value)
    for type_, (_, values) in SAMPLES.items()
    for word, byte in ORDERS
    for value in values
]


@pytest.mark.parametrize(("type_", "word", "byte", "value"), CASES)
def test_decodes_what_a_device_with_each_order_holds(
    type_: str, word: str, byte: str, value: float
) -> None:
    fmt = SAMPLES[type_][0]
    b = binding(type_, word_order=word, byte_order=byte)
    registers = device_registers(fmt, value, word, byte)
    assert len(registers) == b.count
    assert decode(b, registers) == value
    assert encode(b, value) == registers


def test_known_layouts_of_one_float() -> None:
    """1.0 is 0x3F800000: the four layouts a device may use."""
    assert encode(binding("float32"), 1.0) == [0x3F80, 0x0000]
    assert encode(binding("float32", word_order="little"), 1.0) == [0x0000, 0x3F80]
    assert encode(binding("float32", byte_order="little"), 1.0) == [0x803F, 0x0000]
    assert encode(binding("float32", word_order="little", byte_order="little"), 1.0) == [
        0x0000,
        0x803F,
    ]


def test_negative_integers_are_twos_complement() -> None:
    assert decode(binding("int16"), [0xFFFF]) == -1
    assert decode(binding("uint16"), [0xFFFF]) == 65535
    assert decode(binding("int32"), [0xFFFE, 0xEE90]) == -70000
    assert decode(binding("int32", word_order="little"), [0xEE90, 0xFFFE]) == -70000
    assert encode(binding("int16"), -2) == [0xFFFE]


@pytest.mark.parametrize("type_", ["float32", "float64"])
@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
@pytest.mark.parametrize(("word", "byte"), ORDERS)
def test_nan_and_infinity_are_refused(type_: str, bad: float, word: str, byte: str) -> None:
    fmt = SAMPLES[type_][0]
    registers = device_registers(fmt, bad, word, byte)
    with pytest.raises(CodecError, match="not a finite number"):
        decode(binding(type_, word_order=word, byte_order=byte), registers)


def test_the_wrong_number_of_registers_is_refused() -> None:
    with pytest.raises(CodecError, match="needs 2 registers, got 1"):
        decode(binding("float32"), [0x3F80])


@pytest.mark.parametrize("byte", ["big", "little"])
def test_bits_of_a_register(byte: str) -> None:
    register = 0b1000_0000_0000_0101 if byte == "big" else 0b0000_0101_1000_0000
    for bit, expected in [(0, True), (1, False), (2, True), (15, True), (14, False)]:
        assert decode(binding("bit", bit=bit, function=3, byte_order=byte), [register]) is expected


@pytest.mark.parametrize("byte", ["big", "little"])
def test_set_bit_changes_only_its_bit(byte: str) -> None:
    b0 = binding("bit", bit=0, byte_order=byte)
    b9 = binding("bit", bit=9, byte_order=byte)
    register = 0xA4A4  # bit 0 clear in either byte order
    on = set_bit(b0, register, True)
    assert decode(b0, [on]) is True
    assert decode(b9, [on]) == decode(b9, [register])
    assert set_bit(b0, on, False) == register
    assert decode(b9, [set_bit(b9, register, True)]) is True


def test_register_bytes_are_as_on_the_wire() -> None:
    assert register_bytes([0x1234, 0xABCD]) == b"\x12\x34\xab\xcd"


def test_scale_and_offset_apply_to_numbers_only() -> None:
    b = binding(scale=0.1, offset=-40.0)
    assert scaled(b, 615) == pytest.approx(21.5)
    assert scaled(binding(), 7) == 7
    assert isinstance(scaled(binding(), 7), int)
    assert scaled(binding("bit", bit=1, scale=10.0), True) is True


@pytest.mark.parametrize(
    ("fields", "value", "raw"),
    [
        ({"scale": 0.1}, 21.5, 215),
        ({"scale": 0.1, "offset": -40.0}, 21.5, 615),
        ({"scale": 0.01}, 0.29, 29),  # 0.29 / 0.01 is 28.999999999999996
        ({}, True, 1),
        ({"type_": "float32", "scale": 2.0}, 3.0, 1.5),
        ({"type_": "int16"}, -5, -5),
    ],
)
def test_unscaled_inverts_scale_and_offset(
    fields: dict[str, object], value: object, raw: float
) -> None:
    type_ = str(fields.pop("type_", "uint16"))
    b = binding(type_, **fields)
    assert unscaled(b, value) == raw
    written = encode(b, unscaled(b, value))
    assert scaled(b, decode(b, written)) == pytest.approx(float(value))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("type_", "value", "why"),
    [
        ("uint16", 70000, r"outside the uint16 range 0\.\.65535"),
        ("uint16", -1, "outside the uint16 range"),
        ("int16", 32768, "outside the int16 range"),
        ("int32", 2**31, "outside the int32 range"),
        ("uint32", -1, "outside the uint32 range"),
        ("float32", 1e39, "outside the float32 range"),
        ("float64", math.inf, "not a finite number"),
        ("uint16", math.nan, "not a finite number"),
        ("uint16", "on", "holds a number"),
    ],
)
def test_values_a_type_cannot_hold_are_refused(type_: str, value: object, why: str) -> None:
    with pytest.raises(CodecError, match=why):
        unscaled(binding(type_), value)


def test_a_scaled_value_out_of_range_names_the_raw_value() -> None:
    with pytest.raises(CodecError, match=r"7000 is outside the uint16 range .*raw value 70000"):
        unscaled(binding(scale=0.1), 7000)


def test_a_zero_scale_cannot_be_inverted() -> None:
    with pytest.raises(CodecError, match="scale is 0"):
        unscaled(binding(scale=0.0), 1)


def test_bits_take_bools_or_zero_and_one() -> None:
    coil = ModbusBinding(connector="modbus", device="d", address=0, function=1, type="bit")
    assert unscaled(coil, 1) is True
    assert unscaled(coil, False) is False
    with pytest.raises(CodecError, match="a bit takes"):
        unscaled(coil, 2)
    with pytest.raises(CodecError, match="read-modify-write"):
        encode(binding("bit", bit=0), 1)
