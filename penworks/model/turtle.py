"""Brick Turtle out of a SiteModel, and SHACL validation of Brick Turtle.

The export is plain Brick (classes, rdfs:label, hasPart / hasPoint / feeds / isLocationOf /
hasLocation, QUDT units, brick:area) plus a few literals in the `pw:` namespace (floor level,
tenant, polygon, point kind, limits, binding) that Brick has no term for, so that an export
imported again gives back the same site.
"""

from __future__ import annotations

import json
import warnings
from importlib import resources

from rdflib import RDF, RDFS, XSD, BNode, Graph, Literal, Namespace, URIRef
from rdflib.term import Node

from penworks.model.brick import BRICK_VERSIONS
from penworks.model.entities import Entity, EntityKind
from penworks.model.site import SiteModel
from penworks.model.units import QUDT_UNIT_NS, qudt_unit

BRICK = Namespace("https://brickschema.org/schema/Brick#")
BRICK_1_1 = Namespace("https://brickschema.org/schema/1.1/Brick#")
QUDT = Namespace("http://qudt.org/schema/qudt/")
UNIT = Namespace(QUDT_UNIT_NS)
PW = Namespace("urn:penworks:schema#")
SH = Namespace("http://www.w3.org/ns/shacl#")


def site_namespace(site_id: str) -> Namespace:
    return Namespace(f"urn:penworks:{site_id}/")


def export_turtle(model: SiteModel) -> str:
    """The model as Brick Turtle (namespace of the model's Brick version)."""
    return _Exporter(model).graph().serialize(format="turtle")


class _Exporter:
    def __init__(self, model: SiteModel) -> None:
        self.model = model
        self.brick = BRICK_1_1 if model.ontology.version == "1.1" else BRICK
        self.ns = site_namespace(model.definition.id)
        self.g = Graph()
        for prefix, ns in (("brick", self.brick), ("unit", UNIT), ("qudt", QUDT), ("pw", PW)):
            self.g.bind(prefix, ns)
        self.g.bind("site", self.ns)

    def graph(self) -> Graph:
        self._site()
        for entity in self.model.entities():
            self._entity(entity)
        for point in self.model.points():
            self._point(point.id)
        for relation in self.model.relations():
            self._relation(relation.subject, relation.predicate, relation.object)
        return self.g

    def _site(self) -> None:
        site = self.model.definition
        node = URIRef(f"urn:penworks:{site.id}")
        g = self.g
        g.add((node, RDF.type, self.brick.Site))
        g.add((node, RDFS.label, Literal(site.name)))
        g.add((node, PW.timezone, Literal(site.timezone)))
        if site.tenants:
            tenants = [{"id": t.id, "name": t.name} for t in site.tenants]
            g.add((node, PW.tenants, Literal(json.dumps(tenants))))
        for building in site.buildings:
            g.add((node, self.brick.hasPart, self.ns[building.id]))

    def _entity(self, e: Entity) -> None:
        node = self.ns[e.id]
        g = self.g
        g.add((node, RDF.type, self.brick[e.brick]))
        g.add((node, RDFS.label, Literal(e.name)))
        if e.area_m2 is not None:
            area = BNode()
            g.add((node, self.brick.area, area))
            g.add((area, self.brick.value, Literal(e.area_m2, datatype=XSD.double)))
            g.add((area, self.brick.hasUnit, UNIT.M2))
            g.add((UNIT.M2, RDF.type, QUDT.Unit))
        if e.level is not None:
            g.add((node, PW.level, Literal(e.level)))
        if e.tenant is not None and e.kind is EntityKind.SPACE:
            g.add((node, PW.tenant, Literal(e.tenant)))
        if e.polygon is not None:
            g.add((node, PW.polygon, Literal(json.dumps([list(c) for c in e.polygon]))))

    def _point(self, point_id: str) -> None:
        p = self.model.point(point_id)
        node = self.ns[p.id]
        g = self.g
        g.add((node, RDF.type, self.brick[p.brick]))
        g.add((node, RDFS.label, Literal(p.name or p.id)))
        if p.unit is not None:
            unit = self._unit(p.unit)
            g.add((node, self.brick.hasUnit, unit) if unit else (node, PW.unit, Literal(p.unit)))
        g.add((node, PW.kind, Literal(p.kind.value)))
        if p.writable:
            g.add((node, PW.writable, Literal(True)))
        for term, value in ((PW.min, p.min), (PW.max, p.max)):
            if value is not None:
                g.add((node, term, Literal(value, datatype=XSD.double)))
        binding = self.model.binding(p.id)
        if binding is not None:
            g.add((node, PW.binding, Literal(binding.model_dump_json(exclude_defaults=True))))

    def _relation(self, subject: str, predicate: str, obj: str) -> None:
        s, o = self.ns[subject], self.ns[obj]
        self.g.add((s, self.brick[predicate], o))
        if predicate == "isLocationOf":
            self.g.add((o, self.brick.hasLocation, s))
        elif predicate == "feeds" and self._meters(subject, obj):
            self.g.add((s, self.brick.hasSubMeter, o))

    def _meters(self, *entity_ids: str) -> bool:
        if self.model.ontology.version in ("1.1", "1.2"):
            return False
        ontology = self.model.ontology
        return all(ontology.is_subclass(self.model.entity(i).brick, "Meter") for i in entity_ids)

    def _unit(self, symbol: str) -> Node | None:
        """The QUDT unit, declared as one so that Brick's unit shape holds without QUDT loaded."""
        local = qudt_unit(symbol)
        if local is None:
            return None
        unit = UNIT[local]
        self.g.add((unit, RDF.type, QUDT.Unit))
        return unit


