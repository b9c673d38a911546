"""Brick Turtle of a real building -> SiteDef.

Third-party models name sites, buildings, floors, rooms, zones, equipment and points with any
subset of Brick's relations. Rooms and zones go onto their floor (a zone's rooms too: the
site file has one level of spaces); equipment onto the equipment it is part of, else the
place it is located in; points onto what has them. Whatever has no building or floor goes
onto a synthetic floor (`unplaced`) whose name says so, in a synthetic building when the
model has none or several. Local names become lower snake case ids, unique among siblings;
the original name (or rdfs:label) is kept as the name.
"""

from __future__ import annotations

import logging
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import Graph
from rdflib.plugins.parsers.notation3 import BadSyntax
from rdflib.term import Node

from penworks.core import ConfigError
from penworks.model.brick import DEFAULT_BRICK_VERSION, BrickOntology
from penworks.model.brick_values import SiteValues
from penworks.model.rdf_read import (
    RdfEntity,
    RdfModel,
    Role,
    detect_brick_version,
    read_brick_graph,
)
from penworks.model.schema import (
    BuildingDef,
    EquipmentDef,
    FloorDef,
    PointDef,
    SiteDef,
    SpaceDef,
)

log = logging.getLogger(__name__)

UNPLACED_FLOOR = ("unplaced", "Unplaced (not on any floor in the source model)")
UNPLACED_BUILDING = ("unplaced_building", "Unplaced (no single building in the source model)")
_PREFIX: dict[str, str] = {
    "building": "b_",
    "floor": "f_",
    "space": "s_",
    "equipment": "e_",
    "point": "p_",
    "site": "site_",
}


def import_turtle(path: Path, ontology: BrickOntology | None = None) -> SiteDef:
    """Read a Brick model; ConfigError for unreadable Turtle or a file with no Brick entities.

    Without an ontology, the Brick version follows the file's namespace (1.0.x and 1.1
    namespaces read as Brick 1.1, the shared 1.2+ namespace as Brick 1.4).
    """
    graph = parse_turtle(path)
    ontology = ontology or BrickOntology.load(detect_brick_version(graph, DEFAULT_BRICK_VERSION))
    rdf = read_brick_graph(graph, ontology)
    if not any(e.role != "site" for e in rdf.entities.values()):
        raise ConfigError(
            f"{path}: no Brick entities found: no subject has a Brick class (such as brick:VAV "
            f"or brick:Zone_Air_Temperature_Sensor) known to Brick {ontology.version}"
        )
    buildings = _Placer(rdf).place()
    values = SiteValues(graph, ontology)
    return _build_site(path, rdf, buildings, values, ontology)


def parse_turtle(path: Path) -> Graph:
    graph = Graph()
    try:
        graph.parse(data=path.read_bytes(), format="turtle", publicID=path.resolve().as_uri())
    except BadSyntax as exc:
        why = re.search(r"Bad syntax \((.*?)\) at \^", str(exc))
        raise ConfigError(
            f"{path}:{exc.lines + 1}: not valid Turtle: {why.group(1) if why else exc}"
        ) from exc
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ConfigError(f"{path}: cannot read the Turtle file: {exc}") from exc
    return graph


@dataclass(eq=False)
class _Slot:
    """A building, floor, space, piece of equipment or point placed in the site tree."""

    kind: Role
    raw: str
    name: str
    entity: RdfEntity | None = None  # None for a synthetic container
    children: list[_Slot] = field(default_factory=list)
    parent: _Slot | None = None
    id: str = ""

    def add(self, child: _Slot) -> _Slot:
        child.parent = self
        self.children.append(child)
        return child

    def full_id(self) -> str:
        return f"{self.parent.full_id()}.{self.id}" if self.parent else self.id


