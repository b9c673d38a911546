"""The BACnet objects that serve a device's points: bacpypes3 local objects built from PointSpecs.

Every object refuses writes to anything but present-value, and hands those to its device
(`on_write`): the device, not bacpypes3, decides what a write does. Commandable objects keep
bacpypes3's priority-array, with one change: while no command holds the object its
present-value is the device's own value (`own`), not the relinquish-default, so the device's
own control shows through until the network commands it.

bacpypes3 computes status-flags from reliability and event state, so its COV detection never
sees them change; `show_status` hands it the new flags first (the object ignores the write).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from bacpypes3.basetypes import OptionalUnsigned, PriorityValue
from bacpypes3.errors import PropertyError
from bacpypes3.local.analog import AnalogInputObject, AnalogOutputObject, AnalogValueObject
from bacpypes3.local.binary import BinaryInputObject, BinaryOutputObject, BinaryValueObject
from bacpypes3.local.cmd import Commandable
from bacpypes3.local.cov import GenericCriteria
from bacpypes3.local.multistate import (
    MultiStateInputObject,
    MultiStateOutputObject,
    MultiStateValueObject,
)
from bacpypes3.local.object import Object as LocalObject
from bacpypes3.object import (
    CharacterStringValueObject,
    LifeSafetyPointObject,
    LifeSafetyZoneObject,
)

from penworks.core import Value
from penworks.sim.devices import PointSpec
from penworks.sim.servers.bacnet_life_safety import (
    LIFE_SAFETY_TYPES,
    NORMAL,
    event_state,
    life_safety_properties,
)
from penworks.sim.servers.bacnet_units import engineering_units
from penworks.sim.servers.bacnet_values import (
    ANALOG_TYPES,
    BINARY_TYPES,
    INPUT_TYPES,
    MULTI_STATE_TYPES,
    OUTPUT_TYPES,
    POINT_KINDS,
    SERVED_TYPES,
    to_bacnet,
)

WriteHandler = Callable[[Any, object, "int | None"], None]
"""What a device does with a write of present-value: (object, decoded value, priority)."""

FAULT_RELIABILITY = "unreliableOther"
NO_FAULT = "noFaultDetected"
DEFAULT_COV_INCREMENT = 0.0  # every change, when the product documents none


class Served:
    """Writes from the network: present-value goes to the device; everything else is refused."""

    _on_write: WriteHandler | None = None

    async def write_property(
        self, attr: Any, value: Any, index: Any = None, priority: Any = None
    ) -> None:
        if not isinstance(attr, str):
            attr = self._property_identifier_class(attr).attr  # type: ignore[attr-defined]
        if attr != "presentValue" or index is not None or self._on_write is None:
            raise PropertyError("writeAccessDenied")
        self._on_write(self, value, priority)


class Commanded(Commandable):  # type: ignore[misc]
    """A priority-array whose present-value, with no command, is the device's own value."""

    _own: Any = None

    def recalculating(self) -> None:
        for number, slot in enumerate(self.priorityArray, start=1):
            if slot.null is None:
                value, current = getattr(slot, slot._choice), OptionalUnsigned(unsigned=number)
                break
        else:
            own = self._own
            value = self.relinquishDefault if own is None else own
            current = OptionalUnsigned(null=())
        # past Commandable, whose present-value setter would write priority 16
        super(Commandable, self).__setattr__("currentCommandPriority", current)
        super(Commandable, self).__setattr__("presentValue", value)


# fmt: off
class AnalogInput(Served, AnalogInputObject): ...  # type: ignore[misc]
class AnalogOutput(Served, Commanded, AnalogOutputObject): ...  # type: ignore[misc]
class AnalogValue(Served, AnalogValueObject): ...  # type: ignore[misc]
class CommandableAnalogValue(Served, Commanded, AnalogValueObject): ...  # type: ignore[misc]
class BinaryInput(Served, BinaryInputObject): ...  # type: ignore[misc]
class BinaryOutput(Served, Commanded, BinaryOutputObject): ...  # type: ignore[misc]
class BinaryValue(Served, BinaryValueObject): ...  # type: ignore[misc]
class CommandableBinaryValue(Served, Commanded, BinaryValueObject): ...  # type: ignore[misc]
# fmt: on


