"""The rule file schema: what a rule says, checked as far as the rule alone allows.

Everything that can be decided from the rule text is checked here, so pydantic reports it
with the file's line: expressions parse, templates are allowed, every name they read is
bound. What needs the building (selectors resolve, points are writable, schedules exist)
is checked by `penworks.rules.compiler` when the rule is compiled against a model.
"""

from __future__ import annotations

import keyword
import re
from datetime import timedelta
from typing import Annotated, Any, Final

from pydantic import (
    AfterValidator,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    model_validator,
)

from penworks.core.durations import parse_duration
from penworks.core.expr import Expression
from penworks.model.schema import LOCAL_ID, Strict
from penworks.model.select import PLACEHOLDERS, PointSelector
from penworks.rules.alarm_types import AlarmPriority
from penworks.rules.templates import MessageTemplate

ANCHOR_NAMES: Final = frozenset({"value", "point", "name", *PLACEHOLDERS})
"""Names every instance of a rule with `for_each` binds (the places only where they exist)."""
RESERVED: Final = ANCHOR_NAMES | {"rule"}
_TIME_OF_DAY = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)(?::([0-5]\d))?$")
_INPUT_NAME = re.compile(r"^[a-z][a-z0-9_]*$")

LiteralValue = bool | int | float | str | None
"""A literal in a rule file: a number, a bool, null; text is an expression (quote literals)."""


def _duration(value: object) -> timedelta:
    return parse_duration(value)


def _expression(text: str) -> str:
    Expression.compile(text)  # ExpressionError is a ValueError: pydantic reports it in place
    return text


def _template(text: str) -> str:
    MessageTemplate.compile(text)
    return text


def _time_of_day(text: str) -> str:
    if not _TIME_OF_DAY.match(text):
        raise ValueError(f"{text!r} is not a time of day: write HH:MM or HH:MM:SS (24 h)")
    return text


def _priority(value: object) -> object:
    if isinstance(value, AlarmPriority):
        return value
    if isinstance(value, str) and value.upper() in AlarmPriority.__members__:
        return AlarmPriority[value.upper()]
    names = ", ".join(p.name.lower() for p in AlarmPriority)
    raise ValueError(f"{value!r} is not a priority: give one of {names}")


Duration = Annotated[timedelta, BeforeValidator(_duration)]
ExpressionText = Annotated[str, AfterValidator(_expression)]
TemplateText = Annotated[str, AfterValidator(_template)]
TimeOfDay = Annotated[str, AfterValidator(_time_of_day)]
Priority = Annotated[AlarmPriority, BeforeValidator(_priority)]


class ScheduleInput(Strict):
    """A schedule's state: true while the schedule is on."""

    schedule: str = Field(description="Schedule id, as the schedules file names it")


def _input_kind(value: Any) -> str:
    if isinstance(value, ScheduleInput) or (isinstance(value, dict) and "schedule" in value):
        return "schedule"
    return "point"


InputDef = Annotated[
    Annotated[ScheduleInput, Tag("schedule")] | Annotated[PointSelector, Tag("point")],
    Discriminator(_input_kind),
]


class CommandAction(Strict):
    """Command a point (or every point a selector names) through the command path."""

    point: str | None = Field(None, description="The point to command, by full id")
    select: PointSelector | None = Field(
        None, description="The points to command; may use the anchor's places ({space}, ...)"
    )
    value: LiteralValue = Field(
        description="A number, true/false, or an expression over the rule's names (quote "
        "text inside it: \"'auto'\"); null relinquishes the rule's priority level"
    )
    priority: int = Field(12, ge=1, le=16, description="Priority level, 1 (highest) to 16")
    reason: TemplateText | None = Field(
        None, description="Why, for the audit log; default: the rule and the edge"
    )

    @model_validator(mode="after")
    def _one_target(self) -> CommandAction:
        if (self.point is None) == (self.select is None):
            raise ValueError("give either point or select")
        if isinstance(self.value, str):
            _expression(self.value)
        return self


