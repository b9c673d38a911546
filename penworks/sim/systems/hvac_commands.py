"""Commands the network holds on a device's commandable points, until it relinquishes them.

The BACnet server arbitrates each priority-array and hands the winning value to
`SimDevice.write`, or None once the last command is relinquished: from then on the device
reports what its own control decides. A system keeps one `Commands` per device, gives its
`on_write` to the SimDevice, and asks `number`/`flag` for the value in force each step.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from penworks.core import Value
from penworks.sim.devices import DeviceType, SimDevice

Check = Callable[[str, Value], None]
"""A device's own check of a write (beyond the point's limits): raises Refused."""

DeviceCheck = Callable[[SimDevice, str, Value], None]
"""The same, given the device (to compare with what it holds now)."""

_OUTPUT_TYPES = frozenset({"analog-output", "binary-output", "multi-state-output"})


class Commands:
    def __init__(self, device_type: DeviceType, check: Check | None = None) -> None:
        self._commandable = frozenset(
            p.key
            for p in device_type.points
            if p.bacnet is not None and (p.bacnet.commandable or p.bacnet.type in _OUTPUT_TYPES)
        )
        self._check = check
        self._held: dict[str, Value] = {}

    def on_write(self, key: str, value: Value | None) -> None:
        if value is not None and self._check is not None:
            self._check(key, value)
        if key not in self._commandable:
            return  # a plain setting: the device keeps the written value itself
        if value is None:
            self._held.pop(key, None)
        else:
            self._held[key] = value

    def held(self, key: str) -> bool:
        return key in self._held

    def number(self, key: str, own: float) -> float:
        """The commanded value of a point, else what the device's own control says."""
        value = self._held.get(key)
        return own if value is None else float(value)

    def override(self, key: str) -> float | None:
        """The commanded value of a point, None while the device is in its own control."""
        value = self._held.get(key)
        return None if value is None else float(value)

    def flag(self, key: str, own: bool) -> bool:
        value = self._held.get(key)
        return own if value is None else bool(value)


def commanded_device(
    name: str,
    label: str,
    device_type: DeviceType,
    instance: int,
    location: str,
    check: DeviceCheck | None = None,
) -> tuple[SimDevice, Commands]:
    """A BACnet device whose writes go to its Commands (checked by `check` first)."""
    device = SimDevice(
        name=name, label=label, type=device_type, address=instance, location=location
    )
    commands = Commands(device_type, None if check is None else partial(check, device))
    device.on_write = commands.on_write
    return device, commands
