"""Commands: write a point at a priority with a reason, relinquish a level, see a point's
priority array, the interlocks and the audit log of every command.

Who commands is the signed-in principal (the audit log names it); it needs the command
permission and a point it may command. A point it may not see answers 404 before the command
path, exactly as an unknown one, and is not in the audit log."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field

from penworks.api.context import Context
from penworks.api.params import Instant, PointId
from penworks.api.problems import ProblemError
from penworks.api.responses import problems
from penworks.api.security import Commander, Reader, SystemUser, check_point
from penworks.auth.types import Action, Principal
from penworks.control import (
    Actor,
    ActorKind,
    CommandOutcome,
    CommandRequest,
    CommandStatus,
    ControlService,
    Refusal,
)
from penworks.core import Value

router = APIRouter(tags=["commands"])


def _not_blank(text: str) -> str:
    if not text.strip():
        raise ValueError("must not be blank")
    return text


# Why goes into the audit log: blank text would say nothing there.
Text = Annotated[str, AfterValidator(_not_blank)]

# How each refusal answers: status and problem type.
_REFUSALS: dict[Refusal, tuple[int, str]] = {
    Refusal.EXPIRED: (409, "Command expired"),
    Refusal.PERMISSION: (403, "Not permitted"),
    Refusal.UNKNOWN_POINT: (404, "Unknown point"),
    Refusal.NOT_WRITABLE: (409, "Point not writable"),
    Refusal.INVALID_VALUE: (422, "Invalid value"),
    Refusal.LIMITS: (422, "Outside limits"),
    Refusal.RATE_LIMIT: (429, "Too many writes"),
    Refusal.INTERLOCK: (409, "Blocked by an interlock"),
    Refusal.NO_CONNECTOR: (503, "No connector reaches the point"),
}


class CommandIn(BaseModel):
    """A command from the signed-in person (apps and rules command through their own
    interfaces)."""

    model_config = ConfigDict(extra="forbid")

    point: str = Field(
        min_length=1, description="Full point id", examples=["b15.f3.r301.lights.level"]
    )
    value: Value | None = Field(description="The value; null relinquishes your level")
    priority: int = Field(
        8,
        ge=3,
        le=16,
        description="BACnet level: 8 manual operator (default), 3-16 as permitted; 1-2 are "
        "life safety, for interlocks only",
    )
    reason: Text = Field(min_length=1, max_length=2000, description="Why: kept in the audit log")
    idempotency_key: str | None = Field(
        None, min_length=1, max_length=200,
        description="Send the same key again (a retry) and the command takes effect once",
    )  # fmt: skip
    expires_at: AwareDatetime | None = Field(
        None, description="After this instant the command is refused, never run late"
    )
    ttl_s: float | None = Field(
        None, gt=0, le=86_400, description="Or: expires this many seconds after it is received"
    )


class CommandOut(BaseModel):
    """What came of a command (also its audit record)."""

    id: str = Field(description="Command id, as in the audit log")
    point: str
    status: CommandStatus = Field(description="confirmed, failed, superseded or relinquished")
    detail: str = Field(description="What happened, in words")
    value: Value | None
    priority: int
    effective: Value | None = Field(description="The point's effective value after it")
    effective_priority: int | None = Field(description="Its level (null: relinquish default)")
    duplicate: bool = Field(description="A retry of an earlier command with the same key")
    ts: AwareDatetime

    @classmethod
    def of(cls, outcome: CommandOutcome) -> CommandOut:
        return cls(
            id=outcome.id,
            point=outcome.request.point,
            status=outcome.status,
            detail=outcome.detail,
            value=outcome.request.value,
            priority=outcome.request.priority,
            effective=outcome.effective,
            effective_priority=outcome.effective_priority,
            duplicate=outcome.duplicate,
            ts=outcome.ts,
        )


def _actor(principal: Principal) -> Actor:
    return Actor(ActorKind.OPERATOR, principal.actor_name)


def _control(context: Context) -> ControlService:
    if context.control is None:
        raise ProblemError(503, "Control not running", "this platform runs no command path",
                           kind="control-unavailable")  # fmt: skip
    return context.control


def _answer(outcome: CommandOutcome) -> CommandOut:
    if outcome.status is not CommandStatus.REFUSED:
        return CommandOut.of(outcome)
    refusal = outcome.refusal or Refusal.INVALID_VALUE
    status, title = _REFUSALS[refusal]
    raise ProblemError(status, title, f"command {outcome.id}: {outcome.detail}",
                       kind=f"command-{refusal.value.replace('_', '-')}")  # fmt: skip


@router.post(
    "/api/commands",
    summary="Command a point",
    description="Write a value at a priority level, with a reason. The answer comes when the "
    "device has confirmed it by reading it back, or when confirmation timed out (status "
    "failed). A refused command answers with a problem naming the reason (403 permission, "
    "409 interlock, expired or not writable, 422 value or limits, 429 rate limit); every "
    "such command, refused or not, is in the audit log under the signed-in user. A point the "
    "user may not see is 404 (as an unknown one), one it sees but may not command 403.",
    responses=problems(401, 403, 404, 409, 422, 429, 503),
)
async def command(context: Context, principal: Commander, body: CommandIn) -> CommandOut:
    control = _control(context)
    check_point(context, principal, body.point, Action.COMMAND)
    expires = body.expires_at
    if body.ttl_s is not None:
        ttl_end = context.clock.now() + timedelta(seconds=body.ttl_s)
        expires = min(expires, ttl_end) if expires is not None else ttl_end
    request = CommandRequest(
        point=body.point,
        value=body.value,
        priority=body.priority,
        actor=_actor(principal),
        reason=body.reason,
        idempotency_key=body.idempotency_key,
        expires_at=expires,
    )
    return _answer(await control.submit(request))


@router.delete(
    "/api/points/{point_id}/priority/{level}",
    summary="Relinquish a level",
    description="Give up the value written at this level; the next occupied level (or the "
    "relinquish default) takes over. Refused while an interlock holds the point. The "
    "signed-in user relinquishes (as for a command).",
    responses=problems(401, 403, 404, 409, 422, 503),
)
async def relinquish(
    context: Context,
    principal: Commander,
    point_id: PointId,
    level: Annotated[int, Path(ge=3, le=16, description="The level to relinquish")],
    reason: Annotated[Text, Query(min_length=1, max_length=2000, description="Why")],
) -> CommandOut:
    control = _control(context)
    check_point(context, principal, point_id, Action.COMMAND)
    request = CommandRequest(
        point=point_id,
        value=None,
        priority=level,
        actor=_actor(principal),
        reason=reason,
    )
    return _answer(await control.submit(request))


@router.get(
    "/api/points/{point_id}/priority",
    summary="Priority array of a point",
    description="The 16 levels (who wrote each, when), the effective value and level, the "
    "relinquish default and the interlocks holding the point (with the point that triggered "
    "each, null where that is one the user may not see).",
    responses=problems(401, 403, 404, 422, 503),
)
async def priority_array(context: Context, principal: Reader, point_id: PointId) -> dict[str, Any]:
    control = _control(context)
    check_point(context, principal, point_id)
    array = control.priority_array(point_id).to_json()
    for hold in array["holds"]:
        if not _sees(context, principal, hold["trigger"]):
            hold["trigger"] = None  # another tenant's point: not even its id
    return array


def _sees(context: Context, principal: Principal, point_id: str) -> bool:
    model = context.model
    return model.has_point(point_id) and context.policy.can_read_point(
        principal, model.point(point_id)
    )


@router.get(
    "/api/interlocks",
    summary="Interlocks",
    description="Every interlock instance: its trigger point, whether it is active, the "
    "points it commands and holds.",
    responses=problems(401, 403, 503),
)
async def interlocks(context: Context, principal: SystemUser) -> list[dict[str, Any]]:
    return [status.to_json() for status in _control(context).interlocks()]


@router.get(
    "/api/audit",
    summary="Audit log of commands",
    description="Every command, newest first: who or what, why, value, priority, result, "
    "including refusals and retries.",
    responses=problems(401, 403, 422, 503),
)
async def audit(
    context: Context,
    principal: SystemUser,
    point: Annotated[str | None, Query(description="Only commands to this point")] = None,
    start: Annotated[Instant | None, Query(description="From (ISO 8601 with offset)")] = None,
    end: Annotated[Instant | None, Query(description="Before (ISO 8601 with offset)")] = None,
    limit: Annotated[int, Query(ge=1, le=10_000, description="Most records returned")] = 100,
) -> list[dict[str, Any]]:
    return await _control(context).audit(point, start, end, limit)