class NotifyAction(Strict):
    """Send a notice to people (routed by priority, area and role)."""

    subject: TemplateText = Field(description="Subject line, a template")
    body: TemplateText = Field("", description="Text of the notice, a template")
    priority: Priority = Field(AlarmPriority.MEDIUM, description="critical, high, medium, low")
    roles: tuple[str, ...] = Field((), description="Roles to reach; none: the routing decides")
    channels: tuple[str, ...] = Field((), description="Channels to use; none: the routing decides")


class EventAction(Strict):
    """Publish an event on the bus subject event.rule.<rule id>."""

    name: str = Field(pattern=LOCAL_ID, description="Event name, e.g. zone_hot")
    data: dict[str, LiteralValue] = Field(
        default_factory=dict,
        description="Extra fields: literals, or expressions over the rule's names",
    )

    @model_validator(mode="after")
    def _expressions(self) -> EventAction:
        for value in self.data.values():
            if isinstance(value, str):
                _expression(value)
        return self


class ActionDef(Strict):
    """One action: exactly one of command, notify, event."""

    command: CommandAction | None = Field(None, description="Command points")
    notify: NotifyAction | None = Field(None, description="Notify people")
    event: EventAction | None = Field(None, description="Publish an event")

    @model_validator(mode="after")
    def _exactly_one(self) -> ActionDef:
        given = [a for a in (self.command, self.notify, self.event) if a is not None]
        if len(given) != 1:
            raise ValueError("an action is exactly one of command, notify, event")
        return self


class AlarmDef(Strict):
    """The alarm a rule raises while it is active."""

    priority: Priority = Field(description="critical, high, medium or low")
    message: TemplateText = Field(description="Alarm text, a template, e.g. '{point} is {value}'")
    area: TemplateText | None = Field(
        None, description="Area for routing and flood detection; default: the anchor's floor"
    )


