"""Values of Brick entities in an RDF graph: areas, units, point kinds and the pw: extras."""

from __future__ import annotations

import json
import logging

from pydantic import TypeAdapter, ValidationError
from rdflib import Graph, Namespace
from rdflib.term import Literal, Node

from penworks.core import PointKind
from penworks.model.brick import BrickOntology
from penworks.model.rdf_read import BRICK_IRI, RdfEntity
from penworks.model.schema import Binding, Limits, PointDef, TenantDef
from penworks.model.units import QUDT_UNIT_NS, unit_symbol

log = logging.getLogger(__name__)

PW = Namespace("urn:penworks:schema#")
_BOOL_CLASSES = (
    "Alarm",
    "Status",
    "Occupancy_Sensor",
    "On_Off_Command",
    "Enable_Command",
    "Disable_Command",
)
_BINDING: TypeAdapter[Binding] = TypeAdapter(Binding)


class SiteValues:
    def __init__(self, graph: Graph, ontology: BrickOntology) -> None:
        self.graph = graph
        self.ontology = ontology

    def brick_value(self, node: Node | None, name: str) -> Node | None:
        """The object of a Brick property (any Brick namespace) on node."""
        if node is None:
            return None
        for p, o in self.graph.predicate_objects(node):
            match = BRICK_IRI.match(str(p))
            if match and match.group("name") == name:
                return o
        return None

    def pw(self, node: Node | None, name: str) -> object:
        """The Python value of a pw: literal on node, or None."""
        if node is None:
            return None
        value = self.graph.value(node, PW[name])
        return value.toPython() if isinstance(value, Literal) else None

    def area(self, node: Node | None) -> float | None:
        quantity = self.brick_value(node, "area")
        value = self.brick_value(quantity, "value")
        try:
            area = float(value.toPython()) if isinstance(value, Literal) else None
        except (TypeError, ValueError):
            return None
        return area if area is not None and area > 0 else None

    def level(self, node: Node | None) -> int | None:
        value = self.pw(node, "level")
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    def tenant(self, node: Node | None) -> str | None:
        value = self.pw(node, "tenant")
        return str(value) if value is not None else None

    def timezone(self, node: Node | None) -> str | None:
        value = self.pw(node, "timezone")
        return str(value) if value is not None else None

    def polygon(self, node: Node | None) -> list[tuple[float, float]] | None:
        corners = self._json(node, "polygon")
        if not isinstance(corners, list):
            return None
        try:
            polygon = [(float(x), float(y)) for x, y in corners]
        except (TypeError, ValueError):
            return None
        return polygon if len(polygon) >= 3 else None

    def tenants(self, site: Node | None, used: list[str]) -> list[TenantDef]:
        listed = self._json(site, "tenants")
        tenants: dict[str, TenantDef] = {}
        for item in listed if isinstance(listed, list) else []:
            try:
                tenant = TenantDef.model_validate(item)
            except ValidationError:
                continue
            tenants.setdefault(tenant.id, tenant)
        for tenant_id in used:
            tenants.setdefault(tenant_id, TenantDef(id=tenant_id, name=tenant_id))
        return list(tenants.values())

    def point(self, local_id: str, name: str, entity: RdfEntity | None) -> PointDef:
        assert entity is not None
        node = entity.node
        unit = self._unit(node)
        low, high = self._number(node, "min"), self._number(node, "max")
        limits = None
        if low is not None or high is not None:
            try:
                limits = Limits(min=low, max=high)
            except ValidationError:
                limits = None
        return PointDef(
            id=local_id,
            name=name,
            brick=entity.brick,
            kind=self._kind(node, entity.brick, unit),
            unit=unit,
            writable=self.pw(node, "writable") is True,
            limits=limits,
            binding=self._binding(node),
        )

    def _unit(self, node: Node) -> str | None:
        unit = self.brick_value(node, "hasUnit")
        if unit is not None:
            text = str(unit)
            if text.startswith(QUDT_UNIT_NS):
                return unit_symbol(text[len(QUDT_UNIT_NS) :])
            return text.rsplit("/", 1)[-1].rsplit("#", 1)[-1] or None
        value = self.pw(node, "unit")
        return str(value) if value is not None else None

    def _kind(self, node: Node, brick: str, unit: str | None) -> PointKind:
        declared = self.pw(node, "kind")
        if isinstance(declared, str) and declared in PointKind.__members__.values():
            return PointKind(declared)
        if unit is None and any(self.ontology.is_subclass(brick, c) for c in _BOOL_CLASSES):
            return PointKind.BOOL
        return PointKind.NUMBER

    def _binding(self, node: Node) -> Binding | None:
        text = self.pw(node, "binding")
        if not isinstance(text, str):
            return None
        try:
            return _BINDING.validate_json(text)
        except ValidationError as exc:
            log.warning("%s: ignoring a binding that does not validate: %s", node, exc)
            return None

    def _number(self, node: Node, name: str) -> float | None:
        value = self.pw(node, name)
        if isinstance(value, bool) or not isinstance(value, int | float):
            return None
        return float(value)

    def _json(self, node: Node | None, name: str) -> object:
        text = self.pw(node, name)
        if not isinstance(text, str):
            return None
        try:
            parsed: object = json.loads(text)
        except ValueError:
            return None
        return parsed