def validate_turtle(text: str, brick_version: str) -> tuple[bool, str]:
    """SHACL-validate Brick Turtle against the Brick shapes: (valid, report).

    Slow (seconds): keep it out of hot paths. Only results about nodes of the model count:
    the Brick ontology alone does not validate without the QUDT vocabulary, which
    brickschema does not ship. Warnings (deprecated classes) do not make a model invalid.
    """
    import brickschema
    from rdflib.plugins.parsers.notation3 import BadSyntax

    if brick_version not in BRICK_VERSIONS:
        return False, f"Brick {brick_version!r} is not shipped (use one of {BRICK_VERSIONS})"
    data = Graph()
    try:
        data.parse(data=text, format="turtle")
    except BadSyntax as exc:
        return False, f"line {exc.lines + 1}: not valid Turtle: {exc}"
    graph = brickschema.Graph(load_brick=True, brick_version=brick_version)
    for triple in data:
        graph.add(triple)
    with warnings.catch_warnings():
        # The engine says which of Brick's inference rules it skips (rules that would mint
        # blank nodes); that is about inference, not about whether the model is valid.
        warnings.filterwarnings("ignore", message=".*fresh blank nodes are not supported")
        _, results, _ = graph.validate(extra_graphs=_extra_shapes(brick_version))
    return _report(results, set(data.subjects()))


def _extra_shapes(brick_version: str) -> list[Graph]:
    """Brick 1.1 and 1.2 ship their shapes beside Brick.ttl rather than in it."""
    shapes = resources.files("brickschema") / "ontologies" / brick_version / "BrickShape.ttl"
    if not shapes.is_file():
        return []
    graph = Graph()
    graph.parse(data=shapes.read_bytes(), format="turtle")
    return [graph]


def _report(results: Graph, model_nodes: set[Node]) -> tuple[bool, str]:
    violations: list[str] = []
    cautions: list[str] = []
    for result in results.subjects(RDF.type, SH.ValidationResult):
        focus = results.value(result, SH.focusNode)
        if focus not in model_nodes:
            continue
        severity = results.value(result, SH.resultSeverity)
        message = results.value(result, SH.resultMessage)
        path = results.value(result, SH.resultPath)
        line = f"{focus}{f' {path}' if path else ''}: {message}"
        (violations if severity == SH.Violation else cautions).append(line)
    head = "valid" if not violations else f"{len(violations)} violation(s)"
    lines = [f"{head}; {len(cautions)} warning(s)"]
    lines += [f"violation: {v}" for v in sorted(violations)]
    lines += [f"warning: {w}" for w in sorted(cautions)]
    return not violations, "\n".join(lines)
