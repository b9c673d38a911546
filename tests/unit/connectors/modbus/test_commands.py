"""Command checks, made before anything is sent."""

from __future__ import annotations

import pytest

from penworks.connectors.modbus.commands import BitWrite, CoilWrite, RegistersWrite, prepare_write
from penworks.connectors.modbus.plan import Slot
from penworks.core import CommandRejected, PointKind
from tests.unit.connectors.modbus.support import binding, point


def test_a_coil_is_written_as_a_bool() -> None:
    slot = Slot(point("p", PointKind.BOOL, writable=True), binding(3, function=1, type="bit"))
    assert prepare_write(slot, True) == CoilWrite(3, True)


def test_registers_are_encoded_with_scale_and_order() -> None:
    slot = Slot(point("p", writable=True), binding(8, type="int32", word_order="little"))
    assert prepare_write(slot, -2) == RegistersWrite(8, (0xFFFE, 0xFFFF))
    scaled = Slot(point("p", writable=True), binding(2, scale=0.5, offset=10.0))
    assert prepare_write(scaled, 21) == RegistersWrite(2, (22,))


def test_a_bit_of_a_register_is_a_read_modify_write() -> None:
    slot = Slot(point("p", PointKind.BOOL, writable=True), binding(6, type="bit", bit=4))
    assert prepare_write(slot, False) == BitWrite(6, False)


@pytest.mark.parametrize(
    ("slot", "value", "why"),
    [
        (Slot(point("p"), binding(0)), 1, "not writable"),
        (Slot(point("p", writable=True), binding(0, function=4)), 1, "input registers"),
        (
            Slot(point("p", writable=True), binding(0, function=2, type="bit")),
            1,
            "discrete inputs",
        ),
        (Slot(point("p", writable=True, min=10), binding(0)), 5, "below the point's minimum"),
        (Slot(point("p", writable=True), binding(0)), "x", "expected a number"),
        (Slot(point("p", PointKind.TEXT, writable=True), binding(0)), "x", "holds a number"),
        (Slot(point("p", writable=True), binding(0, type="int16")), 40000, "int16 range"),
    ],
)
def test_refusals_say_why(slot: Slot, value: object, why: str) -> None:
    with pytest.raises(CommandRejected, match=why):
        prepare_write(slot, value)  # type: ignore[arg-type]
