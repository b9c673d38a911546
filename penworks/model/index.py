"""Indexes of a resolved site, built once at load so that every query is a dict look-up."""

from __future__ import annotations

from dataclasses import dataclass, field

from penworks.core import Point
from penworks.model.entities import Entity, EntityKind, Predicate, Relation
from penworks.model.schema import (
    Binding,
    BuildingDef,
    EquipmentDef,
    FloorDef,
    PointDef,
    SiteDef,
    SpaceDef,
)


@dataclass(slots=True)
class ModelIndex:
    entities: dict[str, Entity] = field(default_factory=dict)
    points: dict[str, Point] = field(default_factory=dict)
    bindings: dict[str, Binding] = field(default_factory=dict)
    direct_points: dict[str, list[Point]] = field(default_factory=dict)
    points_within: dict[str, list[Point]] = field(default_factory=dict)
    entities_within: dict[str, list[Entity]] = field(default_factory=dict)
    relations: list[Relation] = field(default_factory=list)
    feeds_out: dict[str, list[str]] = field(default_factory=dict)
    feeds_in: dict[str, list[str]] = field(default_factory=dict)


def build_index(site: SiteDef) -> ModelIndex:
    """Index an expanded, checked site (templates applied, references valid)."""
    builder = _Builder()
    for b in site.buildings:
        builder.building(b)
    builder.link_feeds()
    return builder.index


class _Builder:
    def __init__(self) -> None:
        self.index = ModelIndex()
        self._feeds: list[tuple[str, str]] = []

    def building(self, b: BuildingDef) -> None:
        entity = Entity(b.id, b.id, b.name or b.id, b.brick, EntityKind.BUILDING, area_m2=b.area_m2)
        self._add(entity, ())
        chain = (b.id,)
        for f in b.floors:
            self.floor(f, entity, chain)
        self._located(b.equipment, entity, chain)
        self._points(b.points, entity, entity.id, chain)

    def floor(self, f: FloorDef, building: Entity, chain: tuple[str, ...]) -> None:
        full = f"{building.id}.{f.id}"
        entity = Entity(
            full, f.id, f.name or f.id, f.brick, EntityKind.FLOOR, building.id, level=f.level
        )
        self._add(entity, chain)
        self._relate(building.id, "hasPart", full)
        inner = (*chain, full)
        for s in f.spaces:
            self.space(s, entity, inner)
        self._located(f.equipment, entity, inner)
        self._points(f.points, entity, full, inner)

    def space(self, s: SpaceDef, floor: Entity, chain: tuple[str, ...]) -> None:
        full = f"{floor.id}.{s.id}"
        polygon = tuple((float(x), float(y)) for x, y in s.polygon) if s.polygon else None
        entity = Entity(
            full,
            s.id,
            s.name or s.id,
            s.brick,
            EntityKind.SPACE,
            floor.id,
            area_m2=s.area_m2,
            polygon=polygon,
            tenant=s.tenant,
        )
        self._add(entity, chain)
        self._relate(floor.id, "hasPart", full)
        inner = (*chain, full)
        self._points(s.points, entity, full, inner)
        self._located(s.equipment, entity, inner)

    def equipment(
        self, e: EquipmentDef, parent: Entity, location: str, chain: tuple[str, ...]
    ) -> Entity:
        full = f"{parent.id}.{e.id}"
        tenant = self.index.entities[location].tenant
        entity = Entity(
            full, e.id, e.name or e.id, e.brick, EntityKind.EQUIPMENT, parent.id, tenant=tenant
        )
        self._add(entity, chain)
        inner = (*chain, full)
        for part in e.parts:
            self._relate(full, "hasPart", f"{full}.{part.id}")
            self.equipment(part, entity, location, inner)
        self._points(e.points, entity, location, inner)
        self._feeds.extend((full, target) for target in e.feeds)
        return entity

    def link_feeds(self) -> None:
        for source, target in self._feeds:
            self._relate(source, "feeds", target)
            self.index.feeds_out[source].append(target)
            self.index.feeds_in[target].append(source)

    def _located(self, items: list[EquipmentDef], place: Entity, chain: tuple[str, ...]) -> None:
        for e in items:
            entity = self.equipment(e, place, place.id, chain)
            self._relate(place.id, "isLocationOf", entity.id)

    def _points(
        self, defs: list[PointDef], holder: Entity, location: str, chain: tuple[str, ...]
    ) -> None:
        index = self.index
        for d in defs:
            point = Point(
                id=f"{holder.id}.{d.id}",
                brick=d.brick,
                kind=d.kind,
                unit=d.unit,
                writable=d.writable,
                min=d.limits.min if d.limits else None,
                max=d.limits.max if d.limits else None,
                name=d.name or d.id,
                holder=holder.id,
                location=location,
                tenant=holder.tenant,
            )
            index.points[point.id] = point
            index.direct_points[holder.id].append(point)
            for outer in chain:  # the chain ends with the holder itself
                index.points_within[outer].append(point)
            if d.binding is not None:
                index.bindings[point.id] = d.binding
            self._relate(holder.id, "hasPoint", point.id)

    def _add(self, entity: Entity, chain: tuple[str, ...]) -> None:
        index = self.index
        index.entities[entity.id] = entity
        for outer in chain:
            index.entities_within[outer].append(entity)
        index.entities_within[entity.id] = []
        index.direct_points[entity.id] = []
        index.points_within[entity.id] = []
        index.feeds_out[entity.id] = []
        index.feeds_in[entity.id] = []

    def _relate(self, subject: str, predicate: Predicate, obj: str) -> None:
        self.index.relations.append(Relation(subject, predicate, obj))
