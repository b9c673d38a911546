"""The rule engine: observations and time in, alarm conditions and actions out.

One subscription to every observation, read in batches. The latest value of every point is
kept; an observation reaches only the instances that read its point (a dict lookup), so the
cost of an observation is that of the rules it concerns, not of all rules. Durations, clear
delays, `every` and `at` are timers on the engine's clock, raced against new observations.
Expression errors and failing actions are counted per rule and never stop the engine.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from datetime import datetime, timedelta
from typing import Any, Literal

from penworks.bus import Bus, Overflow, Subscription
from penworks.bus.subjects import OBSERVATIONS
from penworks.core import Clock, ConfigError, Observation, PenworksError, Quality, Value
from penworks.core.clock import sleep_or_wake
from penworks.core.expr import ExpressionError, MissingValue
from penworks.model.site import SiteModel
from penworks.rules.actions import ActionUnavailable, Edge, Lanes, Sinks, prepare
from penworks.rules.compiler import CompiledRule
from penworks.rules.definitions import RuleDef
from penworks.rules.instances import Change, Instance, RuleState, index, same_rule
from penworks.rules.loader import RuleSet, build_rule
from penworks.rules.sinks import AlarmSink, CommandSink, NotifySink, ScheduleSource
from penworks.rules.status import EngineStats, InstanceStatus, RuleStatus, UnknownRule
from penworks.rules.timers import TimerHeap, next_every, next_trigger, time_zone

log = logging.getLogger(__name__)

ALARM_LANE = "alarms"


class _Timer:
    """A rule-level timer: a first evaluation after install, an `every`/`at` trigger, or
    the schedule poll (rule None)."""

    __slots__ = ("kind", "rule")

    def __init__(self, kind: Literal["kick", "trigger", "poll"], rule: RuleState | None) -> None:
        self.kind = kind
        self.rule = rule


class RuleEngine:
    """Runs rules over a building's observations; see the module text for how."""

    def __init__(
        self,
        model: SiteModel,
        bus: Bus,
        clock: Clock,
        *,
        alarms: AlarmSink | None,
        commands: CommandSink | None,
        notify: NotifySink | None,
        schedules: ScheduleSource | None,
        timezone: str = "Asia/Shanghai",
        schedule_poll_s: float = 60.0,
        batch_size: int = 1_000,
    ) -> None:
        self._model = model
        self._bus = bus
        self._clock = clock
        self._alarms = alarms
        self._schedules = schedules
        self._sinks = Sinks(commands=commands, notify=notify, bus=bus)
        self._zone = time_zone(timezone)
        self._poll = _poll_period(schedule_poll_s)
        self._batch_size = batch_size
        self._rules: dict[str, RuleState] = {}
        self._readers: dict[str, list[tuple[Instance, bool]]] = {}  # point -> (instance, anchor?)
        self._schedule_readers: dict[str, list[Instance]] = {}
        self._latest: dict[str, Value | None] = {}
        self._schedule_on: dict[str, bool | None] = {}
        self._timers: TimerHeap[Instance | _Timer] = TimerHeap()
        self._wake = asyncio.Event()
        self._alarm_lane = Lanes(self._failed)
        self._action_lanes = Lanes(self._failed)
        self._running = False
        self._observations = 0
        self._used = 0
        self._evaluations = 0
        self._errors = 0
        self._alarm_conditions = 0

    # Rules

    def replace(self, rule_set: RuleSet) -> None:
        """Run these rules instead of the file rules running now (rules apps added stay).
        A rule whose definition is unchanged keeps its instances' state."""
        clash = sorted(r.id for r in rule_set if r.id in self._rules and self._rules[r.id].api)
        if clash:
            raise ConfigError(f"rule ids already used by apps: {', '.join(clash)}")
        if len({r.id for r in rule_set}) != len(rule_set):
            raise ConfigError("a rule set holds the same rule id twice")
        now = self._clock.now()
        wanted = {r.id for r in rule_set}
        for rule_id, state in list(self._rules.items()):
            if not state.api and rule_id not in wanted:
                self._retire(state, now)
        for compiled in rule_set:
            old = self._rules.get(compiled.id)
            if old is not None and same_rule(old.compiled, compiled):
                old.compiled = compiled  # the owner may differ (a rule moved to another file)
                continue
            if old is not None:
                self._retire(old, now)
            self._install(compiled, api=False, now=now)
        self._reindex()

    def add(self, rule: RuleDef, owner: str) -> RuleStatus:
        """Add an app's rule; ConfigError if it does not compile or its id is taken."""
        if rule.id in self._rules:
            raise ConfigError(f"rule {rule.id} ({owner}): the id is already used")
        compiled = build_rule(rule, self._model, self._schedules, owner)
        self._install(compiled, api=True, now=self._clock.now())
        self._reindex()
        return self.rule(rule.id)

    def remove(self, rule_id: str) -> None:
        """Stop a rule; its active alarms are cleared, its commands stay as they are."""
        state = self._rules.get(rule_id)
        if state is None:
            raise UnknownRule(rule_id)
        self._retire(state, self._clock.now())
        self._reindex()

    def rules(self) -> list[RuleStatus]:
        return [self._rules[rule_id].status() for rule_id in sorted(self._rules)]

    def rule(self, rule_id: str) -> RuleStatus:
        return self._state(rule_id).status()

    def instances(self, rule_id: str) -> list[InstanceStatus]:
        latest = self._latest
        return [
            i.status(latest.get(i.spec.anchor) if i.spec.anchor else None)
            for i in self._state(rule_id).instances
        ]

    def stats(self) -> EngineStats:
        states = self._rules.values()
        return EngineStats(
            rules=len(self._rules),
            instances=sum(len(s.instances) for s in states),
            active=sum(1 for s in states for i in s.instances if i.active),
            observations=self._observations,
            observations_used=self._used,
            evaluations=self._evaluations,
            errors=self._errors,
            alarm_conditions=self._alarm_conditions,
            actions=self._action_lanes.done,
            action_errors=self._action_lanes.failed + self._alarm_lane.failed,
            pending_work=self._alarm_lane.pending + self._action_lanes.pending,
            timers=len(self._timers),
        )

    def next_timer(self) -> datetime | None:
        """When the engine next wakes for a timer (a duration, a trigger, the schedule poll)."""
        return self._timers.next_due()

    # Running

    async def run(self) -> None:
        """Evaluate rules until cancelled (or until the bus closes the subscription)."""
        if self._running:
            raise PenworksError("the rule engine is already running")
        self._running = True
        subscription = self._bus.subscribe(
            f"{OBSERVATIONS}.>", name="rules", maxsize=10_000, overflow=Overflow.BLOCK
        )
        self._alarm_lane.start()
        self._action_lanes.start()
        if self._schedules is not None:
            self._push(self._clock.now(), _Timer("poll", None))
        tasks = [
            asyncio.create_task(self._read(subscription), name="rules-observations"),
            asyncio.create_task(self._tick(), name="rules-timers"),
        ]
        try:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                task.result()
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await subscription.close()
            await self._alarm_lane.stop()
            await self._action_lanes.stop()
            self._running = False

    async def _read(self, subscription: Subscription) -> None:
        while True:
            items = await subscription.batch(self._batch_size)
            if not items:
                return
            self._observe(items, self._clock.now())
            del items  # the (subject, message) pairs go now, not after the pause
            await asyncio.sleep(0)  # a full queue never suspends batch(): let the timers run

    def _observe(self, items: list[tuple[str, Any]], now: datetime) -> None:
        latest, readers_of = self._latest, self._readers
        for _, message in items:
            if not isinstance(message, Observation):
                continue
            self._observations += 1
            value = None if message.quality is Quality.BAD else message.value
            latest[message.point] = value
            readers = readers_of.get(message.point)
            if readers is None:
                continue
            self._used += 1
            if value is None:
                continue  # unknown decides nothing
            for instance, anchor in readers:
                if anchor and instance.within_deadband(value):
                    continue
                self._evaluate(instance, now)

    async def _tick(self) -> None:
        """Fire due timers; sleep on the clock until the next one, or until woken by an
        earlier one."""
        while True:
            now = self._clock.now()
            for due, target in self._timers.pop_due(now):
                self._fire(due, target, now)
            self._wake.clear()
            earliest = self._timers.next_due()
            if earliest is None:
                await self._wake.wait()
                continue
            delay = (earliest - self._clock.now()).total_seconds()
            if delay > 0:
                await self._sleep(delay)
            else:
                await asyncio.sleep(0)

    async def _sleep(self, seconds: float) -> None:
        await sleep_or_wake(self._clock, seconds, self._wake)

    def _push(self, due: datetime, target: Instance | _Timer) -> None:
        if self._timers.push(due, target):
            self._wake.set()

    def _fire(self, due: datetime, target: Instance | _Timer, now: datetime) -> None:
        if isinstance(target, Instance):
            if not target.removed and target.timer_due == due:
                target.timer_due = None
                self._evaluate(target, now)
            return
        rule = target.rule
        if target.kind == "poll":
            self._poll_schedules(now)
            self._push(next_every(now, self._poll), target)
        elif rule is None or rule.removed:
            return
        elif target.kind == "kick":
            self._evaluate_all(rule, now)
        elif rule.trigger_due == due:
            self._evaluate_all(rule, now)
            self._arm_trigger(rule, now)

    # Evaluation

    def _evaluate_all(self, rule: RuleState, now: datetime) -> None:
        for instance in rule.instances:
            self._evaluate(instance, now)

    def _evaluate(self, instance: Instance, now: datetime) -> None:
        rule = instance.rule
        rule.evaluations += 1
        self._evaluations += 1
        env = self._env(instance)
        if instance.spec.anchor is not None:
            instance.last_anchor = env["value"]
        try:
            change = instance.step(env, now)
        except MissingValue:
            return
        except ExpressionError as exc:
            self._errors += 1
            rule.fail(str(exc), now)
            return
        wanted = instance.wanted_timer()
        if wanted != instance.timer_due:
            instance.timer_due = wanted
            if wanted is not None:
                self._push(wanted, instance)
        if change is not Change.NONE:
            self._changed(instance, change, env, now)

    def _env(self, instance: Instance) -> dict[str, Any]:
        spec = instance.spec
        env = dict(spec.static)
        latest = self._latest
        if spec.anchor is not None:
            env["value"] = latest.get(spec.anchor)
        for name, point in spec.points:
            env[name] = latest.get(point)
        for name, schedule in spec.schedules:
            env[name] = self._schedule_on.get(schedule)
        return env

    def _changed(
        self, instance: Instance, change: Change, env: dict[str, Any], now: datetime
    ) -> None:
        rule = instance.rule
        compiled = rule.compiled
        if change is Change.ACTIVATED:
            rule.activations += 1
        self._condition(instance, env, now)
        if change is Change.SUPPRESSION:
            return
        actions = compiled.on_active if change is Change.ACTIVATED else compiled.on_clear
        if not actions:
            return
        edge = Edge(compiled.id, instance.spec, env, instance.active, now, instance.area(env))
        for action in actions:
            try:
                job = prepare(action, edge, self._sinks)
            except (ExpressionError, MissingValue, ActionUnavailable) as exc:
                rule.fail(f"{action.where}: {exc}", now)
                continue
            self._action_lanes.submit(instance.spec.key, compiled.id, job)

    def _condition(self, instance: Instance, env: dict[str, Any], now: datetime) -> None:
        if self._alarms is None:
            return
        condition = instance.alarm_condition(env, now)
        if condition is not None:
            self._alarm_conditions += 1
            job = functools.partial(self._alarms.condition, condition)
            self._alarm_lane.submit(ALARM_LANE, condition.rule, job)

    def _poll_schedules(self, now: datetime) -> None:
        for schedule, readers in self._schedule_readers.items():
            on = self._schedule_state(schedule, now)
            if on != self._schedule_on.get(schedule):
                self._schedule_on[schedule] = on
                for instance in readers:
                    self._evaluate(instance, now)

    def _schedule_state(self, schedule: str, now: datetime) -> bool | None:
        if self._schedules is None:
            return None
        try:
            return bool(self._schedules.is_on(schedule, now))
        except Exception as exc:  # the schedule book is another room's code: unknown, not fatal
            log.warning("schedule %s cannot be read: %s", schedule, exc)
            return None

    def _failed(self, rule_id: str, message: str) -> None:
        state = self._rules.get(rule_id)
        if state is not None:
            state.fail(message, self._clock.now())

    # Installing and removing

    def _install(self, compiled: CompiledRule, *, api: bool, now: datetime) -> None:
        state = RuleState(compiled, api)
        if compiled.definition.enabled:
            state.instances = [Instance(state, spec) for spec in compiled.instances]
        self._rules[compiled.id] = state
        if compiled.definition.alarm is not None and self._alarms is None:
            log.warning("rule %s raises alarms but no alarm book is configured", compiled.id)
        if state.instances:
            self._push(now, _Timer("kick", state))
            self._arm_trigger(state, now)

    def _arm_trigger(self, rule: RuleState, now: datetime) -> None:
        definition = rule.compiled.definition
        rule.trigger_due = next_trigger(definition.every, definition.at, now, self._zone)
        if rule.trigger_due is not None:
            self._push(rule.trigger_due, _Timer("trigger", rule))

    def _retire(self, rule: RuleState, now: datetime) -> None:
        """Take a rule out; alarms it holds active are cleared."""
        rule.removed = True
        del self._rules[rule.compiled.id]
        for instance in rule.instances:
            instance.removed = True
            if instance.active:
                instance.active = False
                self._condition(instance, self._env(instance), now)

    def _reindex(self) -> None:
        self._readers, self._schedule_readers = index(list(self._rules.values()))
        now = self._clock.now()
        for schedule in self._schedule_readers:
            if schedule not in self._schedule_on:
                self._schedule_on[schedule] = self._schedule_state(schedule, now)

    def _state(self, rule_id: str) -> RuleState:
        state = self._rules.get(rule_id)
        if state is None:
            raise UnknownRule(rule_id)
        return state


def _poll_period(seconds: float) -> timedelta:
    if seconds <= 0:
        raise ValueError("schedule_poll_s must be positive")
    return timedelta(seconds=seconds)