class _Placer:
    def __init__(self, rdf: RdfModel) -> None:
        self.rdf = rdf
        self.slots: dict[Node, _Slot] = {}
        self.buildings: list[_Slot] = []
        self.containers: dict[Node, list[Node]] = defaultdict(list)
        self.part_of: dict[Node, list[Node]] = defaultdict(list)
        self.holders: dict[Node, list[Node]] = defaultdict(list)
        for whole, part in rdf.part:
            self.containers[part].append(whole)
            self.part_of[part].append(whole)
        for place, thing in rdf.location:
            self.containers[thing].append(place)
        for holder, point in rdf.point:
            self.holders[point].append(holder)
        self._unplaced: dict[int, _Slot] = {}
        self._synthetic_building: _Slot | None = None

    def place(self) -> list[_Slot]:
        ordered = sorted(self.rdf.entities.values(), key=lambda e: _natural(e.raw_name))
        by_role: dict[str, list[RdfEntity]] = defaultdict(list)
        for entity in ordered:
            by_role[entity.role].append(entity)
        for entity in by_role["building"]:
            self.buildings.append(self._slot(entity))
        for entity in by_role["floor"]:
            home = self._first(entity.node, "building")
            building = self.slots[home] if home is not None else self._orphan_building()
            building.add(self._slot(entity))
        for entity in by_role["space"]:
            self._space_floor(entity.node, set()).add(self._slot(entity))
        for entity in by_role["equipment"]:
            self._slot(entity)
        for entity in by_role["equipment"]:
            self._place_equipment(entity)
        for entity in by_role["point"]:
            self._place_point(entity)
        if self._synthetic_building is not None:
            self.buildings.append(self._synthetic_building)
        return self.buildings

    def _slot(self, entity: RdfEntity) -> _Slot:
        slot = _Slot(entity.role, entity.raw_name, entity.label or entity.raw_name, entity)
        self.slots[entity.node] = slot
        return slot

    def _role(self, node: Node) -> Role:
        return self.rdf.entities[node].role

    def _first(self, node: Node, *roles: Role) -> Node | None:
        """The first container of node (part-of or location) with one of the roles, in order."""
        for role in roles:
            for container in self.containers.get(node, ()):
                if self._role(container) == role and container in self.slots:
                    return container
        return None

    def _space_floor(self, node: Node, seen: set[Node]) -> _Slot:
        """The floor of a space: its own, that of its building (unplaced), or of a space it is
        part of (a zone's rooms), else the synthetic one."""
        if (floor := self._first(node, "floor")) is not None:
            return self.slots[floor]
        if (building := self._first(node, "building")) is not None:
            return self._unplaced_floor(self.slots[building])
        for outer in self.containers.get(node, ()):
            if self._role(outer) == "space" and outer not in seen:
                return self._space_floor(outer, seen | {node})
        return self._unplaced_floor(None)

    def _place_equipment(self, entity: RdfEntity) -> None:
        slot = self.slots[entity.node]
        parent = self._parent_equipment(entity.node)
        if parent is not None:
            self.slots[parent].add(slot)
        elif (place := self._first(entity.node, "space", "floor", "building")) is not None:
            self.slots[place].add(slot)
        else:
            self._unplaced_floor(None).add(slot)

    def _parent_equipment(self, node: Node) -> Node | None:
        """The equipment node is part of, unless following parts leads back to node."""
        parents = [p for p in self.part_of.get(node, ()) if self._role(p) == "equipment"]
        if not parents:
            return None
        current: Node | None = parents[0]
        seen = {node}
        while current is not None:
            if current in seen:
                log.warning("%s: equipment parts form a cycle; placing it by location", node)
                return None
            seen.add(current)
            ups = [p for p in self.part_of.get(current, ()) if self._role(p) == "equipment"]
            current = ups[0] if ups else None
        return parents[0]

    def _place_point(self, entity: RdfEntity) -> None:
        slot = self._slot(entity)
        holders = [h for h in self.holders.get(entity.node, ()) if h in self.slots]
        holders = [h for h in holders if self._role(h) != "point"]
        home = holders[0] if holders else self._first(entity.node, "space", "floor", "building")
        target = self.slots[home] if home is not None else self._unplaced_floor(None)
        target.add(slot)

    def _orphan_building(self) -> _Slot:
        if self._synthetic_building is None:
            raw, name = UNPLACED_BUILDING
            log.warning("the model has entities outside any building: adding %r", name)
            self._synthetic_building = _Slot("building", raw, name)
        return self._synthetic_building

    def _unplaced_floor(self, building: _Slot | None) -> _Slot:
        if building is None:
            building = self.buildings[0] if len(self.buildings) == 1 else self._orphan_building()
        floor = self._unplaced.get(id(building))
        if floor is None:
            raw, name = UNPLACED_FLOOR
            log.warning("%s has entities on no floor: adding floor %r", building.name, name)
            floor = building.add(_Slot("floor", raw, name))
            self._unplaced[id(building)] = floor
        return floor


def _build_site(
    path: Path, rdf: RdfModel, buildings: list[_Slot], values: SiteValues, ontology: BrickOntology
) -> SiteDef:
    for building in buildings:
        _assign_ids(building, None)
    _unique(buildings)
    sites = [e for e in rdf.entities.values() if e.role == "site"]
    site_node = sites[0].node if sites else None
    raw = sites[0].raw_name if sites else path.stem
    builder = _DefBuilder(rdf, values)
    for building in buildings:
        builder.collect_ids(building)
    defs = [builder.building(b) for b in buildings]
    try:
        return SiteDef(
            id=_sanitize(raw, "site"),
            name=(sites[0].label if sites else None) or raw,
            timezone=values.timezone(site_node) or "UTC",
            brick_version=ontology.version,
            tenants=values.tenants(site_node, builder.tenants_used),
            buildings=defs,
        )
    except ValueError as exc:
        raise ConfigError(f"{path}: the model cannot be turned into a site: {exc}") from exc


