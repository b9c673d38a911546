"""The access policy: which points, places and alarms a principal may see and command.

Tenants own spaces (the site file's `tenant:`); a point carries the tenant of the space it
sits in. A tenant's users see the points of their tenant and what the park shares with
everyone (`SharingConfig`: places such as the lobby and the weather station), and command
only their own. Park-wide roles see everything; the security officer and the energy manager
command only the equipment of their trade. Routes ask this policy, never the browser.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from pydantic import Field

from penworks.auth.types import COMMAND_CLASSES, Action, Principal
from penworks.core import Point
from penworks.model import Entity
from penworks.model.schema import Strict


class PlaceModel(Protocol):
    """What the policy reads of the building model (penworks.model.SiteModel satisfies it)."""

    def point(self, point_id: str) -> Point: ...

    def points(self) -> list[Point]: ...

    def has_point(self, point_id: str) -> bool: ...

    def entity(self, entity_id: str) -> Entity:
        """UnknownEntityError for an id the model does not know."""
        ...

    def find_points(self, brick: str | None = None, within: str | None = None) -> list[Point]: ...

    def find_entities(
        self, brick: str | None = None, within: str | None = None
    ) -> list[Entity]: ...


class SharingConfig(Strict):
    """What the park shows every tenant's users (read only)."""

    shared: list[str] = Field(
        default_factory=list,
        description="Full ids of places or equipment whose points every tenant sees (or of "
        "single points), e.g. the lobby, the exhibition hall, the weather station",
    )


class AccessPolicy:
    """Answers, for a principal, may it see or command this point, entity or area.

    Everything it needs is indexed once, at start: each answer is a few set lookups, so a
    route may ask it for every point of a list.
    """

    def __init__(self, model: PlaceModel, sharing: SharingConfig | None = None) -> None:
        self._model = model
        points: set[str] = set()
        places: set[str] = set()
        for shared_id in (sharing or SharingConfig()).shared:
            if model.has_point(shared_id):
                points.add(shared_id)
                continue
            model.entity(shared_id)  # UnknownEntityError names a wrong id at start
            places.add(shared_id)
            places.update(e.id for e in model.find_entities(within=shared_id))
            points.update(p.id for p in model.find_points(within=shared_id))
        self._shared_points = frozenset(points)
        self._shared_entities = frozenset(places)
        self._command_classes: dict[str, frozenset[str]] = {}
        for role, classes in COMMAND_CLASSES.items():
            held = {e.id for c in classes for e in model.find_entities(brick=c)}
            self._command_classes[role] = frozenset(held)
        self._index_places(model.points())

    def _index_places(self, points: Iterable[Point]) -> None:
        """For every place, the tenants whose points it holds and whether it holds a shared
        point: a tenant sees the floors and the building its spaces are in."""
        tenants: dict[str, set[str]] = {}
        holds_shared: set[str] = set()
        for point in points:
            for entity_id in self._holders(point):
                if point.tenant is not None:
                    tenants.setdefault(entity_id, set()).add(point.tenant)
                if point.id in self._shared_points:
                    holds_shared.add(entity_id)
        self._tenants_within = {e: frozenset(t) for e, t in tenants.items()}
        self._holds_shared = frozenset(holds_shared)

    # Points

    def can_read_point(self, principal: Principal, point: Point) -> bool:
        if not principal.may(Action.READ):
            return False
        if principal.park_wide:
            return True
        return point.tenant == principal.tenant or point.id in self._shared_points

    def can_command_point(self, principal: Principal, point: Point) -> bool:
        if not principal.may(Action.COMMAND) or not point.writable:
            return False
        if not principal.park_wide:
            return point.tenant == principal.tenant
        held = self._command_classes.get(principal.role)
        return held is None or any(e in held for e in self._holders(point))

    def visible_points(self, principal: Principal, points: list[Point]) -> list[Point]:
        return [p for p in points if self.can_read_point(principal, p)]

    # Places and alarms

    def can_read_entity(self, principal: Principal, entity_id: str) -> bool:
        """A building, floor, space or equipment: its own tenant's, shared, or a place that
        holds something it may see (a tenant sees the floors its spaces are on).

        UnknownEntityError for an id the model does not know."""
        if not principal.may(Action.READ):
            return False
        entity = self._model.entity(entity_id)
        if principal.park_wide:
            return True
        return (
            (principal.tenant is not None and entity.tenant == principal.tenant)
            or entity_id in self._shared_entities
            or entity_id in self._holds_shared
            or principal.tenant in self._tenants_within.get(entity_id, ())
        )

    def can_read_alarm(self, principal: Principal, point: str | None, area: str) -> bool:
        """An alarm is seen with its point (or, without one, by park-wide roles only)."""
        if point is not None and self._model.has_point(point):
            return self.can_read_point(principal, self._model.point(point))
        return principal.park_wide and principal.may(Action.READ)

    def can_act_on_alarm(self, principal: Principal, point: str | None, area: str) -> bool:
        """Acknowledge, shelve, comment: park-wide roles on any alarm they see; a tenant's
        roles only on alarms of its own points (what the park shares is read only)."""
        if not principal.may(Action.ALARMS) or not self.can_read_alarm(principal, point, area):
            return False
        if principal.park_wide:
            return True
        return point is not None and self._model.point(point).tenant == principal.tenant

    def _holders(self, point: Point) -> Iterable[str]:
        """The point's holder and every place that contains it, innermost first."""
        entity_id: str | None = point.holder or None  # "" for a point held by nothing
        while entity_id is not None:
            yield entity_id
            entity_id = self._model.entity(entity_id).parent
