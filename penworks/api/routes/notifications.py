"""Notifications: who was told about what, over which channel, and how it went (the system
permission: deliveries name recipients and every tenant's alarms)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from penworks.api.context import Context
from penworks.api.params import Instant
from penworks.api.problems import ProblemError
from penworks.api.responses import problems
from penworks.api.security import SystemUser

router = APIRouter(tags=["alarms"])


@router.get(
    "/api/notifications",
    summary="Notification deliveries",
    description="Every delivery attempt, newest first: the alarm or notice, channel, "
    "recipients, status (sent, retrying, failed, ...) and the error of a failed attempt.",
    responses=problems(401, 403, 404, 422, 503),
)
async def deliveries(
    context: Context,
    principal: SystemUser,
    key: Annotated[str | None, Query(description="Only for this alarm id (or notice key)")] = None,
    start: Annotated[Instant | None, Query(description="From (ISO 8601 with offset)")] = None,
    end: Annotated[Instant | None, Query(description="Before (ISO 8601 with offset)")] = None,
    limit: Annotated[int, Query(ge=1, le=10_000, description="Most records returned")] = 100,
) -> list[dict[str, Any]]:
    if context.notifier is None:
        raise ProblemError(404, "No notifications", "this platform has no notifications file",
                           kind="notifications-unavailable")  # fmt: skip
    return await context.notifier.deliveries(key, start, end, limit)
