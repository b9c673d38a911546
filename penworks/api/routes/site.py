"""GET /api/model: the building model as a tree."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from penworks.api.context import Context

router = APIRouter(tags=["model"])


@router.get(
    "/api/model",
    summary="The site model",
    description="The whole site as a JSON tree: buildings, floors, spaces, equipment and "
    "points, with their Brick classes.",
)
async def site_model(context: Context) -> dict[str, Any]:
    return context.model.summary()
