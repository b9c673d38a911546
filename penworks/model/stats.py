"""Counts per Brick class and per relation, for a site file, a Brick Turtle file or a model."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from penworks.core import ConfigError
from penworks.model.brick import BrickOntology
from penworks.model.brick_import import import_turtle
from penworks.model.entities import PREDICATES
from penworks.model.site import SiteModel

TURTLE_SUFFIXES = (".ttl", ".turtle")
YAML_SUFFIXES = (".yaml", ".yml")


def stats(source: SiteModel | Path, ontology: BrickOntology | None = None) -> list[tuple[str, int]]:
    """One row per Brick class (entities and points of exactly that class), alphabetical,
    then one per relation (hasPart, hasPoint, feeds, isLocationOf).

    A Turtle file is counted as it imports, synthetic `unplaced` containers included.
    """
    model = source if isinstance(source, SiteModel) else load_any(source, ontology)
    classes = Counter(e.brick for e in model.entities())
    classes.update(p.brick for p in model.points())
    relations = Counter(r.predicate for r in model.relations())
    rows = [(cls, classes[cls]) for cls in sorted(classes)]
    rows += [(predicate, relations[predicate]) for predicate in PREDICATES]
    return rows


def load_any(path: Path, ontology: BrickOntology | None = None) -> SiteModel:
    """A SiteModel from a site file (.yaml, .yml) or a Brick Turtle file (.ttl, .turtle)."""
    suffix = path.suffix.lower()
    if suffix in YAML_SUFFIXES:
        return SiteModel.load(path, ontology)
    if suffix in TURTLE_SUFFIXES:
        site = import_turtle(path, ontology)
        return SiteModel.from_def(site, ontology, source=str(path))
    known = ", ".join(YAML_SUFFIXES + TURTLE_SUFFIXES)
    raise ConfigError(f"{path}: unknown kind of model file (expected {known})")
