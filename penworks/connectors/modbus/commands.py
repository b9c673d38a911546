"""Commands checked before they reach a device, and turned into what is written.

Everything here refuses with CommandRejected, saying why: a read-only point or function,
a value of the wrong kind or outside the point's limits, or a value the register type
cannot hold once scale and offset are inverted (70000 in a uint16).
"""

from __future__ import annotations

from dataclasses import dataclass

from penworks.connectors.modbus.codec import encode, unscaled
from penworks.connectors.modbus.plan import Slot
from penworks.core import CommandRejected, PayloadError, Value

_READ_ONLY = {2: "discrete inputs", 4: "input registers"}


@dataclass(frozen=True, slots=True)
class CoilWrite:
    """Function 5: one coil."""

    address: int
    value: bool


@dataclass(frozen=True, slots=True)
class RegistersWrite:
    """Function 6 (one register) or 16 (more)."""

    address: int
    registers: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class BitWrite:
    """One bit of a holding register: read, set or clear the bit, write back (function 6)."""

    address: int
    value: bool


Write = CoilWrite | RegistersWrite | BitWrite


def prepare_write(slot: Slot, value: Value) -> Write:
    """What to send for a command, or CommandRejected saying why it may not be sent."""
    point, binding = slot.point, slot.binding
    if not point.writable:
        raise CommandRejected(f"{point.id}: the point is not writable")
    if binding.function in _READ_ONLY:
        table = _READ_ONLY[binding.function]
        raise CommandRejected(
            f"{point.id}: it is bound to function {binding.function} ({table}), "
            "which Modbus devices do not let anyone write"
        )
    try:
        checked = point.check_command_value(value)
        raw = unscaled(binding, checked)
    except PayloadError as exc:
        raise CommandRejected(f"{point.id}: {exc}") from None
    if binding.function == 1:
        return CoilWrite(binding.address, bool(raw))
    if binding.type == "bit":
        return BitWrite(binding.address, bool(raw))
    return RegistersWrite(binding.address, tuple(encode(binding, raw)))
