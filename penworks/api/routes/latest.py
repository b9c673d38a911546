"""GET /api/latest: the latest values of many points at once (the dashboard's table)."""

from __future__ import annotations

from fastapi import APIRouter

from penworks.api.context import Context
from penworks.api.params import Brick, Within
from penworks.api.responses import problems
from penworks.api.schemas import LatestRow, LatestTable
from penworks.api.security import Reader, check_place, visible_points

router = APIRouter(tags=["points"])


@router.get(
    "/api/latest",
    summary="Latest values of many points",
    description="One row per matching point in model order, with its name and unit; "
    "points without a value yet have null ts, value and quality. Only the points the "
    "principal may see.",
    responses=problems(400, 401, 403, 404, 422, 503),
)
async def latest_values(
    context: Context, principal: Reader, within: Within = None, brick: Brick = None
) -> LatestTable:
    if within is not None:
        check_place(context, principal, within)
    everything = brick is None and within is None
    if everything:
        points = context.model.points()
    else:
        points = context.model.find_points(brick=brick, within=within)
    points = visible_points(context, principal, points)
    if everything and principal.park_wide:
        found = await context.history.latest(None)
    else:
        found = await context.history.latest([p.id for p in points]) if points else {}
    rows = [LatestRow.of(p, found.get(p.id)) for p in points]
    return LatestTable(count=len(rows), with_value=sum(r.ts is not None for r in rows), items=rows)
