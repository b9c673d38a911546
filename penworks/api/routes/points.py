"""The points of the model: list, one, its latest value and its history."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from penworks.api.context import Context
from penworks.api.params import Brick, Duration, Instant, PointId, Within
from penworks.api.problems import ProblemError
from penworks.api.responses import problems
from penworks.api.schemas import HistoryOut, LatestValue, PointOut, PointPage, Sample
from penworks.api.security import Reader, check_place, check_point, visible_points
from penworks.api.window import resolve_window
from penworks.core import Point, PointKind
from penworks.store import Aggregate

router = APIRouter(tags=["points"])

_NUMERIC_AGGREGATES = (Aggregate.AVG, Aggregate.MIN, Aggregate.MAX)


@router.get(
    "/api/points",
    summary="List points",
    description="Points of the model in model order, optionally filtered by Brick class "
    "and location, one page at a time; only the points the principal may see (and `within` "
    "a place it may not see is 404, as an unknown one).",
    responses=problems(400, 401, 403, 404, 422),
)
async def list_points(
    context: Context,
    principal: Reader,
    brick: Brick = None,
    within: Within = None,
    limit: Annotated[int, Query(ge=1, le=1000, description="Page size")] = 100,
    offset: Annotated[int, Query(ge=0, description="Items to skip")] = 0,
) -> PointPage:
    if within is not None:
        check_place(context, principal, within)
    if brick is None and within is None:
        matched = context.model.points()
    else:
        matched = context.model.find_points(brick=brick, within=within)
    matched = visible_points(context, principal, matched)
    page = matched[offset : offset + limit]
    return PointPage(
        total=len(matched), limit=limit, offset=offset, items=[PointOut.of(p) for p in page]
    )


@router.get(
    "/api/points/{point_id}",
    summary="One point",
    responses=problems(401, 403, 404, 422),
)
async def get_point(context: Context, principal: Reader, point_id: PointId) -> PointOut:
    return PointOut.of(check_point(context, principal, point_id))


@router.get(
    "/api/points/{point_id}/latest",
    summary="Latest value of a point",
    description="The newest stored observation. 404 when the point is unknown, or known "
    "but without any value yet (the problem's type then ends in `no-value`).",
    responses=problems(401, 403, 404, 422, 503),
)
async def point_latest(context: Context, principal: Reader, point_id: PointId) -> LatestValue:
    check_point(context, principal, point_id)
    found = await context.history.latest([point_id])
    if point_id not in found:
        raise ProblemError(
            404,
            "No value yet",
            f"point {point_id!r} exists but has no stored value yet",
            kind="no-value",
        )
    return LatestValue.of(found[point_id])


@router.get(
    "/api/points/{point_id}/history",
    summary="History of a point",
    description="Stored values with start <= ts < end, oldest first. Without start and end, "
    "the last hour. With an aggregate, one value per interval (ts = interval start, aligned "
    "to the epoch) for intervals that hold data; avg, min and max need a number point. "
    "Without an interval, an aggregate uses the window split into 360 intervals.",
    responses=problems(400, 401, 403, 404, 422, 503),
)
async def point_history(
    context: Context,
    principal: Reader,
    point_id: PointId,
    start: Annotated[
        Instant | None,
        Query(description="ISO 8601 with a UTC offset or Z; default: end minus one hour"),
    ] = None,
    end: Annotated[
        Instant | None, Query(description="ISO 8601 with a UTC offset or Z; default: now")
    ] = None,
    agg: Annotated[Aggregate, Query(description="raw values or a per-interval aggregate")] = (
        Aggregate.RAW
    ),
    interval: Annotated[
        Duration | None,
        Query(description="Interval of an aggregate: seconds (300) or ISO 8601 (PT5M)"),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=100_000, description="Most values returned")] = 10_000,
) -> HistoryOut:
    point = check_point(context, principal, point_id)
    _check_aggregate(point, agg)
    window = resolve_window(context.clock.now(), start, end, agg, interval)
    found = await context.history.range(
        point_id, window.start, window.end, agg=agg, interval=window.interval, limit=limit + 1
    )
    return HistoryOut(
        point=point_id,
        agg=agg,
        interval_s=window.interval.total_seconds() if window.interval else None,
        start=window.start,
        end=window.end,
        truncated=len(found) > limit,
        values=[Sample.of(obs) for obs in found[:limit]],
    )


def _check_aggregate(point: Point, agg: Aggregate) -> None:
    if agg in _NUMERIC_AGGREGATES and point.kind is not PointKind.NUMBER:
        raise ProblemError(
            400,
            "Aggregate needs numbers",
            f"{agg.value} needs a number point; {point.id!r} is {point.kind.value} "
            "(use raw or last)",
            kind="aggregate-kind",
        )
