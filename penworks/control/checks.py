"""The checks a command passes before it is stored, in order: permission, value, interlock
hold, rate limit, connector. Each refusal says why in words an operator can act on."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from penworks.control.binding import PointRules
from penworks.control.config import ControlConfig
from penworks.control.interlocks import InterlockBoard
from penworks.control.ports import WritePort
from penworks.control.priority import LIFE_SAFETY, MINIMUM_ON_OFF, PriorityArray
from penworks.control.ratelimit import RateLimiter
from penworks.control.types import ActorKind, CommandRequest, Refusal
from penworks.core import PayloadError, Point, Value, coerce_value


@dataclass(frozen=True, slots=True)
class Verdict:
    """A refusal with its reason, or the value to store and the port to write through."""

    refusal: Refusal | None = None
    detail: str = ""
    value: Value | None = None
    port: WritePort | None = None


@dataclass(frozen=True, slots=True)
class CheckContext:
    """What the checks consult."""

    config: ControlConfig
    rules: PointRules
    interlocks: InterlockBoard
    rates: RateLimiter
    connector_for: Callable[[str], WritePort | None]


def check(
    ctx: CheckContext, request: CommandRequest, point: Point, array: PriorityArray, now: datetime
) -> Verdict:
    """Every check after the point is known to be writable; the first that fails decides."""
    problem = _permission(ctx.config, request, array)
    if problem is not None:
        return Verdict(Refusal.PERMISSION, problem)
    value: Value | None = None
    if request.value is not None:
        refusal, detail, value = _value(ctx.rules, point, request.value)
        if refusal is not None:
            return Verdict(refusal, detail)
    if request.actor.kind is not ActorKind.INTERLOCK:  # interlocks arbitrate among themselves
        hold = ctx.interlocks.hold(point.id, request.priority)
        if hold is not None:
            return Verdict(
                Refusal.INTERLOCK,
                f"held by interlock {hold.interlock} (trigger {hold.trigger}) at level "
                f"{hold.priority} with {hold.value!r}: only a more urgent level may command it",
            )
    if rate_limited(request):
        problem = ctx.rates.refusal(point.id, ctx.rules.rate_limits, now)
        if problem is not None:
            return Verdict(Refusal.RATE_LIMIT, problem)
    port = ctx.connector_for(point.id)
    if port is None:
        return Verdict(Refusal.NO_CONNECTOR, "no running connector owns the point")
    return Verdict(value=value, port=port)


def _permission(config: ControlConfig, request: CommandRequest, array: PriorityArray) -> str | None:
    kind = request.actor.kind
    permission = config.permissions.get(kind)
    if permission is None:
        return f"{kind} actors may not command"
    level = request.priority
    if level == MINIMUM_ON_OFF:
        return "level 6 is reserved for minimum on/off times"
    if not permission.allows(level):
        return (
            f"{kind} actors may command levels {permission.highest}-{permission.lowest}, "
            f"not {level}"
        )
    if request.value is None and not permission.relinquish_others:
        entry = array.entry(level)
        if entry is not None and entry.actor != request.actor:
            return (
                f"level {level} was written by {entry.actor}; {kind} actors may relinquish "
                "only their own levels"
            )
    return None


def _value(rules: PointRules, point: Point, raw: Value) -> tuple[Refusal | None, str, Value | None]:
    try:
        value = coerce_value(point.kind, raw)
    except PayloadError as exc:
        return Refusal.INVALID_VALUE, f"a {point.kind} point: {exc}", None
    try:
        value = point.check_command_value(value)
    except PayloadError as exc:
        return Refusal.LIMITS, str(exc), None
    problem = rules.check_limits(value)
    if problem is not None:
        return Refusal.LIMITS, problem, None
    return None, "", value


def rate_limited(request: CommandRequest) -> bool:
    """Giving up control, life safety and interlocks are never rate limited."""
    return (
        request.value is not None
        and request.priority not in LIFE_SAFETY
        and request.actor.kind is not ActorKind.INTERLOCK
    )
