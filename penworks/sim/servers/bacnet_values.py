"""Point values as BACnet present-values and back, by object type.

Analog objects hold a Real, binary ones active/inactive (a BOOL point), multi-state ones the
state number 1..number-of-states, characterstring-values text and life-safety objects a
LifeSafetyState (see bacnet_life_safety).
"""

from __future__ import annotations

from bacpypes3.basetypes import BinaryPV
from bacpypes3.primitivedata import CharacterString, Null, Real, Unsigned

from penworks.core import PointKind, Value
from penworks.sim.servers.bacnet_life_safety import LIFE_SAFETY_TYPES, life_safety_state

ANALOG_TYPES = frozenset({"analog-input", "analog-output", "analog-value"})
BINARY_TYPES = frozenset({"binary-input", "binary-output", "binary-value"})
MULTI_STATE_TYPES = frozenset({"multi-state-input", "multi-state-output", "multi-state-value"})
TEXT_TYPES = frozenset({"characterstring-value"})
# Inputs: present-value is what the device measures (or, for life safety, observes).
INPUT_TYPES = frozenset({"analog-input", "binary-input", "multi-state-input"}) | LIFE_SAFETY_TYPES
OUTPUT_TYPES = frozenset({"analog-output", "binary-output", "multi-state-output"})
SERVED_TYPES = ANALOG_TYPES | BINARY_TYPES | MULTI_STATE_TYPES | TEXT_TYPES | LIFE_SAFETY_TYPES

# The kind of point each object type holds.
POINT_KINDS: dict[str, PointKind] = {
    **dict.fromkeys(ANALOG_TYPES | MULTI_STATE_TYPES, PointKind.NUMBER),
    **dict.fromkeys(BINARY_TYPES, PointKind.BOOL),
    **dict.fromkeys(TEXT_TYPES | LIFE_SAFETY_TYPES, PointKind.TEXT),
}


def to_bacnet(object_type: str, value: Value) -> object:
    """A point value as the present-value of an object of this type, or ValueError."""
    if object_type in BINARY_TYPES:
        if not isinstance(value, bool):
            raise ValueError(f"a binary object shows on/off, not {value!r}")
        return BinaryPV("active" if value else "inactive")
    if object_type in TEXT_TYPES:
        if not isinstance(value, str):
            raise ValueError(f"a characterstring-value shows text, not {value!r}")
        return CharacterString(value)
    if object_type in LIFE_SAFETY_TYPES:
        return life_safety_state(value)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{object_type} shows a number, not {value!r}")
    if object_type in MULTI_STATE_TYPES:
        if not float(value).is_integer() or value < 1:
            raise ValueError(f"{object_type} shows a state number 1, 2, ..., not {value!r}")
        return Unsigned(int(value))
    return Real(float(value))


def from_bacnet(raw: object) -> Value | None:
    """A written present-value, as bacpypes3 decoded it, as a point value; None for null."""
    if isinstance(raw, Null):
        return None
    if isinstance(raw, BinaryPV):
        return int(raw) == 1
    if isinstance(raw, float):  # Real, Double
        return float(raw)
    if isinstance(raw, int):  # Unsigned, Integer, Boolean
        return int(raw)
    if isinstance(raw, str):  # CharacterString
        return str(raw)
    raise ValueError(f"a {type(raw).__name__} is not a value the twin's points hold")
