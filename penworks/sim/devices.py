"""The twin's devices as data: products with their point lists, and instances of them.

A `DeviceType` is a product as its vendor documents it: the points it offers, each with
its protocol address (a Modbus register, a BACnet object, an OPC UA variable, an MQTT JSON
key), unit, range and whether it can be written. A `SimDevice` is one installed unit of a
product: its name, its address on the network (unit id, device instance, topic, object)
and the current value of every point. Systems set readings each step and read what was
commanded; the protocol servers push out what changed after each step (`take_changes`)
and hand writes to `SimDevice.write`,
which refuses what the real device would refuse (`Refused`, which each server turns into
its protocol's refusal: a Modbus exception, a BACnet error, a bad OPC UA status).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal

from penworks.core import PointKind, Value
from penworks.core.repeats import repeated

Protocol = Literal["mqtt", "modbus", "bacnet", "opcua"]
ModbusType = Literal["int16", "uint16", "int32", "uint32", "float32", "float64", "bit"]


class Refusal(StrEnum):
    """Why a device refuses a write (each protocol has its own way to say it)."""

    READ_ONLY = "read_only"  # Modbus illegal function/address, BACnet write-access-denied
    OUT_OF_RANGE = "out_of_range"  # Modbus illegal data value, BACnet value-out-of-range
    WRONG_TYPE = "wrong_type"  # BACnet invalid-data-type, OPC UA BadTypeMismatch
    UNKNOWN = "unknown"  # no such point: Modbus illegal address, BACnet unknown-object
    DEVICE_FAULT = "device_fault"  # the device is in fault: Modbus device failure


class Refused(Exception):
    """A write the device refuses, with why."""

    def __init__(self, refusal: Refusal, detail: str) -> None:
        super().__init__(detail)
        self.refusal = refusal
        self.detail = detail


@dataclass(frozen=True, slots=True)
class ModbusRegister:
    """Where a point lives in a Modbus device's register map (zero-based address)."""

    function: Literal[1, 2, 3, 4]  # 1 coils, 2 discrete inputs, 3 holding, 4 input registers
    address: int
    type: ModbusType = "uint16"
    scale: float = 1.0  # raw = value / scale (the register holds value / scale)
    bit: int | None = None  # for type bit in a register


@dataclass(frozen=True, slots=True)
class BacnetObject:
    """The BACnet object that holds a point: type and instance, e.g. analog-input 1."""

    type: str  # analog-input, analog-output, analog-value, binary-input, ...
    instance: int
    commandable: bool = False  # has a priority array (outputs, commandable values)
    cov_increment: float | None = None


@dataclass(frozen=True, slots=True)
class PointSpec:
    """One point of a product, as its manual lists it."""

    key: str  # the device's own name for it (MQTT JSON key, OPC UA browse name)
    kind: PointKind = PointKind.NUMBER
    unit: str | None = None
    description: str = ""
    writable: bool = False
    min: float | None = None
    max: float | None = None
    default: Value = 0.0
    modbus: ModbusRegister | None = None
    bacnet: BacnetObject | None = None
    states: int | None = None  # number of states of a multi-state value (1..states)

    def check(self, value: Value | None) -> Value | None:
        """The value a write may set (None: relinquish), or Refused saying why not."""
        if not self.writable:
            raise Refused(Refusal.READ_ONLY, f"{self.key} is read-only")
        if value is None:
            return None
        if self.kind is PointKind.BOOL:
            if isinstance(value, bool):
                return value
            if isinstance(value, int | float) and value in (0, 1):
                return bool(value)
            raise Refused(Refusal.WRONG_TYPE, f"{self.key} takes on/off, not {value!r}")
        if self.kind is PointKind.TEXT:
            if isinstance(value, str):
                return value
            raise Refused(Refusal.WRONG_TYPE, f"{self.key} takes text, not {value!r}")
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise Refused(Refusal.WRONG_TYPE, f"{self.key} takes a number, not {value!r}")
        if not math.isfinite(value):
            raise Refused(Refusal.OUT_OF_RANGE, f"{self.key} takes a finite number")
        low = -math.inf if self.min is None else self.min
        high = math.inf if self.max is None else self.max
        if not low <= value <= high:
            raise Refused(
                Refusal.OUT_OF_RANGE, f"{self.key} {value} is outside {self.min}..{self.max}"
            )
        return value


@dataclass(frozen=True, slots=True)
class DeviceType:
    """A product: its vendor, model, protocol and point list."""

    model: str  # e.g. "VAV-300 controller"
    protocol: Protocol
    points: tuple[PointSpec, ...]
    vendor: str = "Penworks Twin"
    _by_key: dict[str, PointSpec] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        twice = repeated(p.key for p in self.points)
        if twice:
            raise ValueError(f"{self.model}: repeated point keys {', '.join(twice)}")
        object.__setattr__(self, "_by_key", {p.key: p for p in self.points})

    def spec(self, key: str) -> PointSpec:
        try:
            return self._by_key[key]
        except KeyError:
            raise KeyError(f"{self.model} has no point {key!r}") from None


WriteHandler = Callable[[str, Value | None], None]
"""What a device does with an accepted write: (key, value or None to relinquish)."""


@dataclass(slots=True)
class SimDevice:
    """One installed device: its product, its address, and the value of each point.

    `address` means what the protocol needs: the MQTT topic, the Modbus unit id on its
    gateway (`gateway` names the server), the BACnet device instance, the OPC UA object.
    """

    name: str  # lower snake case, unique in the twin
    label: str  # what the device calls itself (object-name, identification)
    type: DeviceType
    address: str | int
    gateway: str = ""  # Modbus gateway or OPC UA server that serves it
    location: str = ""  # the twin's space or floor, e.g. f3/r301 (for people, not protocols)
    values: dict[str, Value] = field(default_factory=dict)
    on_write: WriteHandler | None = None
    fault: str | None = None  # set while an injected fault makes the device misbehave
    online: bool = True  # False: the device does not answer at all
    _changed: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        for point in self.type.points:
            self.values.setdefault(point.key, point.default)
        self._changed = set(self.values)

    @property
    def protocol(self) -> Protocol:
        return self.type.protocol

    def get(self, key: str) -> Value:
        return self.values[key]

    def set(self, key: str, value: Value) -> None:
        """A reading changes (systems call this each step)."""
        if key not in self.values:
            raise KeyError(f"{self.name} has no point {key!r}")
        if self.values[key] != value:
            self.values[key] = value
            self._changed.add(key)

    def write(self, key: str, value: Value | None) -> Value | None:
        """A write over the device's protocol: checked, then applied; Refused if not."""
        try:
            spec = self.type.spec(key)
        except KeyError:
            raise Refused(Refusal.UNKNOWN, f"{self.name} has no point {key!r}") from None
        if not self.online or self.fault is not None:
            raise Refused(Refusal.DEVICE_FAULT, f"{self.name} is in fault: {self.fault}")
        checked = spec.check(value)
        if self.on_write is not None:
            self.on_write(key, checked)
        if checked is not None:
            self.set(key, checked)
        return checked

    def take_changes(self) -> list[str]:
        """Keys whose value changed since the last call (its server pushes them out)."""
        if not self._changed:
            return []
        changed = [p.key for p in self.type.points if p.key in self._changed]
        self._changed.clear()
        return changed