# bacpypes3's multi-state objects detect COV by an increment they do not have
class MultiStateInput(Served, MultiStateInputObject):  # type: ignore[misc]
    _cov_criteria = GenericCriteria


class MultiStateOutput(Served, Commanded, MultiStateOutputObject):  # type: ignore[misc]
    _cov_criteria = GenericCriteria


class MultiStateValue(Served, MultiStateValueObject):  # type: ignore[misc]
    _cov_criteria = GenericCriteria


class CommandableMultiStateValue(Served, Commanded, MultiStateValueObject):  # type: ignore[misc]
    _cov_criteria = GenericCriteria


# bacpypes3 has no local objects of these types: its protocol objects made local
class LocalCharacterStringValue(LocalObject, CharacterStringValueObject):  # type: ignore[misc]
    _cov_criteria = GenericCriteria


class CharacterStringValue(Served, LocalCharacterStringValue): ...


class CommandableCharacterStringValue(Served, Commanded, LocalCharacterStringValue): ...


class LifeSafetyPoint(Served, LocalObject, LifeSafetyPointObject):  # type: ignore[misc]
    _cov_criteria = GenericCriteria


class LifeSafetyZone(Served, LocalObject, LifeSafetyZoneObject):  # type: ignore[misc]
    _cov_criteria = GenericCriteria


# (object type, commandable) -> class; outputs always have a priority-array
OBJECT_CLASSES: dict[tuple[str, bool], type] = {
    ("analog-input", False): AnalogInput,
    ("analog-output", False): AnalogOutput,
    ("analog-output", True): AnalogOutput,
    ("analog-value", False): AnalogValue,
    ("analog-value", True): CommandableAnalogValue,
    ("binary-input", False): BinaryInput,
    ("binary-output", False): BinaryOutput,
    ("binary-output", True): BinaryOutput,
    ("binary-value", False): BinaryValue,
    ("binary-value", True): CommandableBinaryValue,
    ("multi-state-input", False): MultiStateInput,
    ("multi-state-output", False): MultiStateOutput,
    ("multi-state-output", True): MultiStateOutput,
    ("multi-state-value", False): MultiStateValue,
    ("multi-state-value", True): CommandableMultiStateValue,
    ("characterstring-value", False): CharacterStringValue,
    ("characterstring-value", True): CommandableCharacterStringValue,
    ("life-safety-point", False): LifeSafetyPoint,
    ("life-safety-zone", False): LifeSafetyZone,
}


def check_spec(spec: PointSpec) -> None:
    """ValueError if a point cannot be served as its BACnet object says (a product's mistake)."""
    bacnet = spec.bacnet
    if bacnet is None:
        return
    where = f"point {spec.key} ({bacnet.type},{bacnet.instance})"
    if (bacnet.type, bacnet.commandable) not in OBJECT_CLASSES:
        if bacnet.type not in SERVED_TYPES:
            raise ValueError(f"{where}: {bacnet.type} objects are not served")
        raise ValueError(f"{where}: {bacnet.type} objects take no commands")
    if spec.kind is not POINT_KINDS[bacnet.type]:
        raise ValueError(f"{where}: a {bacnet.type} holds a {POINT_KINDS[bacnet.type]} point")
    if bacnet.type in MULTI_STATE_TYPES and not spec.states:
        raise ValueError(f"{where}: a multi-state object needs its number of states")
    try:
        to_bacnet(bacnet.type, spec.default)
    except ValueError as exc:
        raise ValueError(f"{where}: default {spec.default!r}: {exc}") from None


