"""The points of a BACnet connector, checked once and grouped by device and object."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from bacpypes3.basetypes import PropertyIdentifier
from bacpypes3.primitivedata import ObjectType

from penworks.connectors.bacnet.objects import ObjectRef
from penworks.core import ConfigError, Point
from penworks.model.schema import BacnetBinding

PRESENT_VALUE = "present-value"
STATUS_FLAGS = "status-flags"
OUT_OF_SERVICE = "out-of-service"
PRIORITY_ARRAY = "priority-array"


@dataclass(frozen=True, slots=True)
class BoundPoint:
    """A point with its binding, and the object it reads."""

    point: Point
    binding: BacnetBinding
    obj: ObjectRef

    @property
    def device(self) -> int:
        return self.binding.device

    @property
    def prop(self) -> str:
        return self.binding.property

    @property
    def channel(self) -> str:
        """Where its values come from, as dead letters say: 1501/analog-input,1/present-value."""
        return f"{self.device}/{self.obj}/{self.prop}"


def bind_points(
    points: Sequence[tuple[Point, BacnetBinding]], devices: Collection[int], connector: str
) -> dict[str, BoundPoint]:
    """The points by id; ConfigError naming the point if a binding cannot work."""
    bound: dict[str, BoundPoint] = {}
    for point, binding in points:
        where = f"point {point.id} (connector {connector})"
        if point.id in bound:
            raise ConfigError(f"{where}: bound twice")
        if binding.device not in devices:
            known = ", ".join(str(d) for d in sorted(devices)) or "none"
            raise ConfigError(
                f"{where}: device {binding.device} is not one of the connector's devices "
                f"(configured: {known}); add it under devices"
            )
        obj = ObjectRef.parse(binding.object)
        if not _known(ObjectType, obj.type):
            raise ConfigError(f"{where}: {obj.type!r} is not a BACnet object type")
        if not _known(PropertyIdentifier, binding.property):
            raise ConfigError(f"{where}: {binding.property!r} is not a BACnet property")
        if binding.cov and binding.property != PRESENT_VALUE:
            raise ConfigError(
                f"{where}: COV notifications carry present-value, not {binding.property}; "
                "set cov: false to poll it"
            )
        bound[point.id] = BoundPoint(point, binding, obj)
    return bound


def by_object(points: Collection[BoundPoint]) -> dict[ObjectRef, list[BoundPoint]]:
    """Points grouped by the object they read, in a stable order."""
    grouped: dict[ObjectRef, list[BoundPoint]] = {}
    for bp in sorted(points, key=lambda p: (p.obj, p.point.id)):
        grouped.setdefault(bp.obj, []).append(bp)
    return grouped


def properties(points: Collection[BoundPoint]) -> tuple[str, ...]:
    """What a poll of an object reads: the bound properties, then its status."""
    bound = sorted({bp.prop for bp in points} - {STATUS_FLAGS, OUT_OF_SERVICE})
    return (*bound, STATUS_FLAGS, OUT_OF_SERVICE)


def _known(enumeration: type, name: str) -> bool:
    try:
        enumeration(name)
    except ValueError:
        return False
    return True
