"""Bringing a device to a point's effective value, through the connector that owns it.

Penworks arbitrates the 16 levels itself. Most protocols have no notion of levels and take
the effective value as it is. A device with a priority array of its own (BACnet) would keep
every level ever written and go on arbitrating among them, so Penworks keeps exactly one
level written there, the effective one, and moves it: it writes the new level first, then
relinquishes the old, so the device never falls back to its own default in between.
"""

from __future__ import annotations

from dataclasses import dataclass

from penworks.control.ports import WritePort
from penworks.control.priority import DEFAULT
from penworks.core import Value


@dataclass(frozen=True, slots=True)
class DeviceTarget:
    """What a device should hold: a value at a level, or nothing (its own control)."""

    value: Value | None  # None: every level empty and no relinquish default
    level: int | None  # the level it comes from; None for the relinquish default

    @property
    def device_level(self) -> int:
        return self.level if self.level is not None else DEFAULT

    def describe(self) -> str:
        if self.value is None:
            return "released to the device's own control"
        where = f"level {self.level}" if self.level is not None else "the relinquish default"
        return f"{self.value!r} from {where}"


async def apply(
    port: WritePort,
    point_id: str,
    target: DeviceTarget,
    previous: DeviceTarget | None,
    *,
    keeps_levels: bool,
    fallback_level: int,
) -> None:
    """Write `target`, knowing the device was last brought to `previous` (None: unknown).

    `fallback_level` is the level to relinquish when what the device holds is unknown.
    Errors are the connector's: CommandRejected, ConnectorError.
    """
    held = previous.device_level if previous is not None and previous.value is not None else None
    if target.value is None:
        await port.relinquish(point_id, held if held is not None else fallback_level)
        return
    await port.write(point_id, target.value, target.device_level)
    if keeps_levels and held is not None and held != target.device_level:
        await port.relinquish(point_id, held)