def build_object(
    spec: PointSpec,
    value: Value,
    *,
    fault: bool,
    on_write: WriteHandler,
    commands: Sequence[Any] = (),
) -> Any:
    """The local object of a point (check_spec first) showing `value` and the device's fault.

    `commands` is a priority-array the object had before (a device that comes back keeps its
    commands).
    """
    bacnet = spec.bacnet
    assert bacnet is not None
    kind = bacnet.type
    commandable = bacnet.commandable or kind in OUTPUT_TYPES
    properties: dict[str, Any] = {
        "objectIdentifier": (kind, bacnet.instance),
        "objectName": spec.key,
        "presentValue": to_bacnet(kind, value),
        "outOfService": False,
        "eventState": event_state(value) if kind in LIFE_SAFETY_TYPES else NORMAL,
        "reliability": FAULT_RELIABILITY if fault else NO_FAULT,
    }
    if spec.description:
        properties["description"] = spec.description
    if kind in ANALOG_TYPES:
        properties["units"] = engineering_units(spec.unit)
        cov_increment = bacnet.cov_increment
        properties["covIncrement"] = (
            DEFAULT_COV_INCREMENT if cov_increment is None else cov_increment
        )
    if kind in BINARY_TYPES and kind != "binary-value":  # the physical ones are wired
        properties["polarity"] = "normal"
    if kind in MULTI_STATE_TYPES:
        properties["numberOfStates"] = spec.states
    if kind in LIFE_SAFETY_TYPES:
        properties.update(life_safety_properties(kind, value))
    if commandable:
        properties["relinquishDefault"] = to_bacnet(kind, spec.default)
        if commands:
            properties["priorityArray"] = list(commands)
    obj = OBJECT_CLASSES[kind, commandable](**properties)
    if kind not in INPUT_TYPES:  # an input's present-value is measured (or observed), not set
        obj._on_write = on_write
    if isinstance(obj, Commanded):
        obj._own = properties["presentValue"]
        obj.recalculating()  # a command it came back with wins over its own value
    return obj


def show_value(obj: Any, object_type: str, value: Value) -> None:
    """Show a point's new value (a commanded object shows its command until relinquished)."""
    shown = to_bacnet(object_type, value)
    if isinstance(obj, Commanded):
        obj._own = shown
        obj.recalculating()
        return
    if object_type in LIFE_SAFETY_TYPES:
        show_status(obj, fault=_faulted(obj), event=event_state(value))
        obj.trackingValue = shown
    obj.presentValue = shown


def show_fault(obj: Any, fault: bool) -> None:
    """Mark the object unreliable (status-flags fault) while its device is in fault."""
    show_status(obj, fault=fault, event=str(obj.eventState.attr))


def show_status(obj: Any, *, fault: bool, event: str) -> None:
    """Set reliability and event state, telling COV detection that status-flags change."""
    in_alarm = event != NORMAL
    obj.statusFlags = [int(in_alarm), int(fault), 0, int(bool(obj.outOfService))]
    obj.reliability = FAULT_RELIABILITY if fault else NO_FAULT
    obj.eventState = event


def commands(obj: Any) -> list[Any]:
    """The slots of an object's priority-array (empty for an object without one)."""
    if not isinstance(obj, Commanded):
        return []
    return list(obj.priorityArray)


def command_values(obj: Any) -> list[object | None]:
    """Each priority's command as bacpypes3 holds it, None where the slot is null."""
    return [None if s.null is not None else getattr(s, s._choice) for s in commands(obj)]


def set_command(obj: Any, priority: int, raw: object | None) -> None:
    """Write (or with None relinquish) the command at a priority; present-value follows."""
    slot = PriorityValue(null=()) if raw is None else PriorityValue(raw)
    obj.priorityArray[priority - 1] = slot


def _faulted(obj: Any) -> bool:
    return str(obj.reliability.attr) != NO_FAULT
