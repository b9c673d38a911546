"""What the command path speaks: who commands, what they ask, what came of it.

These are the shapes the API, the rules and the apps hand to `ControlService` and read back
from it; they are plain frozen data, JSON-ready through `to_json()`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from penworks.core import Value


class ActorKind(StrEnum):
    """What kind of actor a command comes from; permissions are given per kind."""

    OPERATOR = "operator"
    APP = "app"
    RULE = "rule"
    SCHEDULE = "schedule"
    INTERLOCK = "interlock"
    SYSTEM = "system"


@dataclass(frozen=True, slots=True)
class Actor:
    """Who or what commands: Actor(OPERATOR, "li.wei"), Actor(RULE, "zone_too_warm")."""

    kind: ActorKind
    name: str

    def __str__(self) -> str:
        return f"{self.kind}:{self.name}"


@dataclass(frozen=True, slots=True)
class CommandRequest:
    """A request that a writable point take a value at a priority level (1 most urgent)."""

    point: str
    value: Value | None  # None relinquishes this actor's level `priority`
    priority: int  # 1..16
    actor: Actor
    reason: str = ""
    idempotency_key: str | None = None  # same key (same actor) again: the first outcome
    expires_at: datetime | None = None  # clock time; a command checked after it is refused

    def __post_init__(self) -> None:
        if isinstance(self.priority, bool) or not 1 <= self.priority <= 16:
            raise ValueError(f"priority must be 1..16, got {self.priority!r}")
        if self.expires_at is not None and self.expires_at.tzinfo is None:
            raise ValueError("expires_at must be timezone-aware")


class CommandStatus(StrEnum):
    """How a command ended."""

    CONFIRMED = "confirmed"  # written and read back (or already in effect)
    FAILED = "failed"  # the write failed or was not read back in time; the level stays stored
    SUPERSEDED = "superseded"  # stored at its level; a higher level holds the point
    RELINQUISHED = "relinquished"  # the level is empty; the point follows the next one
    REFUSED = "refused"  # nothing stored; `refusal` says why


# The statuses of commands that changed a priority array (restore replays these).
STORED = frozenset(
    {
        CommandStatus.CONFIRMED,
        CommandStatus.FAILED,
        CommandStatus.SUPERSEDED,
        CommandStatus.RELINQUISHED,
    }
)


class Refusal(StrEnum):
    """Why a command was refused, in the order the checks run."""

    EXPIRED = "expired"
    UNKNOWN_POINT = "unknown_point"
    NOT_WRITABLE = "not_writable"
    PERMISSION = "permission"
    INVALID_VALUE = "invalid_value"
    LIMITS = "limits"
    INTERLOCK = "interlock"
    RATE_LIMIT = "rate_limit"
    NO_CONNECTOR = "no_connector"


@dataclass(frozen=True, slots=True)
class CommandOutcome:
    """What came of a command; every outcome is one audit record."""

    id: str
    request: CommandRequest
    status: CommandStatus
    detail: str
    refusal: Refusal | None
    effective: Value | None  # the point's effective value after the command
    effective_priority: int | None  # its level; None: the relinquish default, or nothing
    ts: datetime
    duplicate: bool = False

    def to_json(self) -> dict[str, Any]:
        """The audit record's data and the `event.command` message."""
        request = self.request
        return {
            "id": self.id,
            "ts": self.ts.isoformat(),
            "point": request.point,
            "actor_kind": str(request.actor.kind),
            "actor": request.actor.name,
            "reason": request.reason,
            "value": request.value,
            "priority": request.priority,
            "status": str(self.status),
            "refusal": None if self.refusal is None else str(self.refusal),
            "detail": self.detail,
            "effective": self.effective,
            "effective_priority": self.effective_priority,
            "idempotency_key": request.idempotency_key,
            "expires_at": None if request.expires_at is None else request.expires_at.isoformat(),
            "duplicate": self.duplicate,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CommandOutcome:
        """The outcome an audit record describes (KeyError/ValueError if it is not one)."""
        expires = data.get("expires_at")
        request = CommandRequest(
            point=str(data["point"]),
            value=data["value"],
            priority=int(data["priority"]),
            actor=Actor(ActorKind(data["actor_kind"]), str(data["actor"])),
            reason=str(data.get("reason", "")),
            idempotency_key=data.get("idempotency_key"),
            expires_at=None if expires is None else datetime.fromisoformat(expires),
        )
        refusal = data.get("refusal")
        return cls(
            id=str(data["id"]),
            request=request,
            status=CommandStatus(data["status"]),
            detail=str(data.get("detail", "")),
            refusal=None if refusal is None else Refusal(refusal),
            effective=data.get("effective"),
            effective_priority=data.get("effective_priority"),
            ts=datetime.fromisoformat(data["ts"]),
            duplicate=bool(data.get("duplicate", False)),
        )


@dataclass(frozen=True, slots=True)
class LevelEntry:
    """One occupied level of a priority array: its value and who wrote it, when."""

    priority: int
    value: Value
    actor: Actor
    ts: datetime
    command: str = ""  # the id of the command that wrote it

    def to_json(self) -> dict[str, Any]:
        return {
            "priority": self.priority,
            "value": self.value,
            "actor_kind": str(self.actor.kind),
            "actor": self.actor.name,
            "ts": self.ts.isoformat(),
            "command": self.command,
        }


@dataclass(frozen=True, slots=True)
class Hold:
    """An active interlock instance keeping a point at a level: nothing below may change it."""

    interlock: str
    trigger: str  # the point whose value activated the instance
    priority: int
    value: Value

    def to_json(self) -> dict[str, Any]:
        return {
            "interlock": self.interlock,
            "trigger": self.trigger,
            "priority": self.priority,
            "value": self.value,
        }


@dataclass(frozen=True, slots=True)
class PrioritySnapshot:
    """A point's priority array as it stands: 16 levels, the effective value, the holds."""

    point: str
    writable: bool
    levels: tuple[LevelEntry | None, ...]  # index 0 is priority 1
    effective: Value | None
    effective_priority: int | None  # None: the relinquish default (or nothing) applies
    relinquish_default: Value | None
    holds: tuple[Hold, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "point": self.point,
            "writable": self.writable,
            "levels": [None if e is None else e.to_json() for e in self.levels],
            "effective": self.effective,
            "effective_priority": self.effective_priority,
            "relinquish_default": self.relinquish_default,
            "holds": [h.to_json() for h in self.holds],
        }


@dataclass(frozen=True, slots=True)
class InterlockTarget:
    """One point an interlock instance commands, at a value and a level."""

    point: str
    value: Value
    priority: int

    def to_json(self) -> dict[str, Any]:
        return {"point": self.point, "value": self.value, "priority": self.priority}


@dataclass(frozen=True, slots=True)
class InterlockStatus:
    """One instance of an interlock: its trigger point, whether it is active, what it holds."""

    interlock: str
    description: str
    trigger: str
    active: bool | None  # None: no usable value of the trigger seen yet
    since: datetime | None  # when it last changed state
    value: Value | None  # the trigger's last value
    error: str | None  # why the condition could not be decided, if it could not
    targets: tuple[InterlockTarget, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "interlock": self.interlock,
            "description": self.description,
            "trigger": self.trigger,
            "active": self.active,
            "since": None if self.since is None else self.since.isoformat(),
            "value": self.value,
            "error": self.error,
            "targets": [t.to_json() for t in self.targets],
        }
