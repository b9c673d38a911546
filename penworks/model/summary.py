"""The model as a JSON-ready tree for GET /api/model: site > buildings > floors > spaces."""

from __future__ import annotations

from typing import Any

from penworks.model.index import ModelIndex
from penworks.model.schema import BuildingDef, EquipmentDef, FloorDef, SiteDef, SpaceDef


def summarize(site: SiteDef, index: ModelIndex) -> dict[str, Any]:
    """Summarize an expanded site; entity fields come from the index, so they match queries."""
    return {
        "id": site.id,
        "name": site.name,
        "timezone": site.timezone,
        "brick_version": site.brick_version,
        "tenants": [{"id": t.id, "name": t.name} for t in site.tenants],
        "buildings": [_building(b, index) for b in site.buildings],
    }


def _entity(full: str, index: ModelIndex) -> dict[str, Any]:
    e = index.entities[full]
    return {
        "id": e.id,
        "local_id": e.local_id,
        "name": e.name,
        "brick": e.brick,
        "kind": e.kind.value,
        "points": [p.id for p in index.direct_points[full]],
    }


def _building(b: BuildingDef, index: ModelIndex) -> dict[str, Any]:
    out = _entity(b.id, index)
    out["area_m2"] = b.area_m2
    out["floors"] = [_floor(f, b.id, index) for f in b.floors]
    out["equipment"] = [_equipment(e, b.id, index) for e in b.equipment]
    return out


def _floor(f: FloorDef, parent: str, index: ModelIndex) -> dict[str, Any]:
    full = f"{parent}.{f.id}"
    out = _entity(full, index)
    out["level"] = f.level
    out["spaces"] = [_space(s, full, index) for s in f.spaces]
    out["equipment"] = [_equipment(e, full, index) for e in f.equipment]
    return out


def _space(s: SpaceDef, parent: str, index: ModelIndex) -> dict[str, Any]:
    full = f"{parent}.{s.id}"
    out = _entity(full, index)
    out["area_m2"] = s.area_m2
    out["polygon"] = [[x, y] for x, y in s.polygon] if s.polygon else None
    out["tenant"] = s.tenant
    out["fed_by"] = list(index.feeds_in[full])
    out["equipment"] = [_equipment(e, full, index) for e in s.equipment]
    return out


def _equipment(e: EquipmentDef, parent: str, index: ModelIndex) -> dict[str, Any]:
    full = f"{parent}.{e.id}"
    out = _entity(full, index)
    out["tenant"] = index.entities[full].tenant
    out["feeds"] = list(index.feeds_out[full])
    out["parts"] = [_equipment(p, full, index) for p in e.parts]
    return out
