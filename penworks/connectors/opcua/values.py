"""Values between OPC UA and points: DataValue -> quality and time; point value -> Variant.

Reading keeps the point's kind (coerce_value) and the binding's scale and offset; writing
inverts them and sends the node's own VariantType, refusing what that type cannot hold
before anything reaches the server (an Int32 node takes whole numbers in its range only).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import datetime

from asyncua import ua

from penworks.core import PayloadError, Quality, Value

VT = ua.VariantType

INTEGER_RANGES: dict[ua.VariantType, tuple[int, int]] = {
    VT.SByte: (-(2**7), 2**7 - 1),
    VT.Byte: (0, 2**8 - 1),
    VT.Int16: (-(2**15), 2**15 - 1),
    VT.UInt16: (0, 2**16 - 1),
    VT.Int32: (-(2**31), 2**31 - 1),
    VT.UInt32: (0, 2**32 - 1),
    VT.Int64: (-(2**63), 2**63 - 1),
    VT.UInt64: (0, 2**64 - 1),
}
FLOAT_LIMITS: dict[ua.VariantType, float] = {VT.Float: 3.4028234663852886e38, VT.Double: math.inf}
TEXT_TYPES = frozenset({VT.String, VT.LocalizedText})
UNRESOLVED_TYPES = frozenset({VT.Variant, VT.Null})  # abstract DataTypes (BaseDataType, Number)


def quality_of(status: ua.StatusCode | None) -> Quality:
    """OPC UA status severity as observation quality: Good, Uncertain, Bad."""
    if status is None or status.is_good():
        return Quality.GOOD
    if status.is_uncertain():
        return Quality.UNCERTAIN
    return Quality.BAD


def status_text(status: ua.StatusCode | None) -> str:
    """The status code's name, e.g. BadNodeIdUnknown (its number too when it has no name)."""
    if status is None:
        return "Good"
    code = ua.StatusCode(ua.UInt32(status.value & 0xFFFF0000))  # without info bits (limits)
    if code.doc.startswith("Unknown StatusCode"):
        return f"{code.name} (0x{status.value:08X})"
    return code.name


def data_time(value: ua.DataValue, receipt: Callable[[], datetime]) -> datetime:
    """When the value was true: the source's timestamp, else the server's, else receipt."""
    return value.SourceTimestamp or value.ServerTimestamp or receipt()


def raw_value(value: ua.DataValue) -> object:
    """The plain Python value a DataValue carries (a LocalizedText gives its text)."""
    variant = value.Value
    raw = None if variant is None else variant.Value
    if isinstance(raw, ua.LocalizedText):
        return raw.Text
    return raw


def natural_type(value: Value) -> ua.VariantType:
    """The VariantType for a value when the node's DataType is abstract (BaseDataType)."""
    if isinstance(value, bool):
        return VT.Boolean
    if isinstance(value, int):
        return VT.Int64
    if isinstance(value, float):
        return VT.Double
    return VT.String


def to_variant(value: Value, vtype: ua.VariantType, scale: float, offset: float) -> ua.Variant:
    """The Variant that writes a point's value to a node of type vtype; PayloadError if it can't."""
    if vtype is VT.Boolean:
        return ua.Variant(_as_bool(value, scale, offset), vtype)
    if vtype in INTEGER_RANGES:
        return ua.Variant(_as_integer(value, vtype, scale, offset), vtype)
    if vtype in FLOAT_LIMITS:
        return ua.Variant(_as_float(value, vtype, scale, offset), vtype)
    if vtype in TEXT_TYPES:
        if not isinstance(value, str):
            raise PayloadError(f"the node holds {vtype.name}: expected a text, got {value!r}")
        return ua.Variant(ua.LocalizedText(value) if vtype is VT.LocalizedText else value, vtype)
    raise PayloadError(f"the node holds {vtype.name}; only numbers, bools and texts are written")


def _raw_number(value: Value, vtype: ua.VariantType, scale: float, offset: float) -> float | int:
    """The device's number for a point's number: (value - offset) / scale."""
    if isinstance(value, bool):
        value = int(value)
    if not isinstance(value, int | float):
        raise PayloadError(f"the node holds {vtype.name}: expected a number, got {value!r}")
    if scale == 1.0 and offset == 0.0:
        return value
    if scale == 0.0:
        raise PayloadError("the binding's scale is 0, so a value cannot be turned back")
    return (value - offset) / scale


def _as_integer(value: Value, vtype: ua.VariantType, scale: float, offset: float) -> int:
    raw = _raw_number(value, vtype, scale, offset)
    if isinstance(raw, float):
        if not math.isfinite(raw) or abs(raw - round(raw)) > 1e-6:
            raise PayloadError(f"{raw:g} is not a whole number; the node holds {vtype.name}")
        raw = round(raw)
    low, high = INTEGER_RANGES[vtype]
    if not low <= raw <= high:
        raise PayloadError(f"{raw} is outside the range of {vtype.name} ({low}..{high})")
    return raw


def _as_float(value: Value, vtype: ua.VariantType, scale: float, offset: float) -> float:
    raw = float(_raw_number(value, vtype, scale, offset))
    if not math.isfinite(raw) or abs(raw) > FLOAT_LIMITS[vtype]:
        raise PayloadError(f"{raw:g} does not fit in {vtype.name}")
    return raw


def _as_bool(value: Value, scale: float, offset: float) -> bool:
    if isinstance(value, bool):
        return value
    raw = _raw_number(value, VT.Boolean, scale, offset)
    if raw not in (0, 1):
        raise PayloadError(f"the node holds Boolean: expected 0 or 1, got {raw:g}")
    return bool(raw)
