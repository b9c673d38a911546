"""Alarms (ISA-18.2): list and filter, one alarm and its history, the operator's actions
(acknowledge, shelve, unshelve, comment, out of service), floods and the KPIs.

An alarm is seen with its point (AccessPolicy.can_read_alarm): one the principal may not see
answers 404, as an unknown one. Actions need the alarms permission and an alarm the principal
may act on; who acts is the signed-in principal. The KPIs count the whole park: park-wide
readers only."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from penworks.api.context import Context
from penworks.api.params import Duration
from penworks.api.problems import ProblemError
from penworks.api.responses import problems
from penworks.api.security import (
    AlarmHandler,
    ParkReader,
    Reader,
    can_see_alarm,
    can_see_place,
    check_alarm_action,
)
from penworks.auth.types import Principal
from penworks.rules import (
    AlarmBook,
    AlarmPriority,
    AlarmState,
    AlarmView,
    FloodView,
    UnknownAlarm,
    flood_view_to_json,
    kpis_to_json,
    transition_to_json,
    view_to_json,
)

router = APIRouter(tags=["alarms"])

AlarmId = Annotated[
    str,
    Path(
        description="Alarm id: the rule id, a colon and the point id",
        examples=["zone_too_warm:b15.f3.r301.zone_air_temp"],
    ),
]
PriorityName = Literal["critical", "high", "medium", "low"]


def _not_blank(text: str) -> str:
    if not text.strip():
        raise ValueError("must not be blank")
    return text


# Text an action needs: a blank one is a bad request (422), not a refused action (409).
Text = Annotated[str, AfterValidator(_not_blank)]


class _Body(BaseModel):
    """Who acts is the signed-in principal: a `user` field is refused (422)."""

    model_config = ConfigDict(extra="forbid")


class AckIn(_Body):
    comment: str = Field("", max_length=2000, description="Why, or what was done")


class ShelveIn(_Body):
    duration: Duration = Field(
        gt=timedelta(0), description="For how long: seconds (3600) or ISO 8601 (PT1H)"
    )
    reason: Text = Field(min_length=1, max_length=2000, description="Why it is shelved")


class UnshelveIn(_Body):
    comment: str = Field("", max_length=2000, description="Why it is returned early")


class CommentIn(_Body):
    text: Text = Field(min_length=1, max_length=2000, description="The comment")


class ServiceIn(_Body):
    out: bool = Field(description="true: take out of service; false: return to service")
    reason: str = Field(
        "", max_length=2000, validate_default=True, description="Why (required to take it out)"
    )

    @field_validator("reason")
    @classmethod
    def _reason_to_take_out(cls, reason: str, info: ValidationInfo) -> str:
        if info.data.get("out") and not reason.strip():
            raise ValueError("a reason is required to take an alarm out of service")
        return reason


def _book(context: Context) -> AlarmBook:
    if context.alarms is None:
        raise ProblemError(503, "Alarms not running", "this platform runs no alarm book",
                           kind="alarms-unavailable")  # fmt: skip
    return context.alarms


def _seen(context: Context, principal: Principal, alarm_id: str) -> AlarmView:
    """The alarm, if the principal may see it; else 404 exactly as for an unknown one."""
    view = _book(context).get(alarm_id)
    if not can_see_alarm(context, principal, view.point, view.area):
        raise UnknownAlarm(alarm_id)
    return view


def _acted_on(context: Context, principal: Principal, alarm_id: str) -> AlarmBook:
    view = _seen(context, principal, alarm_id)
    check_alarm_action(context, principal, view.point, view.area)
    return _book(context)


def _flood(context: Context, principal: Principal, flood: FloodView) -> dict[str, Any]:
    """A flood as a tenant's principal sees it: only its alarms among the suppressed."""
    data = flood_view_to_json(flood)
    if not principal.park_wide:
        data["suppressed"] = [a for a in flood.suppressed if _is_seen(context, principal, a)]
    return data


def _is_seen(context: Context, principal: Principal, alarm_id: str) -> bool:
    try:
        _seen(context, principal, alarm_id)
    except UnknownAlarm:
        return False
    return True


@router.get(
    "/api/alarms",
    summary="List alarms",
    description="Alarms that match every filter given, most urgent first, then the newest "
    "state first. `priority` keeps that priority and the more urgent ones. Only the alarms "
    "the principal may see.",
    responses=problems(401, 403, 422, 503),
)
async def list_alarms(
    context: Context,
    principal: Reader,
    state: Annotated[AlarmState | None, Query(description="Only this ISA-18.2 state")] = None,
    priority: Annotated[
        PriorityName | None, Query(description="This priority and more urgent ones")
    ] = None,
    area: Annotated[str | None, Query(description="Area (floor id)", examples=["b15.f3"])] = None,
    active: Annotated[bool | None, Query(description="Process condition active")] = None,
    unacknowledged: Annotated[bool | None, Query(description="Waiting for an ack")] = None,
    rule: Annotated[str | None, Query(description="Raised by this rule")] = None,
    point: Annotated[str | None, Query(description="About this point")] = None,
) -> list[dict[str, Any]]:
    views = _book(context).alarms(
        state=state,
        priority_at_most=AlarmPriority[priority.upper()] if priority else None,
        area=area,
        active=active,
        rule=rule,
        point=point,
        unacknowledged=unacknowledged,
    )
    return [view_to_json(v) for v in views if can_see_alarm(context, principal, v.point, v.area)]