def _assign_ids(slot: _Slot, parent: _Slot | None) -> None:
    raw = slot.raw
    if parent is not None and raw.startswith(parent.raw + ".") and len(raw) > len(parent.raw) + 1:
        raw = raw[len(parent.raw) + 1 :]  # dotted-path names: keep the last step
    slot.id = _sanitize(raw, slot.kind)
    for child in slot.children:
        _assign_ids(child, slot)
    _unique(slot.children)


def _unique(slots: list[_Slot]) -> None:
    used: set[str] = set()
    for slot in slots:
        base, n = slot.id, 2
        while slot.id in used:
            slot.id, n = f"{base}_{n}", n + 1
        used.add(slot.id)


def _sanitize(raw: str, kind: str) -> str:
    """Lower snake case: 'VAV-2.01' -> 'vav_2_01', 'ZoneTemp' -> 'zone_temp', '2F' -> 'f_2f'."""
    text = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", raw)
    text = re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")
    if not text or not text[0].isalpha():
        text = f"{_PREFIX[kind]}{text}".rstrip("_")
    return text


def _natural(text: str) -> tuple[tuple[int, int | str], ...]:
    return tuple((0, int(t)) if t.isdigit() else (1, t) for t in re.findall(r"\d+|\D+", text))


class _DefBuilder:
    """Slots -> schema definitions, with the values (units, areas, ...) the graph holds."""

    def __init__(self, rdf: RdfModel, values: SiteValues) -> None:
        self.values = values
        self.full_ids: dict[Node, str] = {}
        self.feeds: dict[Node, list[Node]] = defaultdict(list)
        self.tenants_used: list[str] = []
        for source, target in rdf.feeds:
            self.feeds[source].append(target)
        self._kinds = {node: e.role for node, e in rdf.entities.items()}

    def building(self, slot: _Slot) -> BuildingDef:
        node = slot.entity.node if slot.entity else None
        floors = [c for c in slot.children if c.kind == "floor"]
        return BuildingDef(
            id=slot.id,
            name=slot.name,
            brick=slot.entity.brick if slot.entity else "Building",
            area_m2=self.values.area(node),
            floors=[self.floor(f, level) for level, f in enumerate(floors)],
            equipment=self._equipment_of(slot),
            points=self._points_of(slot),
        )

    def floor(self, slot: _Slot, order: int) -> FloorDef:
        node = slot.entity.node if slot.entity else None
        level = self.values.level(node)
        return FloorDef(
            id=slot.id,
            name=slot.name,
            brick=slot.entity.brick if slot.entity else "Floor",
            level=order if level is None else level,
            spaces=[self.space(s) for s in slot.children if s.kind == "space"],
            equipment=self._equipment_of(slot),
            points=self._points_of(slot),
        )

    def space(self, slot: _Slot) -> SpaceDef:
        assert slot.entity is not None
        node = slot.entity.node
        tenant = self.values.tenant(node)
        if tenant is not None:
            self.tenants_used.append(tenant)
        return SpaceDef(
            id=slot.id,
            name=slot.name,
            brick=slot.entity.brick,
            area_m2=self.values.area(node),
            polygon=self.values.polygon(node),
            tenant=tenant,
            equipment=self._equipment_of(slot),
            points=self._points_of(slot),
        )

    def equipment(self, slot: _Slot) -> EquipmentDef:
        assert slot.entity is not None
        targets = self.feeds.get(slot.entity.node, [])
        return EquipmentDef(
            id=slot.id,
            name=slot.name,
            brick=slot.entity.brick,
            feeds=[
                self.full_ids[t]
                for t in targets
                if t in self.full_ids and self._kinds[t] in ("equipment", "space")
            ],
            points=self._points_of(slot),
            parts=self._equipment_of(slot),
        )

    def _equipment_of(self, slot: _Slot) -> list[EquipmentDef]:
        return [self.equipment(c) for c in slot.children if c.kind == "equipment"]

    def _points_of(self, slot: _Slot) -> list[PointDef]:
        return [
            self.values.point(c.id, c.name, c.entity) for c in slot.children if c.kind == "point"
        ]

    def collect_ids(self, slot: _Slot) -> None:
        if slot.entity is not None:
            self.full_ids[slot.entity.node] = slot.full_id()
        for child in slot.children:
            self.collect_ids(child)
