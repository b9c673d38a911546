"""The control file: confirmation, permissions, point policies and interlocks, as data.

Loaded with `load_control_config(path)`; every key is checked at load time (file, line and
key in the error), and every selector against the building model when the service is built
(`penworks.control.binding`).
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Annotated

from pydantic import BeforeValidator, Field, field_validator, model_validator

from penworks.control.priority import LIFE_SAFETY, MINIMUM_ON_OFF
from penworks.control.types import ActorKind
from penworks.core.durations import parse_duration
from penworks.core.expr import Expression, ExpressionError
from penworks.core.repeats import repeated
from penworks.core.yamlfile import load_yaml_model
from penworks.model.schema import LOCAL_ID, Strict
from penworks.model.select import PointSelector

Duration = Annotated[timedelta, BeforeValidator(parse_duration)]
CommandValue = bool | int | float | str  # bool first: YAML true stays a bool

# The names an interlock condition may read.
CONDITION_NAMES = frozenset({"value"})


class Permission(Strict):
    """The levels one kind of actor may command (1 is the most urgent)."""

    highest: int = Field(ge=1, le=16, description="The most urgent level it may use (1..16)")
    lowest: int = Field(16, ge=1, le=16, description="The least urgent level it may use")
    relinquish_others: bool = Field(
        False,
        description="Whether it may relinquish a level another actor wrote (an operator "
        "clearing a level a stopped app left behind); otherwise only its own",
    )

    @model_validator(mode="after")
    def _ordered(self) -> Permission:
        if self.highest > self.lowest:
            raise ValueError(f"highest {self.highest} is less urgent than lowest {self.lowest}")
        return self

    def allows(self, priority: int) -> bool:
        return self.highest <= priority <= self.lowest


def default_permissions() -> dict[ActorKind, Permission]:
    """Life safety for interlocks and the system; the operator from 8; then apps, rules and
    schedules, each below the one before."""
    return {
        ActorKind.INTERLOCK: Permission(highest=1),
        ActorKind.SYSTEM: Permission(highest=1, relinquish_others=True),
        ActorKind.OPERATOR: Permission(highest=8, relinquish_others=True),
        ActorKind.APP: Permission(highest=10),
        ActorKind.RULE: Permission(highest=12),
        ActorKind.SCHEDULE: Permission(highest=14),
    }


class RateLimit(Strict):
    """At most `count` writes to each selected point per `per` (clock time)."""

    count: int = Field(ge=1, description="How many writes the window allows")
    per: Duration = Field(description="The window: seconds (90) or a duration (30s, 10m, 1h)")

    @field_validator("per")
    @classmethod
    def _positive(cls, value: timedelta) -> timedelta:
        if value <= timedelta(0):
            raise ValueError("the window must be longer than zero")
        return value


class CommandLimits(Strict):
    """Command limits tighter than the point's own engineering limits."""

    min: float | None = Field(None, description="Lowest value a command may write")
    max: float | None = Field(None, description="Highest value a command may write")

    @model_validator(mode="after")
    def _ordered(self) -> CommandLimits:
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min {self.min} is above max {self.max}")
        return self


class PointPolicy(Strict):
    """Rules for the commands to some points; every policy that selects a point applies."""

    id: str = Field(pattern=LOCAL_ID, description="Name of the policy, used in refusals")
    select: PointSelector = Field(description="The points it covers (no placeholders)")
    limits: CommandLimits | None = Field(None, description="Command limits (number points)")
    rate_limit: RateLimit | None = Field(None, description="Most writes per time per point")
    relinquish_default: CommandValue | None = Field(
        None, description="The value written when every level is relinquished"
    )
    confirm: bool = Field(
        True,
        description="Wait for an observation of the written value; false for points whose "
        "device never reports what was commanded",
    )
    tolerance: float | None = Field(
        None, ge=0, description="Read-back tolerance for these points, if not the default"
    )

    @field_validator("select")
    @classmethod
    def _no_anchor(cls, value: PointSelector) -> PointSelector:
        if value.needs_anchor:
            raise ValueError("a policy selector has no anchor point: placeholders are not allowed")
        return value


