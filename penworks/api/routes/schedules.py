"""Schedules: each one now (on or off, why, the next change) and its days for a calendar."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from penworks.api.context import Context
from penworks.api.params import Day, Instant
from penworks.api.problems import ProblemError
from penworks.api.responses import problems
from penworks.api.security import Reader
from penworks.rules import ScheduleBook

router = APIRouter(tags=["schedules"])

ScheduleId = Annotated[str, Path(description="Schedule id", examples=["office_hours"])]


def _book(context: Context) -> ScheduleBook:
    if context.schedules is None:
        raise ProblemError(404, "No schedules", "this platform has no schedules file",
                           kind="schedules-unavailable")  # fmt: skip
    return context.schedules


@router.get(
    "/api/schedules",
    summary="Schedules now",
    description="Every schedule at an instant (default: now): on or off, the period it is in, "
    "the next change and why (weekly, holiday, make-up working day, exception); plus "
    "warnings when a holiday calendar does not cover this year.",
    responses=problems(401, 403, 404, 422),
)
async def list_schedules(
    context: Context,
    principal: Reader,
    at: Annotated[Instant | None, Query(description="The instant (ISO 8601 with offset)")] = None,
) -> dict[str, Any]:
    book = _book(context)
    when = at or context.clock.now()
    return {
        "timezone": str(book.zone),
        "warnings": book.warnings(when.astimezone(book.zone).date()),
        "schedules": [book.view(s, when).to_json() for s in book.schedule_ids()],
    }


@router.get(
    "/api/schedules/{schedule_id}",
    summary="One schedule",
    description="The schedule at an instant and its plan for the following days.",
    responses=problems(401, 403, 404, 422),
)
async def get_schedule(
    context: Context,
    principal: Reader,
    schedule_id: ScheduleId,
    at: Annotated[Instant | None, Query(description="The instant (ISO 8601 with offset)")] = None,
    start: Annotated[Day | None, Query(description="First day of the plan (local)")] = None,
    days: Annotated[int, Query(ge=1, le=366, description="How many days of plan")] = 7,
) -> dict[str, Any]:
    book = _book(context)
    when = at or context.clock.now()
    first = start or when.astimezone(book.zone).date()
    return book.view(schedule_id, when).to_json() | {
        "days": [plan.to_json() for plan in book.days(schedule_id, first, days)]
    }
