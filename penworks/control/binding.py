"""The control file bound to a building: policies per point, interlock instances per trigger.

Every selector is resolved once, when the service is built; a selector that names nothing,
a value a point cannot take or a level an interlock may not use is a ConfigError naming the
policy or interlock and the reason, so a bad file never reaches a running building.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from penworks.control.config import (
    ControlConfig,
    InterlockDef,
    PointPolicy,
    RateLimit,
)
from penworks.control.types import ActorKind, InterlockTarget
from penworks.core import ConfigError, PayloadError, PenworksError, Point, PointKind, Value
from penworks.core.expr import Expression
from penworks.model import SiteModel
from penworks.model.select import PointSelector, select_points


@dataclass(slots=True)
class PointRules:
    """What the policies say about one point, merged: every policy that selects it applies."""

    low: float | None = None
    high: float | None = None
    limited_by: list[str] = field(default_factory=list)
    rate_limits: list[tuple[str, RateLimit]] = field(default_factory=list)
    relinquish_default: Value | None = None
    default_from: str | None = None
    confirm: bool = True
    tolerance: float | None = None

    def check_limits(self, value: Value) -> str | None:
        """Why a number is outside the policy limits, or None."""
        if isinstance(value, bool) or not isinstance(value, int | float):
            return None
        names = ", ".join(self.limited_by)
        if self.low is not None and value < self.low:
            return f"{value} is below {self.low}, the lowest policy {names} allows"
        if self.high is not None and value > self.high:
            return f"{value} is above {self.high}, the highest policy {names} allows"
        return None


NO_RULES = PointRules()


@dataclass(frozen=True, slots=True)
class InstancePlan:
    """One interlock instance: its trigger point and the targets it commands when active."""

    interlock: InterlockDef
    condition: Expression
    trigger: str
    targets: tuple[InterlockTarget, ...]


@dataclass(frozen=True, slots=True)
class BoundControl:
    """A control file resolved against a building model."""

    rules: dict[str, PointRules]
    instances: tuple[InstancePlan, ...]


def bind(config: ControlConfig, model: SiteModel) -> BoundControl:
    """Resolve every selector; ConfigError naming the policy or interlock and the reason."""
    rules: dict[str, PointRules] = {}
    for policy in config.policies:
        for point in _policy_points(model, policy):
            _merge(rules.setdefault(point.id, PointRules()), point, policy)
    instances: list[InstancePlan] = []
    for interlock in config.interlocks:
        instances += _instances(model, config, interlock, rules)
    return BoundControl(rules, tuple(instances))


def _select(
    model: SiteModel, selector: PointSelector, anchor: Point | None, who: str
) -> list[Point]:
    try:
        return select_points(model, selector, anchor)
    except PenworksError as exc:  # an unknown point, entity or Brick class; a placeholder
        raise ConfigError(f"{who}: {exc}") from None


def _policy_points(model: SiteModel, policy: PointPolicy) -> list[Point]:
    who = f"policy {policy.id}"
    points = [p for p in _select(model, policy.select, None, who) if p.writable]
    if not points:
        raise ConfigError(f"{who}: selects no writable point")
    return points


def _merge(rules: PointRules, point: Point, policy: PointPolicy) -> None:
    who = f"policy {policy.id}"
    if policy.limits is not None:
        if point.kind is not PointKind.NUMBER:
            raise ConfigError(f"{who}: limits on {point.id}, a {point.kind} point")
        rules.low = _tighter(max, rules.low, policy.limits.min)
        rules.high = _tighter(min, rules.high, policy.limits.max)
        if rules.low is not None and rules.high is not None and rules.low > rules.high:
            raise ConfigError(f"{who}: the limits of {point.id} leave no value allowed")
        rules.limited_by.append(policy.id)
    if policy.rate_limit is not None:
        rules.rate_limits.append((policy.id, policy.rate_limit))
    if policy.relinquish_default is not None:
        value = _value(point, policy.relinquish_default, who)
        if rules.default_from is not None and rules.relinquish_default != value:
            raise ConfigError(
                f"{who}: relinquish default {value!r} of {point.id} contradicts policy "
                f"{rules.default_from} ({rules.relinquish_default!r})"
            )
        rules.relinquish_default, rules.default_from = value, policy.id
    rules.confirm = rules.confirm and policy.confirm
    if policy.tolerance is not None:
        rules.tolerance = policy.tolerance


def _tighter(
    pick: Callable[[float, float], float], a: float | None, b: float | None
) -> float | None:
    if a is None or b is None:
        return b if a is None else a
    return pick(a, b)


def _value(point: Point, value: Value, who: str) -> Value:
    try:
        return point.check_command_value(value)
    except PayloadError as exc:
        raise ConfigError(f"{who}: {point.id} cannot take {value!r}: {exc}") from None


def _instances(
    model: SiteModel, config: ControlConfig, interlock: InterlockDef, rules: dict[str, PointRules]
) -> list[InstancePlan]:
    who = f"interlock {interlock.id}"
    permission = config.permissions.get(ActorKind.INTERLOCK)
    for action in interlock.actions:
        if permission is None or not permission.allows(action.priority):
            raise ConfigError(f"{who}: interlocks may not command at level {action.priority}")
    triggers = _select(model, interlock.for_each, None, f"{who}: for_each")
    if not triggers:
        raise ConfigError(f"{who}: for_each selects no point")
    condition = Expression.compile(interlock.active_when)
    plans = []
    counts = [0] * len(interlock.actions)
    for trigger in triggers:
        targets: dict[tuple[str, int], InterlockTarget] = {}
        for n, action in enumerate(interlock.actions):
            where = f"{who}: actions[{n}]"
            for point in _select(model, action.select, trigger, where):
                target = _target(point, action.value, action.priority, rules, where)
                targets.setdefault((point.id, action.priority), target)
                counts[n] += 1
        plans.append(InstancePlan(interlock, condition, trigger.id, tuple(targets.values())))
    for n, count in enumerate(counts):
        if count == 0:
            raise ConfigError(f"{who}: actions[{n}] selects no point for any trigger")
    return plans


def _target(
    point: Point, raw: Value, priority: int, rules: dict[str, PointRules], where: str
) -> InterlockTarget:
    if not point.writable:
        raise ConfigError(f"{where}: {point.id} is not writable")
    value = _value(point, raw, where)
    problem = rules.get(point.id, NO_RULES).check_limits(value)
    if problem is not None:
        raise ConfigError(f"{where}: {point.id}: {problem}")
    return InterlockTarget(point.id, value, priority)
