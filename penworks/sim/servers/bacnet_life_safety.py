"""Life-safety points and zones as a fire panel shows them: state, mode, silenced, event state.

A PointSpec served as a life-safety-point or life-safety-zone is a TEXT point whose value is
the name of a BACnet LifeSafetyState, as the platform reads it back: quiet, pre-alarm, alarm,
fault, ... (bacpypes3's camel-case names, preAlarm, are taken too). The panel's other
properties follow from the state: the detector is in mode on, unsilenced, expects no operation,
its tracking-value is the state (the twin does not latch), and its event state, so its in-alarm
status flag, says whether the state is alarm-like. Life safety is observed, never overridden:
these objects take no writes.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from bacpypes3.basetypes import LifeSafetyState

from penworks.core import Value

LIFE_SAFETY_TYPES = frozenset({"life-safety-point", "life-safety-zone"})

# The event state of each alarm-like state (which sets the in-alarm status flag); every
# other state (quiet, fault, the test states, ...) is normal: a detector in fault reports it
# as its state, and test alarms are not alarms.
EVENT_STATES: Mapping[str, str] = MappingProxyType(
    {
        "alarm": "lifeSafetyAlarm",
        "fault-alarm": "lifeSafetyAlarm",
        "general-alarm": "lifeSafetyAlarm",
        "local-alarm": "lifeSafetyAlarm",
        "tamper-alarm": "lifeSafetyAlarm",
        "holdup": "lifeSafetyAlarm",
        "duress": "lifeSafetyAlarm",
        "pre-alarm": "offnormal",
        "fault-pre-alarm": "offnormal",
        "supervisory": "offnormal",
        "tamper": "offnormal",
    }
)
NORMAL = "normal"


def life_safety_state(value: Value) -> Any:
    """A point value as a LifeSafetyState, or ValueError if it names no state."""
    if not isinstance(value, str):
        raise ValueError(f"a life-safety state is a name such as 'alarm', not {value!r}")
    try:
        return LifeSafetyState(value)
    except ValueError:
        raise ValueError(f"{value!r} is not a BACnet life-safety state") from None


def event_state(value: Value) -> str:
    """The event state a life-safety state puts its object in."""
    return EVENT_STATES.get(str(life_safety_state(value)), NORMAL)


def life_safety_properties(object_type: str, value: Value) -> dict[str, Any]:
    """The properties of a life-safety object showing `value`, besides identity and status."""
    state = life_safety_state(value)
    properties: dict[str, Any] = {
        "presentValue": state,
        "trackingValue": state,
        "mode": "on",
        "acceptedModes": ["on"],
        "silenced": "unsilenced",
        "operationExpected": "none",
    }
    if object_type == "life-safety-zone":
        properties["zoneMembers"] = []
    return properties
