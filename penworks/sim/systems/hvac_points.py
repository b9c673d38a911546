"""BACnet points of HVAC controllers in a few words, as the controllers' manuals list them.

Inputs are what a controller measures or reports, outputs and commandable values what the
network may command at a priority (the device returns to its own control on relinquish),
plain writable values are settings that hold what was last written.
"""

from __future__ import annotations

from penworks.core import PointKind
from penworks.sim.devices import BacnetObject, PointSpec


def analog_input(
    key: str,
    instance: int,
    unit: str | None,
    description: str,
    *,
    cov: float | None = None,
    default: float = 0.0,
) -> PointSpec:
    return PointSpec(
        key,
        unit=unit,
        description=description,
        default=default,
        bacnet=BacnetObject("analog-input", instance, cov_increment=cov),
    )


def analog_output(
    key: str,
    instance: int,
    description: str,
    *,
    unit: str = "%",
    low: float = 0.0,
    high: float = 100.0,
    default: float = 0.0,
    cov: float | None = 1.0,
) -> PointSpec:
    return PointSpec(
        key,
        unit=unit,
        description=description,
        writable=True,
        min=low,
        max=high,
        default=default,
        bacnet=BacnetObject("analog-output", instance, commandable=True, cov_increment=cov),
    )


def analog_value(
    key: str,
    instance: int,
    unit: str | None,
    description: str,
    *,
    default: float,
    low: float | None = None,
    high: float | None = None,
    writable: bool = False,
    commandable: bool = False,
    cov: float | None = None,
) -> PointSpec:
    return PointSpec(
        key,
        unit=unit,
        description=description,
        writable=writable or commandable,
        min=low,
        max=high,
        default=default,
        bacnet=BacnetObject("analog-value", instance, commandable=commandable, cov_increment=cov),
    )


def binary_input(key: str, instance: int, description: str) -> PointSpec:
    return PointSpec(
        key,
        PointKind.BOOL,
        description=description,
        default=False,
        bacnet=BacnetObject("binary-input", instance),
    )


def binary_output(key: str, instance: int, description: str) -> PointSpec:
    return PointSpec(
        key,
        PointKind.BOOL,
        description=description,
        writable=True,
        default=False,
        bacnet=BacnetObject("binary-output", instance, commandable=True),
    )


def multi_state(
    key: str,
    instance: int,
    description: str,
    states: int,
    *,
    kind: str = "multi-state-value",
    commandable: bool = False,
) -> PointSpec:
    """A state number 1..states (the description says what each means); read-only unless
    commandable (a priority array, as BACnet commandable objects have)."""
    return PointSpec(
        key,
        description=description,
        writable=commandable,
        min=1 if commandable else None,
        max=states if commandable else None,
        default=1,
        states=states,
        bacnet=BacnetObject(kind, instance, commandable=commandable),
    )
