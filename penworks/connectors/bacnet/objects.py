"""BACnet object types as data: the kind of value, the role, whether commands may be written.

An object identifier is written ``type,instance`` (analog-input,1), as bindings hold it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from penworks.connectors.hints import Role
from penworks.core import PointKind


class Command(StrEnum):
    """How an object type takes commands to its present-value."""

    PRIORITY = "priority"  # always commandable: a priority-array (outputs)
    IF_PRIORITY_ARRAY = "if-priority-array"  # values: commandable when the device gives one
    READ_ONLY = "read-only"  # inputs: present-value is the device's own measurement


class Datatype(StrEnum):
    """The BACnet datatype of a present-value, which a written value is encoded as."""

    REAL = "real"
    DOUBLE = "double"
    BINARY = "binary"  # BinaryPV: active / inactive
    UNSIGNED = "unsigned"
    INTEGER = "integer"
    TEXT = "text"
    ENUMERATED = "enumerated"  # a named state, e.g. a LifeSafetyState: read as its name


@dataclass(frozen=True, slots=True)
class ObjectType:
    kind: PointKind
    role: Role | None
    command: Command
    datatype: Datatype


_N, _B, _T = PointKind.NUMBER, PointKind.BOOL, PointKind.TEXT
_P, _V, _R = Command.PRIORITY, Command.IF_PRIORITY_ARRAY, Command.READ_ONLY

# The object types whose present-value can be a point. An analog-value is a setpoint when
# its name says so (see discovery.role), otherwise the role here.
OBJECT_TYPES: dict[str, ObjectType] = {
    "analog-input": ObjectType(_N, "sensor", _R, Datatype.REAL),
    "analog-output": ObjectType(_N, "command", _P, Datatype.REAL),
    "analog-value": ObjectType(_N, "sensor", _V, Datatype.REAL),
    "large-analog-value": ObjectType(_N, "sensor", _V, Datatype.DOUBLE),
    "integer-value": ObjectType(_N, "sensor", _V, Datatype.INTEGER),
    "positive-integer-value": ObjectType(_N, "sensor", _V, Datatype.UNSIGNED),
    "binary-input": ObjectType(_B, "status", _R, Datatype.BINARY),
    "binary-output": ObjectType(_B, "command", _P, Datatype.BINARY),
    "binary-value": ObjectType(_B, "status", _V, Datatype.BINARY),
    "multi-state-input": ObjectType(_N, "status", _R, Datatype.UNSIGNED),
    "multi-state-output": ObjectType(_N, "command", _P, Datatype.UNSIGNED),
    "multi-state-value": ObjectType(_N, "status", _V, Datatype.UNSIGNED),
    "characterstring-value": ObjectType(_T, None, _V, Datatype.TEXT),
    "accumulator": ObjectType(_N, "sensor", _R, Datatype.UNSIGNED),
    "pulse-converter": ObjectType(_N, "sensor", _R, Datatype.REAL),
    # a fire panel's detectors and zones: the LifeSafetyState as text (quiet, alarm, ...);
    # life safety is observed, never commanded
    "life-safety-point": ObjectType(_T, "alarm", _R, Datatype.ENUMERATED),
    "life-safety-zone": ObjectType(_T, "alarm", _R, Datatype.ENUMERATED),
}


@dataclass(frozen=True, slots=True, order=True)
class ObjectRef:
    """An object identifier: type and instance."""

    type: str
    instance: int

    @classmethod
    def parse(cls, text: str) -> ObjectRef:
        """`type,instance`, e.g. analog-input,1 (ValueError otherwise)."""
        kind, _, number = text.partition(",")
        if not kind or not number.isdigit():
            raise ValueError(f"{text!r} is not an object identifier type,instance")
        return cls(kind.strip(), int(number))

    @property
    def info(self) -> ObjectType | None:
        """What is known of its type (None: not a type that points are made of)."""
        return OBJECT_TYPES.get(self.type)

    def __str__(self) -> str:
        return f"{self.type},{self.instance}"
