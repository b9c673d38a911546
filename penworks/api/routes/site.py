"""GET /api/model: the building model as a tree, as far as the principal may see it."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from penworks.api.context import ApiContext, Context
from penworks.api.responses import problems
from penworks.api.security import Reader, can_see_place, visible_points
from penworks.auth.types import Principal

router = APIRouter(tags=["model"])

# Keys of the tree that hold places and equipment, and those that name other places.
_PLACES = ("buildings", "floors", "spaces", "equipment", "parts")
_REFERENCES = ("feeds", "fed_by")


@router.get(
    "/api/model",
    summary="The site model",
    description="The site as a JSON tree: buildings, floors, spaces, equipment and points, "
    "with their Brick classes. A tenant's users see the buildings and floors their spaces "
    "are on, with only their own spaces, what the park shares, and those points.",
    responses=problems(401, 403),
)
async def site_model(context: Context, principal: Reader) -> dict[str, Any]:
    tree = context.model.summary()
    if principal.park_wide:
        return tree
    return _Pruner(context, principal).site(tree)


class _Pruner:
    """Cuts the tree down to what a tenant's principal may see."""

    def __init__(self, context: ApiContext, principal: Principal) -> None:
        self.context = context
        self.principal = principal
        shown = visible_points(context, principal, context.model.points())
        self.points = {p.id for p in shown}

    def site(self, tree: dict[str, Any]) -> dict[str, Any]:
        pruned = self.node(tree)
        if "tenants" in pruned:
            pruned["tenants"] = [t for t in pruned["tenants"] if t["id"] == self.principal.tenant]
        return pruned

    def node(self, node: dict[str, Any]) -> dict[str, Any]:
        out = dict(node)
        for key in _PLACES:
            if key in out:
                out[key] = [self.node(child) for child in out[key] if self.sees(child["id"])]
        for key in _REFERENCES:
            if key in out:
                out[key] = [ref for ref in out[key] if self.sees(ref)]
        if "points" in out:
            out["points"] = [p for p in out["points"] if p in self.points]
        return out

    def sees(self, entity_id: str) -> bool:
        return can_see_place(self.context, self.principal, entity_id)