class RuleDef(Strict):
    """One rule: when a condition holds (long enough), raise an alarm and act."""

    model_config = ConfigDict(validate_by_name=True, validate_by_alias=True)

    id: str = Field(pattern=LOCAL_ID, description="Rule id, unique among all rules")
    description: str = Field("", description="What the rule is for, for people")
    enabled: bool = Field(True, description="A disabled rule is checked but does not run")
    for_each: PointSelector | None = Field(
        None,
        description="One instance per point it selects (the anchor: names value and point); "
        "none: one instance with the inputs only",
    )
    inputs: dict[str, InputDef] = Field(
        default_factory=dict,
        description="More names: a selector that resolves to one point per anchor, or a schedule",
    )
    when: ExpressionText = Field(description="The condition, e.g. 'value > setpoint + 3'")
    hold: Duration = Field(
        timedelta(0), alias="for", description="How long `when` must hold before it is active"
    )
    clear_when: ExpressionText | None = Field(
        None, description="Once active, it clears when this holds (default: when `when` fails)"
    )
    clear_for: Duration = Field(
        timedelta(0), description="How long the clear condition must hold before it clears"
    )
    deadband: float = Field(
        0.0,
        ge=0,
        description="Anchor changes smaller than this since the last evaluation are ignored",
    )
    every: Duration | None = Field(None, description="Also evaluate at this interval")
    at: tuple[TimeOfDay, ...] = Field(
        (), description="Also evaluate at these times of day (HH:MM, site time zone)"
    )
    alarm: AlarmDef | None = Field(None, description="The alarm it raises while active")
    suppress_when: ExpressionText | None = Field(
        None, description="While this holds the alarm is suppressed by design"
    )
    on_active: tuple[ActionDef, ...] = Field((), description="Actions when it becomes active")
    on_clear: tuple[ActionDef, ...] = Field((), description="Actions when it clears")

    @model_validator(mode="after")
    def _consistent(self) -> RuleDef:
        for name in self.inputs:
            if not _INPUT_NAME.match(name) or keyword.iskeyword(name):
                raise ValueError(f"input {name!r}: names are lowercase letters, digits and _")
            if name in RESERVED:
                raise ValueError(f"input {name!r}: the name is reserved ({_listed(RESERVED)})")
        if self.for_each is not None and self.for_each.needs_anchor:
            raise ValueError("for_each: a placeholder needs an anchor; for_each has none")
        if self.for_each is None:
            self._no_anchor_checks()
        if self.every is not None and self.every <= timedelta(0):
            raise ValueError("every: the interval must be longer than zero")
        if self.suppress_when is not None and self.alarm is None:
            raise ValueError("suppress_when needs an alarm to suppress")
        for where, names in self.names_read():
            unbound = sorted(names - self.bound_names())
            if unbound:
                verb = "is" if len(unbound) == 1 else "are"
                raise ValueError(
                    f"{where}: {_listed(unbound)} {verb} not bound "
                    f"(the rule binds {_listed(self.bound_names())})"
                )
        return self

    def _no_anchor_checks(self) -> None:
        if not (self.inputs or self.every or self.at):
            raise ValueError("nothing triggers the rule: give for_each, inputs, every or at")
        if self.deadband:
            raise ValueError("deadband applies to the anchor of for_each; the rule has none")
        for name, source in self.inputs.items():
            if isinstance(source, PointSelector) and source.needs_anchor:
                raise ValueError(f"inputs.{name}: a placeholder needs for_each (an anchor)")
        for _, action in self.actions():
            if action.command and action.command.select and action.command.select.needs_anchor:
                raise ValueError("command.select: a placeholder needs for_each (an anchor)")

    def bound_names(self) -> frozenset[str]:
        """Every name the rule's expressions and templates may read."""
        anchor = ANCHOR_NAMES if self.for_each is not None else frozenset()
        return anchor | {"rule"} | set(self.inputs)

    def actions(self) -> list[tuple[str, ActionDef]]:
        """(where, action) for every action, where is e.g. 'on_active[0]'."""
        return [(f"on_active[{i}]", a) for i, a in enumerate(self.on_active)] + [
            (f"on_clear[{i}]", a) for i, a in enumerate(self.on_clear)
        ]

    def names_read(self) -> list[tuple[str, frozenset[str]]]:
        """(where, names) for every expression and template of the rule."""
        found: list[tuple[str, frozenset[str]]] = []
        for where, text in (
            ("when", self.when),
            ("clear_when", self.clear_when),
            ("suppress_when", self.suppress_when),
        ):
            if text is not None:
                found.append((where, Expression.compile(text).names))
        if self.alarm is not None:
            found.append(("alarm.message", MessageTemplate.compile(self.alarm.message).names))
            if self.alarm.area is not None:
                found.append(("alarm.area", MessageTemplate.compile(self.alarm.area).names))
        for where, action in self.actions():
            found.extend((f"{where}.{w}", names) for w, names in _action_names(action))
        return found


def _action_names(action: ActionDef) -> list[tuple[str, frozenset[str]]]:
    found: list[tuple[str, frozenset[str]]] = []
    if action.command is not None:
        if isinstance(action.command.value, str):
            found.append(("command.value", Expression.compile(action.command.value).names))
        if action.command.reason is not None:
            found.append(("command.reason", MessageTemplate.compile(action.command.reason).names))
    if action.notify is not None:
        for field in ("subject", "body"):
            text = getattr(action.notify, field)
            found.append((f"notify.{field}", MessageTemplate.compile(text).names))
    if action.event is not None:
        for key, value in action.event.data.items():
            if isinstance(value, str):
                found.append((f"event.data.{key}", Expression.compile(value).names))
    return found


def _listed(names: object) -> str:
    return ", ".join(sorted(names)) if isinstance(names, set | frozenset | list) else str(names)


class RuleFile(Strict):
    """A rule file: a list of rules."""

    rules: list[RuleDef] = Field(description="The rules of this file")