@router.get(
    "/api/alarms/kpis",
    summary="Alarm KPIs",
    description="Alarm system performance: annunciated alarms per hour (last 24 h) and per day "
    "(last 7 days), standing and stale alarms, shelved, suppressed and out of service, top "
    "offenders, floods and chattering, with the ISA-18.2 guidance figures to compare with. "
    "They count the whole park: park-wide roles only.",
    responses=problems(401, 403, 503),
)
async def alarm_kpis(context: Context, principal: ParkReader) -> dict[str, Any]:
    return kpis_to_json(_book(context).kpis())


@router.get(
    "/api/alarms/floods",
    summary="Alarm floods now",
    description="Areas in an alarm flood: since when, how many alarms, which are suppressed. "
    "A tenant's users see the floods of the areas they see, with only their own alarms "
    "listed as suppressed.",
    responses=problems(401, 403, 503),
)
async def alarm_floods(context: Context, principal: Reader) -> list[dict[str, Any]]:
    return [
        _flood(context, principal, f)
        for f in _book(context).floods()
        if principal.park_wide or can_see_place(context, principal, f.area)
    ]


@router.get(
    "/api/alarms/{alarm_id}", summary="One alarm", responses=problems(401, 403, 404, 422, 503)
)
async def get_alarm(context: Context, principal: Reader, alarm_id: AlarmId) -> dict[str, Any]:
    return view_to_json(_seen(context, principal, alarm_id))


@router.get(
    "/api/alarms/{alarm_id}/history",
    summary="History of an alarm",
    description="Every transition, acknowledgement, shelving and comment, newest first.",
    responses=problems(401, 403, 404, 422, 503),
)
async def alarm_history(
    context: Context,
    principal: Reader,
    alarm_id: AlarmId,
    limit: Annotated[int, Query(ge=1, le=10_000, description="Most records returned")] = 100,
) -> list[dict[str, Any]]:
    _seen(context, principal, alarm_id)
    found = await _book(context).history(alarm_id, limit)
    return [transition_to_json(t) for t in found]


_ACTION_PROBLEMS = problems(401, 403, 404, 409, 422, 503)


@router.post(
    "/api/alarms/{alarm_id}/ack",
    summary="Acknowledge an alarm",
    description="Acknowledge the alarm's latest annunciation, as the signed-in user, with an "
    "optional comment. 409 when there is nothing to acknowledge.",
    responses=_ACTION_PROBLEMS,
)
async def acknowledge(
    context: Context, principal: AlarmHandler, alarm_id: AlarmId, body: AckIn
) -> dict[str, Any]:
    book = _acted_on(context, principal, alarm_id)
    return view_to_json(await book.acknowledge(alarm_id, principal.actor_name, body.comment))


@router.post(
    "/api/alarms/{alarm_id}/shelve",
    summary="Shelve an alarm",
    description="Hide the alarm for a while (up to the configured maximum); it returns on its "
    "own when the time is up.",
    responses=_ACTION_PROBLEMS,
)
async def shelve(
    context: Context, principal: AlarmHandler, alarm_id: AlarmId, body: ShelveIn
) -> dict[str, Any]:
    book = _acted_on(context, principal, alarm_id)
    user = principal.actor_name
    return view_to_json(await book.shelve(alarm_id, user, body.duration, body.reason))


@router.post(
    "/api/alarms/{alarm_id}/unshelve",
    summary="Return a shelved alarm",
    responses=_ACTION_PROBLEMS,
)
async def unshelve(
    context: Context, principal: AlarmHandler, alarm_id: AlarmId, body: UnshelveIn
) -> dict[str, Any]:
    book = _acted_on(context, principal, alarm_id)
    return view_to_json(await book.unshelve(alarm_id, principal.actor_name, body.comment))


@router.post(
    "/api/alarms/{alarm_id}/comment",
    summary="Comment on an alarm",
    responses=_ACTION_PROBLEMS,
)
async def comment(
    context: Context, principal: AlarmHandler, alarm_id: AlarmId, body: CommentIn
) -> dict[str, Any]:
    book = _acted_on(context, principal, alarm_id)
    return view_to_json(await book.comment(alarm_id, principal.actor_name, body.text))


@router.post(
    "/api/alarms/{alarm_id}/service",
    summary="Take an alarm out of service or return it",
    description="Out of service: maintenance or a broken sensor; the alarm is held until "
    "returned. A reason is required to take it out.",
    responses=_ACTION_PROBLEMS,
)
async def service(
    context: Context, principal: AlarmHandler, alarm_id: AlarmId, body: ServiceIn
) -> dict[str, Any]:
    book = _acted_on(context, principal, alarm_id)
    user = principal.actor_name
    return view_to_json(await book.set_out_of_service(alarm_id, user, body.out, body.reason))
