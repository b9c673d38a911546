"""Compute the Brick class closure from an ontology file (slow: used only to fill the cache)."""

from __future__ import annotations

import re
from collections import Counter, defaultdict, deque

from rdflib import OWL, RDF, RDFS, Graph, URIRef

REC_NS = "https://w3id.org/rec#"
BRICK_NS = re.compile(r"^https://brickschema\.org/schema/(?:[0-9.]+/)?Brick#")


def closure_from_ttl(data: bytes) -> tuple[dict[str, set[str]], dict[str, str]]:
    """(ancestors of each Brick class, RealEstateCore class -> Brick class it replaces)."""
    graph = Graph()
    graph.parse(data=data, format="turtle")
    ns = _brick_namespace(graph)

    def local(node: object) -> str | None:
        if isinstance(node, URIRef) and str(node).startswith(ns):
            return str(node)[len(ns) :]
        return None

    classes = {name for s in graph.subjects(RDF.type, OWL.Class) if (name := local(s))}
    parents: dict[str, set[str]] = defaultdict(set)
    for s, o in graph.subject_objects(RDFS.subClassOf):
        if (child := local(s)) and (parent := local(o)):
            parents[child].add(parent)
            classes |= {child, parent}
    for predicate in (OWL.equivalentClass, URIRef(ns + "aliasOf")):
        for s, o in graph.subject_objects(predicate):
            if (a := local(s)) and (b := local(o)):
                parents[a].add(b)
                parents[b].add(a)
    ancestors = {cls: _reachable(cls, parents) for cls in classes}

    rec_candidates: dict[str, list[str]] = defaultdict(list)
    for s, o in sorted(graph.subject_objects(URIRef(ns + "isReplacedBy"))):
        old = local(s)
        if old is None:
            continue
        if (new := local(o)) and new in ancestors:
            # Instances of a deprecated class are also instances of its replacement.
            ancestors[old] = ancestors.get(old, set()) | ancestors[new] | {new}
        elif str(o).startswith(REC_NS):
            rec_candidates[str(o)[len(REC_NS) :]].append(old)
    rec = {name: _most_general(name, olds, ancestors) for name, olds in rec_candidates.items()}
    return ancestors, rec


def _most_general(name: str, candidates: list[str], ancestors: dict[str, set[str]]) -> str:
    """The Brick class a rec class stands for: the same name, else the broadest candidate."""
    if name in candidates:
        return name
    return min(candidates, key=lambda c: (len(ancestors.get(c, ())), c))


def _brick_namespace(graph: Graph) -> str:
    """The Brick namespace most classes live in (1.1 has its own, 1.2+ share one)."""
    counts = Counter(
        match.group(0)
        for s in graph.subjects(RDF.type, OWL.Class)
        if (match := BRICK_NS.match(str(s)))
    )
    return counts.most_common(1)[0][0] if counts else "https://brickschema.org/schema/Brick#"


def _reachable(start: str, parents: dict[str, set[str]]) -> set[str]:
    seen = {start}
    queue = deque([start])
    while queue:
        for up in parents.get(queue.popleft(), ()):
            if up not in seen:
                seen.add(up)
                queue.append(up)
    seen.discard(start)
    return seen
