"""Point selectors: how rules, interlocks and apps name the points they act on.

A selector is data (a rule file or an interlock says it in YAML): a point id, or a Brick
class, a place, an id pattern and what the equipment serves. Its place may name the
*anchor*'s surroundings (`{floor}`, `{space}`, `{building}`, `{holder}`, `{equipment}`), so
one rule written for "the zone temperature sensor and the setpoint of the same room" covers
every room of every building with a Brick model.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable

from pydantic import Field, model_validator

from penworks.core import ModelError, Point
from penworks.model.entities import Entity, EntityKind
from penworks.model.schema import Strict
from penworks.model.site import SiteModel

PLACEHOLDERS = ("building", "floor", "space", "holder", "equipment")


class PointSelector(Strict):
    """Which points: every given condition must hold (at least one must be given)."""

    point: str | None = Field(None, description="One point by full id")
    brick: str | None = Field(None, description="Brick class; its subclasses match too")
    within: str | None = Field(
        None,
        description="Inside this entity (full id); may be {building}, {floor}, {space}, "
        "{holder} or {equipment} of the anchor point",
    )
    match: str | None = Field(
        None, description="Shell pattern on the point id, e.g. '*.door_*.locked'"
    )
    serving: str | None = Field(
        None,
        description="Held by equipment that feeds, directly or through other equipment, "
        "something inside this entity (full id or placeholder), e.g. the AHUs of a floor",
    )
    equipment_brick: str | None = Field(
        None,
        description="Held by equipment of this Brick class, or by one of its parts "
        "(e.g. Air_Handling_Unit: the start/stop of an AHU's supply fan)",
    )

    @model_validator(mode="after")
    def _something(self) -> PointSelector:
        if not any((self.point, self.brick, self.within, self.match, self.serving)):
            raise ValueError("give at least one of point, brick, within, match, serving")
        for text in (self.within, self.serving):
            if text and text.startswith("{") and text.strip("{}") not in PLACEHOLDERS:
                raise ValueError(f"{text}: the placeholders are {', '.join(PLACEHOLDERS)}")
        return self

    @property
    def needs_anchor(self) -> bool:
        return any(t is not None and t.startswith("{") for t in (self.within, self.serving))


def anchor_places(model: SiteModel, point: Point) -> dict[str, str]:
    """What a point's placeholders stand for: its building, floor, space, holder, equipment."""
    places = {"holder": point.holder}
    entity_id: str | None = point.holder
    while entity_id is not None:
        entity = model.entity(entity_id)
        key = {
            EntityKind.BUILDING: "building",
            EntityKind.FLOOR: "floor",
            EntityKind.SPACE: "space",
            EntityKind.EQUIPMENT: "equipment",
        }[entity.kind]
        places.setdefault(key, entity.id)
        entity_id = entity.parent
    return places


def select_points(
    model: SiteModel, selector: PointSelector, anchor: Point | None = None
) -> list[Point]:
    """The points a selector names, in model order; ModelError if it names a class or an
    entity the model does not know, or uses a placeholder without an anchor that has it."""
    places = anchor_places(model, anchor) if anchor is not None else {}
    if selector.point is not None:
        candidates = [model.point(selector.point)]
        if selector.brick is not None:
            candidates = [p for p in candidates if p in model.find_points(brick=selector.brick)]
    else:
        within = _place(selector.within, places)
        candidates = model.find_points(brick=selector.brick, within=within)
    if selector.match is not None:
        candidates = [p for p in candidates if fnmatch.fnmatchcase(p.id, selector.match)]
    if selector.serving is not None:
        feeders = serving_equipment(model, _place(selector.serving, places) or "")
        candidates = [p for p in candidates if _held_by(model, p, feeders)]
    if selector.equipment_brick is not None:
        kind = {e.id for e in model.find_entities(brick=selector.equipment_brick)}
        candidates = [p for p in candidates if _held_by(model, p, kind)]
    return candidates


def serving_equipment(model: SiteModel, place: str) -> set[str]:
    """Ids of equipment that feeds something inside `place`, directly or via other feeds."""
    inside = {place} | {e.id for e in model.find_entities(within=place)}
    found: set[str] = set()
    frontier = list(inside)
    while frontier:
        for feeder in model.fed_by(frontier.pop()):
            if feeder.id not in found:
                found.add(feeder.id)
                frontier.append(feeder.id)
    return found


def _held_by(model: SiteModel, point: Point, equipment: set[str]) -> bool:
    """Whether the point's holder, or an equipment it is part of, is in `equipment`."""
    for entity in _holder_chain(model, point.holder):
        if entity.kind is not EntityKind.EQUIPMENT:
            return False
        if entity.id in equipment:
            return True
    return False


def _holder_chain(model: SiteModel, entity_id: str) -> Iterable[Entity]:
    current: str | None = entity_id
    while current is not None:
        entity = model.entity(current)
        yield entity
        current = entity.parent


def _place(text: str | None, places: dict[str, str]) -> str | None:
    if text is None or not text.startswith("{"):
        return text
    key = text.strip("{}")
    if key not in places:
        raise ModelError(f"{text} needs an anchor point that has a {key}")
    return places[key]
