"""SiteModel: the resolved, queryable building that every other room asks about points."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from penworks.core import Point, UnknownPointError
from penworks.model.brick import BRICK_VERSIONS, DEFAULT_BRICK_VERSION, BrickOntology
from penworks.model.entities import Entity, Relation
from penworks.model.errors import UnknownEntityError
from penworks.model.index import build_index
from penworks.model.loader import read_site, resolve_site
from penworks.model.places import SourceMap
from penworks.model.schema import Binding, SiteDef
from penworks.model.summary import summarize


class SiteModel:
    """A site with templates applied, references checked and every query indexed.

    `definition` is the site as written (templates not applied); `expanded` is the same site
    with every template stamped in. Queries return points and entities in file order.
    """

    def __init__(
        self, definition: SiteDef, expanded: SiteDef, ontology: BrickOntology, source: str
    ) -> None:
        self.definition = definition
        self.expanded = expanded
        self.ontology = ontology
        self.source = source
        self._index = build_index(expanded)

    @classmethod
    def load(cls, path: Path, ontology: BrickOntology | None = None) -> SiteModel:
        """Read a site file; ConfigError naming file, line and key for anything wrong."""
        site, sources = read_site(path)
        return cls._resolve(site, ontology, sources)

    @classmethod
    def from_def(
        cls, site: SiteDef, ontology: BrickOntology | None = None, source: str = "<memory>"
    ) -> SiteModel:
        return cls._resolve(site, ontology, SourceMap(source))

    @classmethod
    def _resolve(
        cls, site: SiteDef, ontology: BrickOntology | None, sources: SourceMap
    ) -> SiteModel:
        ontology = ontology or BrickOntology.load(_loadable_version(site))
        expanded = resolve_site(site, ontology, sources)
        return cls(site, expanded, ontology, sources.source)

    # Points

    def point(self, point_id: str) -> Point:
        try:
            return self._index.points[point_id]
        except KeyError:
            raise UnknownPointError(point_id) from None

    def points(self) -> list[Point]:
        return list(self._index.points.values())

    def has_point(self, point_id: str) -> bool:
        return point_id in self._index.points

    def points_of(self, entity_id: str) -> list[Point]:
        """The points an entity holds directly (not those of its parts or rooms)."""
        self.entity(entity_id)
        return list(self._index.direct_points[entity_id])

    def find_points(self, brick: str | None = None, within: str | None = None) -> list[Point]:
        """Points of a Brick class or any subclass, inside an entity (recursively)."""
        if within is None:
            candidates: Iterable[Point] = self._index.points.values()
        else:
            self.entity(within)
            candidates = self._index.points_within[within]
        if brick is None:
            return list(candidates)
        classes = self._classes(brick)
        return [p for p in candidates if p.brick in classes]

    # Entities

    def entity(self, entity_id: str) -> Entity:
        try:
            return self._index.entities[entity_id]
        except KeyError:
            raise UnknownEntityError(entity_id) from None

    def entities(self) -> list[Entity]:
        return list(self._index.entities.values())

    def find_entities(self, brick: str | None = None, within: str | None = None) -> list[Entity]:
        """Entities of a Brick class or any subclass, inside an entity (not itself)."""
        if within is None:
            candidates: Iterable[Entity] = self._index.entities.values()
        else:
            self.entity(within)
            candidates = self._index.entities_within[within]
        if brick is None:
            return list(candidates)
        classes = self._classes(brick)
        return [e for e in candidates if e.brick in classes]

    # Relations

    def relations(self) -> list[Relation]:
        return list(self._index.relations)

    def feeds(self, entity_id: str) -> list[Entity]:
        """What an entity feeds (an AHU: its VAVs; a VAV: its zone)."""
        self.entity(entity_id)
        return [self._index.entities[i] for i in self._index.feeds_out[entity_id]]

    def fed_by(self, entity_id: str) -> list[Entity]:
        """What feeds an entity (a zone: its VAV)."""
        self.entity(entity_id)
        return [self._index.entities[i] for i in self._index.feeds_in[entity_id]]

    # Bindings

    def binding(self, point_id: str) -> Binding | None:
        self.point(point_id)
        return self._index.bindings.get(point_id)

    def bindings(self, connector: str) -> list[tuple[Point, Binding]]:
        """(point, binding) for every point that the named connector owns, in file order."""
        return [
            (self._index.points[pid], b)
            for pid, b in self._index.bindings.items()
            if b.connector == connector
        ]

    def summary(self) -> dict[str, Any]:
        """JSON-ready tree: site > buildings > floors > spaces > equipment, with point ids."""
        return summarize(self.expanded, self._index)

    def _classes(self, brick: str) -> frozenset[str]:
        return self.ontology.subclasses(brick)  # ModelError for a class Brick does not have


def _loadable_version(site: SiteDef) -> str:
    # An unsupported version is reported by the checks with its line; load the default meanwhile.
    return site.brick_version if site.brick_version in BRICK_VERSIONS else DEFAULT_BRICK_VERSION
