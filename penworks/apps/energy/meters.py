"""The meter hierarchy, found through the App API by Brick class, `feeds` and place.

Which floor, system and tenant a meter serves is decided by rules kept as data below: a
meter's own tenant, else a tenant id among the words of its id; a floor id that starts its
id (`f2_meter` serves floor `f2`), else the floor it is placed on (a switchboard in the
basement serves the building, not the basement, when its id names no floor); a system from
keywords of its id and name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from penworks.apps.api import AppContext, EntityKind, Point, PointSelector

METER_CLASSES = ("Building_Electrical_Meter", "Electrical_Meter")
MAIN_CLASS = "Building_Electrical_Meter"
ENERGY_CLASS = "Electric_Energy_Sensor"
POWER_CLASS = "Electric_Power_Sensor"
PEAK_CLASS = "Peak_Demand_Sensor"
EXPORT_WORDS = ("export", " out")  # an energy point so named is energy sent back, not used

# keyword of a meter's id or name -> the system it meters (first match wins)
SYSTEM_RULES: tuple[tuple[str, str], ...] = (
    ("hvac", "hvac"),
    ("lighting", "lighting"),
    ("plug", "plug_loads"),
    ("lift", "lifts"),
    ("ev", "ev_charging"),
    ("water", "water_pumps"),
    ("it", "it"),
    ("security", "security"),
)
WORD = re.compile(r"[a-z0-9]+")


@dataclass(frozen=True, slots=True)
class Meter:
    """One physical meter and what it serves."""

    id: str
    name: str
    brick: str
    energy: str | None  # the cumulative kWh (import) point
    power: str | None = None
    peak_demand: str | None = None
    floor: str | None = None
    system: str | None = None
    tenant: str | None = None
    parent: str | None = None
    children: tuple[str, ...] = ()

    @property
    def points(self) -> list[str]:
        return [p for p in (self.energy, self.power, self.peak_demand) if p is not None]


@dataclass(frozen=True, slots=True)
class VirtualMeter:
    """A meter computed from others: `plus` minus the sum of `minus` (e.g. unmetered)."""

    id: str
    name: str
    plus: str
    minus: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Hierarchy:
    meters: dict[str, Meter] = field(default_factory=dict)
    virtual: dict[str, VirtualMeter] = field(default_factory=dict)

    def roots(self) -> list[Meter]:
        return [m for m in self.meters.values() if m.parent is None]

    def energy_points(self) -> dict[str, str]:
        """Energy point id -> its meter id."""
        return {m.energy: m.id for m in self.meters.values() if m.energy is not None}


def system_of(local_id: str, name: str) -> str | None:
    words = set(WORD.findall(local_id.lower())) | set(WORD.findall(name.lower()))
    for keyword, system in SYSTEM_RULES:
        if keyword in words or f"{keyword}s" in words:
            return system
    return None


def pick_energy(points: list[Point]) -> str | None:
    """The import register: an energy point not named as export."""
    used = [p for p in points if not any(w in f"{p.id} {p.name or ''}".lower()
                                         for w in EXPORT_WORDS)]  # fmt: skip
    chosen = used or points
    return chosen[0].id if chosen else None


def first(ctx: AppContext, brick: str, within: str) -> str | None:
    """The point of exactly this class (the meter's total), else of a subclass (a phase)."""
    points = ctx.points(PointSelector(brick=brick, within=within))
    exact = [p for p in points if p.brick == brick]
    chosen = exact or points
    return chosen[0].id if chosen else None


def find_meters(ctx: AppContext) -> Hierarchy:
    """The site's meters, main -> submeters by `feeds`, and one unmetered virtual meter per
    meter that feeds others."""
    found = {e.id: e for c in METER_CLASSES for e in ctx.entities(brick=c)}
    floors = {e.local_id: e.id for e in ctx.entities() if e.kind is EntityKind.FLOOR}
    tenants = {e.tenant for e in ctx.entities() if e.tenant is not None}
    children = {m: [f.id for f in ctx.feeds(m) if f.id in found] for m in found}
    parents = {c: m for m, cs in children.items() for c in cs}
    meters: dict[str, Meter] = {}
    for meter_id, entity in found.items():
        energy = ctx.points(PointSelector(brick=ENERGY_CLASS, within=meter_id))
        words = WORD.findall(entity.local_id.lower())
        floor = floors.get(words[0]) if words else None
        if floor is None:
            floor = _placed_floor(ctx, entity.parent)
        tenant = entity.tenant or next((w for w in words if w in tenants), None)
        meters[meter_id] = Meter(
            id=meter_id,
            name=entity.name,
            brick=entity.brick,
            energy=pick_energy(energy),
            power=first(ctx, POWER_CLASS, meter_id),
            peak_demand=first(ctx, PEAK_CLASS, meter_id),
            floor=None if entity.brick == MAIN_CLASS else floor,
            system=system_of(entity.local_id, entity.name),
            tenant=tenant,
            parent=parents.get(meter_id),
            children=tuple(children[meter_id]),
        )
    virtual = {
        f"{m.id}.unmetered": VirtualMeter(
            f"{m.id}.unmetered", f"{m.name}: unmetered", m.id, m.children
        )
        for m in meters.values()
        if m.children
    }
    return Hierarchy(meters, virtual)


def _placed_floor(ctx: AppContext, place: str | None) -> str | None:
    """The floor a meter hangs on when it is placed directly on one (tenant meters)."""
    if place is None:
        return None
    entity = ctx.entity(place)
    return entity.id if entity.kind is EntityKind.FLOOR else None


def served_area_m2(ctx: AppContext) -> float:
    """The floor area the main meters serve: the buildings' own area where the model gives
    it, else the sum of their spaces' areas."""
    area = 0.0
    for building in (e for e in ctx.entities() if e.kind is EntityKind.BUILDING):
        spaces = [e for e in ctx.entities(within=building.id) if e.kind is EntityKind.SPACE]
        area += building.area_m2 or sum(s.area_m2 or 0.0 for s in spaces)
    return area


def virtual_kwh(meter: VirtualMeter, kwh: dict[str, float]) -> float:
    """The virtual meter's energy from its meters' (never below zero)."""
    return max(0.0, kwh.get(meter.plus, 0.0) - sum(kwh.get(m, 0.0) for m in meter.minus))
