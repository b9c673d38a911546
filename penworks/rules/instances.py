"""A rule instance's condition over time: durations, hysteresis and suppression.

`step` decides, for the names as they are now, whether the instance becomes active, clears,
or only changes its suppression, and which instant it next needs a timer for (the end of a
`for` or `clear_for` wait). It never waits and never acts: the engine does both.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import Any

from penworks.core import Value
from penworks.core.expr import MissingValue
from penworks.rules.compiler import CompiledRule, InstanceSpec
from penworks.rules.sinks import AlarmCondition
from penworks.rules.status import InstanceStatus, RuleStatus


class Change(Enum):
    """What one evaluation changed."""

    NONE = 0
    ACTIVATED = 1
    CLEARED = 2
    SUPPRESSION = 3  # only whether the alarm is suppressed by design


@dataclass(eq=False, slots=True)
class RuleState:
    """A running rule: its compiled form, its instances and its counters."""

    compiled: CompiledRule
    api: bool  # added by an app (kept by replace), not loaded from a rule file
    instances: list[Instance] = field(default_factory=list)
    evaluations: int = 0
    errors: int = 0
    activations: int = 0
    last_error: str | None = None
    last_error_at: datetime | None = None
    trigger_due: datetime | None = None  # the `every`/`at` timer it still wants
    removed: bool = False

    def fail(self, message: str, at: datetime) -> None:
        self.errors += 1
        self.last_error = message
        self.last_error_at = at

    def status(self) -> RuleStatus:
        compiled = self.compiled
        return RuleStatus(
            id=compiled.id,
            owner=compiled.owner,
            description=compiled.definition.description,
            enabled=compiled.definition.enabled,
            instances=len(self.instances),
            active=sum(1 for i in self.instances if i.active),
            evaluations=self.evaluations,
            errors=self.errors,
            last_error=self.last_error,
            last_error_at=self.last_error_at,
            activations=self.activations,
            skipped=compiled.skipped,
        )


@dataclass(eq=False, slots=True)
class Instance:
    """One instance's state between evaluations."""

    rule: RuleState
    spec: InstanceSpec
    active: bool = False
    since: datetime | None = None
    pending_since: datetime | None = None
    clearing_since: datetime | None = None
    suppressed: bool = False
    last_anchor: Value | None = None  # the anchor's value at the last evaluation (deadband)
    timer_due: datetime | None = None  # the duration timer it still wants
    removed: bool = False

    def step(self, env: dict[str, Any], now: datetime) -> Change:
        """Evaluate the condition; MissingValue and ExpressionError propagate, with no
        change made (an unknown value decides nothing)."""
        rule = self.rule.compiled
        change = self._clearing(rule, env, now) if self.active else self._raising(rule, env, now)
        if rule.suppress_when is not None:
            try:
                suppressed = rule.suppress_when.truth(env)
            except MissingValue:
                suppressed = self.suppressed
            if suppressed != self.suppressed:
                self.suppressed = suppressed
                if change is Change.NONE and self.active:
                    change = Change.SUPPRESSION
        return change

    def within_deadband(self, value: Value) -> bool:
        """Whether a new anchor value is too close to the last evaluated one to evaluate."""
        band = self.rule.compiled.definition.deadband
        last = self.last_anchor
        if not band or last is None or isinstance(value, bool | str):
            return False
        return not isinstance(last, bool | str) and abs(value - last) < band

    def area(self, env: dict[str, Any]) -> str:
        """The alarm's area: the rule's area template if it can be filled, else the default."""
        template = self.rule.compiled.area
        if template is not None:
            return template.render_known(env) or self.spec.area
        return self.spec.area

    def alarm_condition(self, env: dict[str, Any], now: datetime) -> AlarmCondition | None:
        """What to tell the alarm book now, if the rule raises an alarm."""
        compiled = self.rule.compiled
        alarm = compiled.definition.alarm
        if alarm is None or compiled.message is None:
            return None
        return AlarmCondition(
            alarm_id=self.spec.key,
            rule=compiled.id,
            point=self.spec.anchor,
            area=self.area(env),
            priority=alarm.priority,
            message=compiled.message.render(env),
            active=self.active,
            ts=now,
            value=env.get("value"),
            suppressed=self.suppressed,
        )

    def status(self, value: Value | None) -> InstanceStatus:
        return InstanceStatus(
            key=self.spec.key,
            point=self.spec.anchor,
            active=self.active,
            since=self.since,
            pending_since=self.pending_since,
            clearing_since=self.clearing_since,
            suppressed=self.suppressed,
            value=value,
        )

    def wanted_timer(self) -> datetime | None:
        """When the running `for` or `clear_for` wait ends, if one runs."""
        definition = self.rule.compiled.definition
        if self.pending_since is not None and definition.hold:
            return self.pending_since + definition.hold
        if self.clearing_since is not None and definition.clear_for:
            return self.clearing_since + definition.clear_for
        return None

    def _raising(self, rule: CompiledRule, env: dict[str, Any], now: datetime) -> Change:
        if not rule.when.truth(env):
            self.pending_since = None
            return Change.NONE
        if self.pending_since is None:
            self.pending_since = now
        if now - self.pending_since < rule.definition.hold:
            return Change.NONE
        self.active, self.since, self.pending_since = True, now, None
        return Change.ACTIVATED

    def _clearing(self, rule: CompiledRule, env: dict[str, Any], now: datetime) -> Change:
        if rule.clear_when is not None:
            clears = rule.clear_when.truth(env)
        else:
            clears = not rule.when.truth(env)
        if not clears:
            self.clearing_since = None
            return Change.NONE
        if self.clearing_since is None:
            self.clearing_since = now
        if now - self.clearing_since < rule.definition.clear_for:
            return Change.NONE
        self.active, self.since, self.clearing_since = False, now, None
        return Change.CLEARED


def same_rule(old: CompiledRule, new: CompiledRule) -> bool:
    """Whether a reloaded rule is the one running (then its instances keep their state)."""
    return old.definition == new.definition and old.instances == new.instances


Readers = dict[str, list[tuple[Instance, bool]]]  # point id -> (instance, is it the anchor?)


def index(rules: list[RuleState]) -> tuple[Readers, dict[str, list[Instance]]]:
    """Which instances read each point, and each schedule."""
    readers: Readers = {}
    schedule_readers: dict[str, list[Instance]] = {}
    for rule in rules:
        for instance in rule.instances:
            spec = instance.spec
            if spec.anchor is not None:
                readers.setdefault(spec.anchor, []).append((instance, True))
            for point in {p for _, p in spec.points} - {spec.anchor}:
                readers.setdefault(point, []).append((instance, False))
            for schedule in {s for _, s in spec.schedules}:
                schedule_readers.setdefault(schedule, []).append(instance)
    return readers, schedule_readers
