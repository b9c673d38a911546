"""BACnet values in and out: decoding to point values, status flags to quality, encoding commands.

Quality from an object's status flags (and its out-of-service property):

- fault: BAD. The device itself says the value is unreliable (sensor open, comm loss).
- out-of-service or overridden: UNCERTAIN. The value is real but not what the object measures
  or what control asked: someone set it by hand, or a local override holds it.
- in-alarm: GOOD. The value is real; it is only outside its normal range, which is what
  alarms are for, not a reason to distrust it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from bacpypes3.basetypes import BinaryPV
from bacpypes3.primitivedata import (
    Boolean,
    CharacterString,
    Double,
    Enumerated,
    Integer,
    Null,
    Real,
    Unsigned,
)

from penworks.connectors.bacnet.objects import Datatype, ObjectRef
from penworks.core import PayloadError, Point, PointKind, Quality, Value, coerce_value


@dataclass(frozen=True, slots=True)
class Undecoded:
    """A value the device sent that bacpypes3 could not decode; the reason says why."""

    reason: str


@dataclass(frozen=True, slots=True)
class StatusFlags:
    in_alarm: bool
    fault: bool
    overridden: bool
    out_of_service: bool


def plain(raw: object) -> Value:
    """A decoded BACnet value as a plain number, bool or text, or PayloadError."""
    if isinstance(raw, Undecoded):
        raise PayloadError(raw.reason)
    if isinstance(raw, BinaryPV):
        return int(raw) == 1  # active
    if isinstance(raw, Boolean):
        return bool(raw)
    if isinstance(raw, Null):
        raise PayloadError("the device sent null")
    if isinstance(raw, Enumerated):
        return str(raw)  # a named state, e.g. normal, or a life-safety state: pre-alarm
    if isinstance(raw, float):  # Real, Double
        return float(raw)
    if isinstance(raw, int) and not isinstance(raw, bool):  # Unsigned, Integer
        return int(raw)
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, str):  # CharacterString
        return str(raw)
    raise PayloadError(f"a {type(raw).__name__} is not a number, bool or text")


def point_value(point: Point, raw: object) -> Value:
    """The value a point takes from a device value; binary values are 1/0 for number points."""
    value = plain(raw)
    if point.kind is PointKind.NUMBER and isinstance(value, bool):
        value = int(value)
    return coerce_value(point.kind, value)


def describe(raw: object) -> bytes:
    """A device value as the payload of a dead letter."""
    if isinstance(raw, Undecoded):
        return raw.reason.encode()
    return f"{type(raw).__name__} {raw!s}".encode()


def status_flags(raw: object) -> StatusFlags | None:
    """The four status flags, from a decoded StatusFlags bit string (None if it is not one)."""
    if not isinstance(raw, list) or len(raw) < 4:
        return None
    in_alarm, fault, overridden, out_of_service = (bool(bit) for bit in raw[:4])
    return StatusFlags(in_alarm, fault, overridden, out_of_service)


def quality(flags: StatusFlags | None, out_of_service: object = None) -> Quality:
    """The quality of a value read with these flags (see the module's docstring)."""
    if flags is not None and flags.fault:
        return Quality.BAD
    out = (flags is not None and (flags.out_of_service or flags.overridden)) or (
        isinstance(out_of_service, int) and bool(out_of_service)
    )
    return Quality.UNCERTAIN if out else Quality.GOOD


def encode_command(obj: ObjectRef, value: Value) -> object:
    """A checked point value as the datatype of the object's present-value, or PayloadError."""
    info = obj.info
    if info is None:
        raise PayloadError(f"{obj.type} is not an object type Penworks writes")
    datatype = info.datatype
    if datatype is Datatype.ENUMERATED:
        raise PayloadError(f"{obj.type} objects are observed, never commanded")
    if datatype is Datatype.BINARY:
        return BinaryPV("active" if _binary(value) else "inactive")
    if datatype is Datatype.TEXT:
        if not isinstance(value, str):
            raise PayloadError(f"{obj.type} takes a text, not {value!r}")
        return CharacterString(value)
    number = _number(obj, value)
    if datatype is Datatype.REAL:
        return Real(number)
    if datatype is Datatype.DOUBLE:
        return Double(number)
    whole = _whole(obj, number)
    if datatype is Datatype.INTEGER:
        return Integer(whole)
    lowest = 1 if obj.type.startswith("multi-state") else 0  # states count from 1
    if whole < lowest:
        raise PayloadError(f"{obj.type} takes a whole number from {lowest}, not {whole}")
    return Unsigned(whole)


def relinquish_value() -> object:
    """What a relinquish writes at its priority: null."""
    return Null(())


def _binary(value: Value) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    raise PayloadError(f"a binary object takes true/false (or 1/0), not {value!r}")


def _number(obj: ObjectRef, value: Value) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise PayloadError(f"{obj.type} takes a number, not {value!r}")
    if not math.isfinite(value):
        raise PayloadError(f"{obj.type} takes a finite number, not {value!r}")
    return float(value)


def _whole(obj: ObjectRef, number: float) -> int:
    if not number.is_integer():
        raise PayloadError(f"{obj.type} takes a whole number, not {number:g}")
    return int(number)