class InterlockAction(Strict):
    """What an active interlock instance does: these points, this value, at this level."""

    select: PointSelector = Field(
        description="The points to command; placeholders ({floor}, {space}, ...) are those "
        "of the trigger point"
    )
    value: CommandValue = Field(description="The value to hold them at")
    priority: int = Field(
        1, ge=1, le=16, description="The level to hold them at (1-2: life safety)"
    )

    @field_validator("priority")
    @classmethod
    def _not_reserved(cls, value: int) -> int:
        if value == MINIMUM_ON_OFF:
            raise ValueError("level 6 is reserved for minimum on/off times")
        return value


class InterlockDef(Strict):
    """A safety interlock: for each trigger point, while its value meets a condition,
    command and hold the points of the actions."""

    id: str = Field(pattern=LOCAL_ID, description="Name of the interlock, used in refusals")
    description: str = Field("", description="What it is for, in words")
    for_each: PointSelector = Field(
        description="The trigger points; each is one instance and the anchor of placeholders"
    )
    active_when: str = Field(
        description="Condition over `value` (the trigger's value), e.g. value == 'alarm'"
    )
    actions: list[InterlockAction] = Field(min_length=1, description="What it commands")
    retry: Duration = Field(
        timedelta(seconds=30),
        description="While active, how long to wait before writing again a command that "
        "failed (clock time)",
    )

    @field_validator("for_each")
    @classmethod
    def _no_anchor(cls, value: PointSelector) -> PointSelector:
        if value.needs_anchor:
            raise ValueError("trigger selectors have no anchor: placeholders are not allowed")
        return value

    @field_validator("active_when")
    @classmethod
    def _condition(cls, text: str) -> str:
        try:
            names = Expression.compile(text).names
        except ExpressionError as exc:
            raise ValueError(str(exc)) from None
        unknown = sorted(names - CONDITION_NAMES)
        if unknown:
            raise ValueError(f"the condition may read only 'value', not {', '.join(unknown)}")
        return text


class ControlConfig(Strict):
    """How commands are checked, confirmed and held."""

    confirm_timeout_s: float = Field(
        10.0, gt=0, le=600, description="Wall seconds to wait for the read-back of a write"
    )
    tolerance: float = Field(
        0.01, ge=0, description="Numbers read back within this of the written value confirm it"
    )
    relative_tolerance: float = Field(
        0.001, ge=0, le=1, description="... or within this fraction of the written value"
    )
    idempotency_memory: Duration = Field(
        timedelta(hours=24),
        description="How long a command's idempotency key is remembered (clock time)",
    )
    permissions: dict[ActorKind, Permission] = Field(
        default_factory=default_permissions,
        description="Levels per kind of actor; a kind with no entry may not command. "
        "Levels 1-2 are for interlock and system only",
    )
    device_priority_connectors: list[str] = Field(
        default_factory=lambda: ["bacnet"],
        description="Connectors whose devices keep a priority array of their own: Penworks "
        "keeps one level written on them and moves it (others ignore the level)",
    )
    policies: list[PointPolicy] = Field(default_factory=list, description="Point policies")
    interlocks: list[InterlockDef] = Field(default_factory=list, description="Interlocks")

    @field_validator("permissions")
    @classmethod
    def _life_safety(cls, value: dict[ActorKind, Permission]) -> dict[ActorKind, Permission]:
        for kind, permission in value.items():
            if kind not in (ActorKind.INTERLOCK, ActorKind.SYSTEM) and any(
                permission.allows(level) for level in LIFE_SAFETY
            ):
                raise ValueError(f"{kind}: levels 1-2 are for interlock and system only")
        return value

    @model_validator(mode="after")
    def _unique(self) -> ControlConfig:
        for what, ids in (
            ("policy", [p.id for p in self.policies]),
            ("interlock", [i.id for i in self.interlocks]),
        ):
            twice = repeated(ids)
            if twice:
                raise ValueError(f"{what} ids must be unique; repeated: {', '.join(twice)}")
        return self


def load_control_config(path: Path) -> ControlConfig:
    """Read a control file; ConfigError naming the file, line and key on any problem."""
    return load_yaml_model(path, ControlConfig)
