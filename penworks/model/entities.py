"""What the resolved model is made of: entities (building, floor, space, equipment), relations."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

Predicate = Literal["hasPart", "hasPoint", "feeds", "isLocationOf"]
PREDICATES: tuple[Predicate, ...] = ("hasPart", "hasPoint", "feeds", "isLocationOf")


class EntityKind(StrEnum):
    BUILDING = "building"
    FLOOR = "floor"
    SPACE = "space"
    EQUIPMENT = "equipment"


@dataclass(frozen=True, slots=True)
class Entity:
    """A building, floor, space or piece of equipment of the resolved site."""

    id: str  # full dotted id, e.g. b15.f3.r301.vav
    local_id: str
    name: str  # the name in the site file, else the local id
    brick: str
    kind: EntityKind
    parent: str | None = None  # full id of the container (None for a building)
    level: int | None = None  # floors only
    area_m2: float | None = None
    polygon: tuple[tuple[float, float], ...] | None = None
    tenant: str | None = None  # spaces, and the equipment located in them


@dataclass(frozen=True, slots=True)
class Relation:
    """One Brick relation between two full ids: subject predicate object."""

    subject: str
    predicate: Predicate
    object: str
