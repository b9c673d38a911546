"""One OPC UA variable per point: its DataType, its DataValue, and a client's value read back.

The DataType rule: bool points are Boolean, text points String; a number is Int32 when it
counts states or whole things (it has `states`, or its unit is one of WHOLE_UNITS such as
floor) or when its spec says so by its types (a Python int default, and whole limits where
set); every other number is Double. A device value the DataType cannot hold is clamped to
the Int32 range, or kept out (a text in a number, NaN in an Int32), logged once per variable.

What clients see carries the device's health: BadDeviceFailure while the device is in
fault, BadCommunicationError while it is offline (the server itself stays up), the value
with Good otherwise.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from datetime import UTC, datetime

from asyncua import ua

from penworks.core import PointKind, Value
from penworks.sim.devices import PointSpec, Refusal, SimDevice
from penworks.sim.servers.opcua_names import StatusCodes, status

log = logging.getLogger(__name__)

VT = ua.VariantType
INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1
WHOLE_UNITS = frozenset({"floor", "floors", "count", "people", "persons", "cars", "steps"})

GOOD = StatusCodes.Good
STATUS_OF_REFUSAL: dict[Refusal, int] = {
    Refusal.OUT_OF_RANGE: StatusCodes.BadOutOfRange,
    Refusal.WRONG_TYPE: StatusCodes.BadTypeMismatch,
    Refusal.READ_ONLY: StatusCodes.BadNotWritable,
    Refusal.DEVICE_FAULT: StatusCodes.BadDeviceFailure,
    Refusal.UNKNOWN: StatusCodes.BadNodeIdUnknown,
}


class Unfit(ValueError):
    """A device value the variable's DataType cannot hold at all."""


def variant_type(spec: PointSpec) -> ua.VariantType:
    if spec.kind is PointKind.BOOL:
        return VT.Boolean
    if spec.kind is PointKind.TEXT:
        return VT.String
    return VT.Int32 if is_whole(spec) else VT.Double


def is_whole(spec: PointSpec) -> bool:
    if spec.states is not None or (spec.unit or "").lower() in WHOLE_UNITS:
        return True
    whole_default = isinstance(spec.default, int) and not isinstance(spec.default, bool)
    limits = [limit for limit in (spec.min, spec.max) if limit is not None]
    return whole_default and all(float(limit).is_integer() for limit in limits)


def device_status(device: SimDevice) -> int:
    if not device.online:
        return StatusCodes.BadCommunicationError
    if device.fault is not None:
        return StatusCodes.BadDeviceFailure
    return GOOD


def to_variant(vtype: ua.VariantType, value: Value) -> tuple[ua.Variant, bool]:
    """The Variant of a device value, and whether it had to be clamped; Unfit if it can't be."""
    if vtype is VT.String:
        return ua.Variant(str(value), vtype), False
    if isinstance(value, str):
        raise Unfit(f"a {vtype.name} cannot hold the text {value!r:.40}")
    if vtype is VT.Boolean:
        return ua.Variant(bool(value), vtype), False
    if vtype is VT.Double:
        return ua.Variant(float(value), vtype), False
    if math.isnan(value):
        raise Unfit("an Int32 cannot hold NaN")
    whole = max(INT32_MIN, min(INT32_MAX, value))
    return ua.Variant(round(whole), vtype), whole != value


def from_variant(vtype: ua.VariantType, raw: object) -> Value:
    """A client's value as the device takes it; Unfit for a value of another type."""
    if vtype is VT.Boolean and isinstance(raw, bool):
        return raw
    if vtype is VT.Int32 and isinstance(raw, int) and not isinstance(raw, bool):
        return raw
    if vtype is VT.Double and isinstance(raw, float):
        return raw
    if vtype is VT.String and isinstance(raw, str):
        return raw
    raise Unfit(f"a {vtype.name} variable does not take {raw!r:.40}")


def ua_time(when: datetime) -> ua.DateTime:
    """A Clock's time as asyncua's DateTime (the type its DataValue timestamps declare)."""
    return ua.DateTime.fromtimestamp(when.timestamp(), tz=UTC)


@dataclass(eq=False, slots=True)
class DeviceVariable:
    """The variable of one point of one device, and what clients see of it now."""

    device: SimDevice
    spec: PointSpec
    node_id: ua.NodeId
    vtype: ua.VariantType
    shown: tuple[Value | None, int] | None = None  # (value, status) last written to the node
    warned: bool = False

    @property
    def key(self) -> str:
        return self.spec.key

    def data_value(self, code: int, now: ua.DateTime) -> ua.DataValue | None:
        """What the node should show now, or None when it shows it already (or can't)."""
        value = self.device.get(self.key) if code == GOOD else None
        if self.shown == (value, code):
            return None
        variant = ua.Variant(None)  # a bad status carries no value (OPC UA Part 4, 7.7.1)
        if value is not None:
            try:
                variant, clamped = to_variant(self.vtype, value)
            except Unfit as exc:
                self._warn(f"{value!r} kept off the node: {exc}")
                return None
            if clamped:
                self._warn(f"{value!r} does not fit Int32: clamped")
        self.shown = (value, code)
        return ua.DataValue(variant, status(code), SourceTimestamp=now, ServerTimestamp=now)

    def _warn(self, what: str) -> None:
        if not self.warned:
            self.warned = True
            log.warning("%s %s: %s", self.device.name, self.key, what)
