"""Template expansion: `template: NAME` on a space or equipment stamps in the template's items.

Strings in a template may use {id} (full id of the holder), {topic} (that id with '/' for
'.'), {local} (its local id), {name} (its name, else its local id) and any key of the
holder's `vars`; write {{ and }} for literal braces. Expansion also records where every
entity and point is written, and refuses two siblings with the same id.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, TypeVar

from pydantic import BaseModel

from penworks.model.places import Place, Problems
from penworks.model.schema import (
    BuildingDef,
    EquipmentDef,
    FloorDef,
    PointDef,
    SiteDef,
    SpaceDef,
    TemplateDef,
)
from penworks.model.validation import validate_model

BUILTIN_PLACEHOLDERS = ("id", "topic", "local", "name")
_MAX_DEPTH = 8

Kind = Literal["building", "floor", "space", "equipment", "point"]
M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True, slots=True)
class Origin:
    """One entity or point of the expanded site and where it is written."""

    full_id: str
    kind: Kind
    brick: str
    place: Place
    feeds: tuple[str, ...] = ()
    tenant: str | None = None


def expand_site(site: SiteDef, problems: Problems) -> tuple[SiteDef, list[Origin]]:
    """The site with every template applied (and `templates` emptied), plus the origins."""
    expander = _Expander(site.templates, problems)
    buildings = [
        expander.building(b, Place.at("buildings", i)) for i, b in enumerate(site.buildings)
    ]
    expander.unique([(b.id, Place.at("buildings", i)) for i, b in enumerate(site.buildings)])
    expander.unique([(t.id, Place.at("tenants", i)) for i, t in enumerate(site.tenants)])
    return site.model_copy(update={"buildings": buildings, "templates": {}}), expander.origins


class _Expander:
    def __init__(self, templates: dict[str, TemplateDef], problems: Problems) -> None:
        self.templates = templates
        self.problems = problems
        self.origins: list[Origin] = []

    def building(self, b: BuildingDef, place: Place) -> BuildingDef:
        self._record(b.id, "building", b.brick, place)
        floors = [self.floor(f, b.id, place.child("floors", i)) for i, f in enumerate(b.floors)]
        equipment = self._equipment_list(b.equipment, b.id, place, "equipment")
        self._points(b.points, b.id, place)
        self.unique(
            _ids(b.floors, place, "floors")
            + _ids(b.equipment, place, "equipment")
            + _ids(b.points, place, "points")
        )
        return b.model_copy(update={"floors": floors, "equipment": equipment})

    def floor(self, f: FloorDef, parent: str, place: Place) -> FloorDef:
        full = f"{parent}.{f.id}"
        self._record(full, "floor", f.brick, place)
        spaces = [self.space(s, full, place.child("spaces", i)) for i, s in enumerate(f.spaces)]
        equipment = self._equipment_list(f.equipment, full, place, "equipment")
        self._points(f.points, full, place)
        self.unique(
            _ids(f.spaces, place, "spaces")
            + _ids(f.equipment, place, "equipment")
            + _ids(f.points, place, "points")
        )
        return f.model_copy(update={"spaces": spaces, "equipment": equipment})

    def space(self, s: SpaceDef, parent: str, place: Place) -> SpaceDef:
        full = f"{parent}.{s.id}"
        self._record(full, "space", s.brick, place, tenant=s.tenant)
        points = [(p, place.child("points", i)) for i, p in enumerate(s.points)]
        equipment = [(e, place.child("equipment", i)) for i, e in enumerate(s.equipment)]
        template = self._template(s.template, place)
        if template is not None:
            name, tmpl = template
            mapping = self._mapping(full, s.id, s.name, s.vars, place)
            if tmpl.parts:
                self.problems.add(
                    place.child("template"),
                    f"template {name!r} has parts, "
                    "which only equipment takes (a space takes equipment)",
                )
            points += self._stamp(tmpl.points, name, "points", mapping, place, len(points))
            equipment += self._stamp(
                tmpl.equipment, name, "equipment", mapping, place, len(equipment)
            )
        return s.model_copy(
            update=self._holder_update(full, place, points, equipment, "equipment", 0)
        )

    def equipment(self, e: EquipmentDef, parent: str, place: Place, depth: int) -> EquipmentDef:
        full = f"{parent}.{e.id}"
        self._record(full, "equipment", e.brick, place, feeds=tuple(e.feeds))
        points = [(p, place.child("points", i)) for i, p in enumerate(e.points)]
        parts = [(p, place.child("parts", i)) for i, p in enumerate(e.parts)]
        template = self._template(e.template, place)
        if template is not None:
            name, tmpl = template
            mapping = self._mapping(full, e.id, e.name, e.vars, place)
            if tmpl.equipment:
                self.problems.add(
                    place.child("template"),
                    f"template {name!r} has equipment, "
                    "which only a space takes (equipment takes parts)",
                )
            points += self._stamp(tmpl.points, name, "points", mapping, place, len(points))
            parts += self._stamp(tmpl.parts, name, "parts", mapping, place, len(parts))
            depth += 1
        if depth > _MAX_DEPTH:
            self.problems.add(
                place.child("template"),
                f"templates nest more than {_MAX_DEPTH} "
                "deep; does a template stamp in equipment that uses it again?",
            )
            parts = []
        return e.model_copy(update=self._holder_update(full, place, points, parts, "parts", depth))

    def unique(self, ids: list[tuple[str, Place]]) -> None:
        seen: dict[str, Place] = {}
        for local, place in ids:
            if local in seen:
                self.problems.add(
                    place.child("id"), f"duplicate id {local!r}: {seen[local].label()} has it too"
                )
            seen.setdefault(local, place)

    def _holder_update(
        self,
        full: str,
        place: Place,
        points: list[tuple[PointDef, Place]],
        children: list[tuple[EquipmentDef, Place]],
        field: str,
        depth: int,
    ) -> dict[str, Any]:
        for point, point_place in points:
            self._record(f"{full}.{point.id}", "point", point.brick, point_place)
        expanded = [self.equipment(e, full, p, depth) for e, p in children]
        self.unique([(p.id, pp) for p, pp in points] + [(e.id, ep) for e, ep in children])
        return {
            "points": [p for p, _ in points],
            field: expanded,
            "template": None,
            "vars": {},
        }

    def _equipment_list(
        self, items: list[EquipmentDef], parent: str, place: Place, field: str
    ) -> list[EquipmentDef]:
        return [self.equipment(e, parent, place.child(field, i), 0) for i, e in enumerate(items)]

    def _points(self, points: list[PointDef], holder: str, place: Place) -> None:
        for i, p in enumerate(points):
            self._record(f"{holder}.{p.id}", "point", p.brick, place.child("points", i))

    def _record(self, full: str, kind: Kind, brick: str, place: Place, **extra: Any) -> None:
        self.origins.append(Origin(full, kind, brick, place, **extra))

    def _template(self, name: str | None, place: Place) -> tuple[str, TemplateDef] | None:
        if name is None:
            return None
        tmpl = self.templates.get(name)
        if tmpl is None:
            known = ", ".join(sorted(self.templates)) or "none defined"
            self.problems.add(
                place.child("template"), f"unknown template {name!r} (known: {known})"
            )
            return None
        return name, tmpl

    def _mapping(
        self, full: str, local: str, name: str | None, vars_: dict[str, str], place: Place
    ) -> dict[str, str]:
        for clash in sorted(set(vars_) & set(BUILTIN_PLACEHOLDERS)):
            self.problems.add(
                place.child("vars", clash),
                f"{clash!r} is a built-in placeholder and cannot be a variable",
            )
        builtins = {
            "id": full,
            "topic": full.replace(".", "/"),
            "local": local,
            "name": name or local,
        }
        return {**vars_, **builtins}

    def _stamp(
        self,
        items: list[M],
        template: str,
        field: str,
        mapping: dict[str, str],
        holder: Place,
        start: int,
    ) -> list[tuple[M, Place]]:
        """Copies of a template's items with placeholders filled in, each with its place."""
        out: list[tuple[M, Place]] = []
        for j, item in enumerate(items):
            place = Place(
                ("templates", template, field, j),
                holder.path + (field, start + len(out)),
                f"template {template!r}",
            )
            data = item.model_dump(exclude_unset=True)
            filled = _fill(data, mapping, place, (), self.problems)
            stamped = validate_model(type(item), filled, (), self.problems, place)
            if stamped is not None:
                out.append((stamped, place))
        return out


def _ids(items: list[Any], place: Place, field: str) -> list[tuple[str, Place]]:
    return [(item.id, place.child(field, i)) for i, item in enumerate(items)]


def _fill(
    value: Any,
    mapping: dict[str, str],
    place: Place,
    path: tuple[str | int, ...],
    problems: Problems,
) -> Any:
    if isinstance(value, str):
        return _fill_text(value, mapping, place.child(*path), problems)
    if isinstance(value, list | tuple):
        return [_fill(v, mapping, place, (*path, i), problems) for i, v in enumerate(value)]
    if isinstance(value, dict):
        return {k: _fill(v, mapping, place, (*path, k), problems) for k, v in value.items()}
    return value


def _fill_text(text: str, mapping: dict[str, str], place: Place, problems: Problems) -> str:
    try:
        return text.format_map(mapping)
    except KeyError as exc:
        known = ", ".join("{" + k + "}" for k in sorted(mapping))
        problems.add(place, f"unknown placeholder {{{exc.args[0]}}} in {text!r} (known: {known})")
    except (ValueError, AttributeError, IndexError) as exc:
        problems.add(place, f"cannot fill in {text!r}: {exc} (write {{{{ and }}}} for braces)")
    return text
