"""What a served device does with a WriteProperty of present-value, and how it says no.

The SimDevice value of a point is its object's effective value. A commandable object's
priority-array holds the network's commands: a write (or relinquish) at a priority is
arbitrated first, and the value that then wins goes to `SimDevice.write` (None when no command
is left: the device returns to its own control). Only once the device accepts does the slot
change; a `Refused` write leaves the priority-array as it was and is answered with the error
the real device would send. When the last command is relinquished, present-value becomes
what the device then reports, or, when it reports nothing new, the relinquish-default (which
the SimDevice takes as its value too). A command that loses arbitration is checked all the
same, as devices check what they store.

Objects without a priority-array that the product lets the network write (a plain
analog-value setpoint) take the value directly, through `SimDevice.write` as well.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from types import MappingProxyType
from typing import Any

from bacpypes3.errors import ExecutionError

from penworks.core import Value
from penworks.sim.devices import PointSpec, Refusal, Refused, SimDevice
from penworks.sim.servers.bacnet_objects import (
    Commanded,
    command_values,
    set_command,
    show_value,
)
from penworks.sim.servers.bacnet_values import MULTI_STATE_TYPES, from_bacnet, to_bacnet

LOWEST_PRIORITY = 16  # a write without a priority (clause 19.2.1)

# Each refusal as the (error class, error code) the device answers with.
BACNET_ERRORS: Mapping[Refusal, tuple[str, str]] = MappingProxyType(
    {
        Refusal.READ_ONLY: ("property", "writeAccessDenied"),
        Refusal.OUT_OF_RANGE: ("property", "valueOutOfRange"),
        Refusal.WRONG_TYPE: ("property", "invalidDataType"),
        Refusal.UNKNOWN: ("object", "unknownObject"),
        Refusal.DEVICE_FAULT: ("device", "operationalProblem"),
    }
)


@contextmanager
def answered_as_bacnet() -> Iterator[None]:
    """Turn a Refused write into the BACnet Error that bacpypes3 sends back."""
    try:
        yield
    except Refused as refused:
        error_class, error_code = BACNET_ERRORS[refused.refusal]
        raise ExecutionError(error_class, error_code) from refused


def write_present_value(
    device: SimDevice, spec: PointSpec, obj: Any, raw: object, priority: int | None
) -> None:
    """A WriteProperty of the point's present-value, decoded by bacpypes3 (Null: relinquish)."""
    with answered_as_bacnet():
        written = _decoded(spec, raw)
        if isinstance(obj, Commanded):
            _command(device, spec, obj, raw, written, priority)
        else:
            _set(device, spec, obj, written)


def _type(spec: PointSpec) -> str:
    assert spec.bacnet is not None  # only points with an object are written
    return spec.bacnet.type


def _decoded(spec: PointSpec, raw: object) -> Value | None:
    try:
        return from_bacnet(raw)
    except ValueError as exc:
        raise Refused(Refusal.WRONG_TYPE, f"{spec.key}: {exc}") from None


def _command(
    device: SimDevice,
    spec: PointSpec,
    obj: Any,
    raw: object,
    written: Value | None,
    priority: int | None,
) -> None:
    at = LOWEST_PRIORITY if priority is None else priority
    if not 1 <= at <= LOWEST_PRIORITY:
        raise Refused(Refusal.OUT_OF_RANGE, f"{spec.key}: priority {at} is not 1..16")
    slots = [None if slot is None else from_bacnet(slot) for slot in command_values(obj)]
    if written is None and slots[at - 1] is None:
        return  # nothing to relinquish there
    slots[at - 1] = None if written is None else check(spec, written)
    winner = next((value for value in slots if value is not None), None)
    before = device.get(spec.key)
    device.write(spec.key, winner)
    if winner is None:  # back to its own control: what it reports, or the default
        reported = device.get(spec.key)
        own = reported if reported != before else spec.default
        device.set(spec.key, own)
        obj._own = to_bacnet(_type(spec), own)
    set_command(obj, at, None if written is None else raw)


def _set(device: SimDevice, spec: PointSpec, obj: Any, written: Value | None) -> None:
    if written is None:
        raise Refused(Refusal.WRONG_TYPE, f"{spec.key} has no priority-array to relinquish")
    accepted = device.write(spec.key, written)
    if accepted is not None:
        show_value(obj, _type(spec), accepted)


def check(spec: PointSpec, value: Value) -> Value:
    """The value as the point takes it, or Refused (the product's limits, a state number)."""
    checked = spec.check(value)
    assert checked is not None
    states = spec.states
    if _type(spec) in MULTI_STATE_TYPES and states and not 1 <= float(checked) <= states:
        raise Refused(Refusal.OUT_OF_RANGE, f"{spec.key} has states 1..{states}, not {value}")
    return checked
