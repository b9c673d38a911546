"""GET /api/latest: the latest values of many points at once (the dashboard's table)."""

from __future__ import annotations

from fastapi import APIRouter

from penworks.api.context import Context
from penworks.api.params import Brick, Within
from penworks.api.responses import problems
from penworks.api.schemas import LatestRow, LatestTable

router = APIRouter(tags=["points"])


@router.get(
    "/api/latest",
    summary="Latest values of many points",
    description="One row per matching point in model order, with its name and unit; "
    "points without a value yet have null ts, value and quality.",
    responses=problems(400, 404, 422, 503),
)
async def latest_values(
    context: Context, within: Within = None, brick: Brick = None
) -> LatestTable:
    if brick is None and within is None:
        points = context.model.points()
        found = await context.history.latest(None)
    else:
        points = context.model.find_points(brick=brick, within=within)
        found = await context.history.latest([p.id for p in points]) if points else {}
    rows = [LatestRow.of(p, found.get(p.id)) for p in points]
    return LatestTable(count=len(rows), with_value=sum(r.ts is not None for r in rows), items=rows)
