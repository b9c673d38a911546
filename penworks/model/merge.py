"""Site fragments: equipment, spaces and templates to merge into a site by full id.

A fragment is what one system's integrator (or a discovery, once reviewed) hands over:
new templates, new spaces on existing floors, and equipment and points to place under an
existing building, floor or space. `merge_fragment` adds them to a site and refuses
anything that would clash (a template or an id that is already there, a holder that does
not exist), naming the fragment's key.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from penworks.core import ConfigError
from penworks.core.yamlfile import load_yaml_model
from penworks.model.schema import (
    FULL_ID,
    BuildingDef,
    EquipmentDef,
    FloorDef,
    PointDef,
    SiteDef,
    SpaceDef,
    Strict,
    TemplateDef,
    TenantDef,
)


class NewSpace(Strict):
    floor: str = Field(pattern=FULL_ID, description="Full id of the floor, e.g. b15.f3")
    space: SpaceDef = Field(description="The space to add to it")


class Placement(Strict):
    holder: str = Field(
        pattern=FULL_ID, description="Full id of a building, floor or space, e.g. b15.f3.r301"
    )
    equipment: list[EquipmentDef] = Field(default_factory=list, description="Equipment to add")
    points: list[PointDef] = Field(default_factory=list, description="Points to add")


class SiteFragment(Strict):
    """Templates, spaces and placed equipment to merge into a site."""

    templates: dict[str, TemplateDef] = Field(default_factory=dict)
    tenants: list[TenantDef] = Field(default_factory=list)
    spaces: list[NewSpace] = Field(default_factory=list)
    place: list[Placement] = Field(default_factory=list)


def load_fragment(path: Path) -> SiteFragment:
    return load_yaml_model(path, SiteFragment)


def merge_fragment(site: SiteDef, fragment: SiteFragment, source: str = "<fragment>") -> SiteDef:
    """The site with the fragment merged in; ConfigError naming what clashes."""
    problems: list[str] = []
    templates = dict(site.templates)
    for name, template in fragment.templates.items():
        if name in templates and templates[name] != template:
            problems.append(f"templates.{name}: the site already has a template {name!r}")
        templates[name] = template
    tenants = list(site.tenants)
    known = {t.id for t in tenants}
    tenants += [t for t in fragment.tenants if t.id not in known]
    buildings = [_merge_building(b, fragment, problems) for b in site.buildings]
    _unplaced(site, fragment, problems)
    if problems:
        raise ConfigError("\n".join(f"{source}: {p}" for p in problems))
    return site.model_copy(
        update={"templates": templates, "tenants": tenants, "buildings": buildings}
    )


def _merge_building(b: BuildingDef, fragment: SiteFragment, problems: list[str]) -> BuildingDef:
    floors = [_merge_floor(f, b.id, fragment, problems) for f in b.floors]
    equipment, points = _placed(b.id, b.equipment, b.points, fragment, problems)
    return b.model_copy(update={"floors": floors, "equipment": equipment, "points": points})


def _merge_floor(
    f: FloorDef, building: str, fragment: SiteFragment, problems: list[str]
) -> FloorDef:
    full = f"{building}.{f.id}"
    spaces = list(f.spaces)
    taken = {s.id for s in spaces} | {e.id for e in f.equipment}
    for i, new in enumerate(fragment.spaces):
        if new.floor != full:
            continue
        if new.space.id in taken:
            problems.append(f"spaces[{i}].space.id: {full} already has {new.space.id!r}")
            continue
        taken.add(new.space.id)
        spaces.append(new.space)
    spaces = [_merge_space(s, full, fragment, problems) for s in spaces]
    equipment, points = _placed(full, f.equipment, f.points, fragment, problems)
    return f.model_copy(update={"spaces": spaces, "equipment": equipment, "points": points})


def _merge_space(s: SpaceDef, floor: str, fragment: SiteFragment, problems: list[str]) -> SpaceDef:
    equipment, points = _placed(f"{floor}.{s.id}", s.equipment, s.points, fragment, problems)
    return s.model_copy(update={"equipment": equipment, "points": points})


def _placed(
    holder: str,
    equipment: list[EquipmentDef],
    points: list[PointDef],
    fragment: SiteFragment,
    problems: list[str],
) -> tuple[list[EquipmentDef], list[PointDef]]:
    equipment, points = list(equipment), list(points)
    taken = {e.id for e in equipment} | {p.id for p in points}
    for i, placement in enumerate(fragment.place):
        if placement.holder != holder:
            continue
        ids = [e.id for e in placement.equipment] + [p.id for p in placement.points]
        for item in ids:
            if item in taken:
                problems.append(f"place[{i}]: {holder} already has {item!r}")
            taken.add(item)
        equipment += placement.equipment
        points += placement.points
    return equipment, points


def _unplaced(site: SiteDef, fragment: SiteFragment, problems: list[str]) -> None:
    holders = set()
    floors = set()
    for b in site.buildings:
        holders.add(b.id)
        for f in b.floors:
            floors.add(f"{b.id}.{f.id}")
            holders.add(f"{b.id}.{f.id}")
            holders |= {f"{b.id}.{f.id}.{s.id}" for s in f.spaces}
    holders |= {f"{n.floor}.{n.space.id}" for n in fragment.spaces}
    for i, new in enumerate(fragment.spaces):
        if new.floor not in floors:
            problems.append(f"spaces[{i}].floor: no floor {new.floor!r} in the site")
    for i, placement in enumerate(fragment.place):
        if placement.holder not in holders:
            problems.append(
                f"place[{i}].holder: {placement.holder!r} is not a building, floor or space"
            )
