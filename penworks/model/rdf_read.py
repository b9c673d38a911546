"""Read the Brick entities and relations of a third-party RDF graph, whatever its Brick version.

Brick 1.0.x (BrickFrame), 1.1 and 1.2+ namespaces are all accepted; RealEstateCore classes
map to the Brick classes they replace; a class the file defines itself counts as the nearest
Brick class above it. Inverse relations (isPartOf, isPointOf, isFedBy, ...) are turned round.
"""

from __future__ import annotations

import logging
import re
from collections import deque
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import unquote

from rdflib import RDF, RDFS, Graph, URIRef
from rdflib.term import Node

from penworks.model.brick import BrickOntology

log = logging.getLogger(__name__)

BRICK_IRI = re.compile(
    r"^https?://brickschema\.org/schema/(?:(?P<version>[0-9][0-9.]*)/)?Brick(?:Frame)?#(?P<name>.+)$"
)
REC_IRI = re.compile(r"^https://w3id\.org/rec#(?P<name>.+)$")

Role = Literal["site", "building", "floor", "space", "equipment", "point"]

# Brick relation (local name) -> (our relation, whether subject and object swap).
_RELATIONS: dict[str, tuple[str, bool]] = {
    "hasPart": ("part", False),
    "isPartOf": ("part", True),
    "hasPoint": ("point", False),
    "isPointOf": ("point", True),
    "feeds": ("feeds", False),
    "feedsAir": ("feeds", False),
    "isFedBy": ("feeds", True),
    "hasSubMeter": ("feeds", False),
    "isSubMeterOf": ("feeds", True),
    "hasLocation": ("location", True),
    "isLocationOf": ("location", False),
}


@dataclass(slots=True)
class RdfEntity:
    node: Node
    raw_name: str  # local name of the IRI, as the file spells it
    label: str | None
    brick: str
    role: Role


@dataclass(slots=True)
class RdfModel:
    """Entities by node, and relations as (container or source, contained or target)."""

    entities: dict[Node, RdfEntity] = field(default_factory=dict)
    part: list[tuple[Node, Node]] = field(default_factory=list)
    point: list[tuple[Node, Node]] = field(default_factory=list)
    feeds: list[tuple[Node, Node]] = field(default_factory=list)
    location: list[tuple[Node, Node]] = field(default_factory=list)  # (location, thing)


def detect_brick_version(graph: Graph, default: str) -> str:
    """1.1 for files in the 1.0.x or 1.1 namespaces, else the default (1.2+ share one)."""
    for node in set(graph.predicates()) | set(graph.objects(None, RDF.type)):
        match = BRICK_IRI.match(str(node))
        if match and match.group("version"):
            return "1.1"
    return default


def read_brick_graph(graph: Graph, ontology: BrickOntology) -> RdfModel:
    model = RdfModel()
    usage = _usage_roles(graph)
    for subject in sorted(set(graph.subjects(RDF.type, None)), key=str):
        entity = _entity(graph, subject, ontology, usage.get(subject))
        if entity is not None:
            model.entities[subject] = entity
    for s, p, o in graph:
        match = BRICK_IRI.match(str(p))
        relation = _RELATIONS.get(match.group("name")) if match else None
        if relation is None or s not in model.entities or o not in model.entities:
            continue
        name, swap = relation
        getattr(model, name).append((o, s) if swap else (s, o))
    for name in ("part", "point", "feeds", "location"):
        edges: list[tuple[Node, Node]] = getattr(model, name)
        setattr(model, name, sorted(set(edges), key=lambda e: (str(e[0]), str(e[1]))))
    return model


def local_name(node: Node) -> str:
    text = str(node)
    for sep in ("#", "/", ":"):
        head, found, tail = text.rstrip("/#").rpartition(sep)
        if found and tail:
            return unquote(tail)
    return unquote(text)


def _entity(
    graph: Graph, subject: Node, ontology: BrickOntology, used_as: Role | None
) -> RdfEntity | None:
    types = list(graph.objects(subject, RDF.type))
    classes = {c for t in types if (c := _brick_class(graph, t, ontology))}
    brick = _most_specific(classes, ontology)
    role = _role(brick, ontology) if brick else None
    if brick is None or role is None:
        unknown = [str(t) for t in types if BRICK_IRI.match(str(t))]
        if not unknown or used_as not in ("point", "equipment"):
            return None
        brick = "Point" if used_as == "point" else "Equipment"
        role = used_as
        log.warning(
            "%s: class %s is not in Brick %s; kept as %s",
            subject,
            unknown[0],
            ontology.version,
            brick,
        )
    label = graph.value(subject, RDFS.label)
    return RdfEntity(subject, local_name(subject), str(label) if label else None, brick, role)


def _brick_class(graph: Graph, cls: Node, ontology: BrickOntology) -> str | None:
    """The Brick class a type stands for: itself, the Brick class a rec class replaces, or
    the nearest Brick class above a class the file defines."""
    queue: deque[Node] = deque([cls])
    seen = {cls}
    while queue:
        current = queue.popleft()
        if (name := _known(current, ontology)) is not None:
            return name
        for parent in graph.objects(current, RDFS.subClassOf):
            if parent not in seen:
                seen.add(parent)
                queue.append(parent)
    return None


def _known(cls: Node, ontology: BrickOntology) -> str | None:
    if not isinstance(cls, URIRef):
        return None
    if match := BRICK_IRI.match(str(cls)):
        name = match.group("name")
        return name if ontology.exists(name) else None
    if match := REC_IRI.match(str(cls)):
        return ontology.from_rec(match.group("name"))
    return None


def _most_specific(classes: set[str], ontology: BrickOntology) -> str | None:
    """The class no other candidate is strictly below (equivalents tie: alphabetical)."""

    def strictly_below(a: str, b: str) -> bool:
        return ontology.is_subclass(a, b) and not ontology.is_subclass(b, a)

    best = [c for c in classes if not any(strictly_below(o, c) for o in classes)]
    return min(best) if best else None


def _role(brick: str, ontology: BrickOntology) -> Role | None:
    checks: tuple[tuple[str, Role], ...] = (
        ("Point", "point"),
        ("Equipment", "equipment"),
        ("Collection", "equipment"),
        ("Site", "site"),
        ("Building", "building"),
        ("Floor", "floor"),
        ("Storey", "floor"),
        ("Location", "space"),
    )
    for root, role in checks:
        if ontology.is_subclass(brick, root):
            return role
    return None


def _usage_roles(graph: Graph) -> dict[Node, Role]:
    """What the relations say a node is, for nodes whose class Brick does not know."""
    roles: dict[Node, Role] = {}
    for s, p, o in graph:
        match = BRICK_IRI.match(str(p))
        name = match.group("name") if match else None
        if name == "hasPoint":
            roles[o] = "point"
            roles.setdefault(s, "equipment")
        elif name == "isPointOf":
            roles[s] = "point"
            roles.setdefault(o, "equipment")
        elif name in ("feeds", "isFedBy"):
            roles.setdefault(s, "equipment")
    return roles
