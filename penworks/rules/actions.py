"""Running what rules decide, off the observation path, in order per instance.

An edge's actions are prepared at once (their values computed from the names as they were at
the edge) and queued on the instance's lane; a lane is a task that runs its jobs one after
the other, so that an instance's relinquish never overtakes its command, while a slow
command (one waiting for its read-back) holds up only its own instance. Alarm conditions
share one lane, so the alarm book sees them in the order they happened.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from penworks.bus import Bus
from penworks.bus.subjects import EVENTS
from penworks.core import PenworksError
from penworks.core.expr import Expression
from penworks.rules.compiler import CompiledAction, InstanceSpec
from penworks.rules.sinks import CommandSink, Notice, NotifySink

log = logging.getLogger(__name__)

Job = Callable[[], Awaitable[None]]
ErrorHandler = Callable[[str, str], None]  # (rule id, what failed)


class ActionUnavailable(PenworksError):
    """An action needs a sink (the command path, the notifier) that the engine was not given."""


def rule_event_subject(rule_id: str) -> str:
    """Where a rule's events are published: event.rule.<rule id>."""
    return f"{EVENTS}.rule.{rule_id}"


class Lanes:
    """Jobs queued per key and run in order, each key by a task of its own."""

    def __init__(self, on_error: ErrorHandler) -> None:
        self._on_error = on_error
        self._queues: dict[str, deque[tuple[str, Job]]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._started = False
        self.pending = 0
        self.done = 0
        self.failed = 0

    def submit(self, key: str, rule_id: str, job: Job) -> None:
        queue = self._queues.get(key)
        self.pending += 1
        if queue is not None:  # its task is running (or starts with the lanes)
            queue.append((rule_id, job))
            return
        self._queues[key] = deque([(rule_id, job)])
        if self._started:
            self._spawn(key)

    def start(self) -> None:
        """Run queued and future jobs (needs the running loop)."""
        self._started = True
        for key in self._queues:
            self._spawn(key)

    async def stop(self) -> None:
        """Cancel the lanes; jobs not yet run are dropped."""
        self._started = False
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._queues.clear()
        self.pending = 0

    def _spawn(self, key: str) -> None:
        task = asyncio.create_task(self._drain(key), name=f"rule-lane-{key}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _drain(self, key: str) -> None:
        queue = self._queues[key]
        while queue:
            rule_id, job = queue[0]
            try:
                await job()
                self.done += 1
            except Exception as exc:  # a sink is another room's code: count it, keep running
                self.failed += 1
                log.warning("rule %s: action failed: %s", rule_id, exc)
                self._on_error(rule_id, f"{type(exc).__name__}: {exc}")
            queue.popleft()
            self.pending -= 1
        del self._queues[key]


@dataclass(frozen=True, slots=True)
class Sinks:
    """Where actions go; a missing sink makes its actions fail (counted), not the rule."""

    commands: CommandSink | None
    notify: NotifySink | None
    bus: Bus


@dataclass(frozen=True, slots=True)
class Edge:
    """The moment an instance became active or cleared, and its names then."""

    rule_id: str
    spec: InstanceSpec
    env: Mapping[str, Any]
    active: bool
    ts: datetime
    area: str


def prepare(action: CompiledAction, edge: Edge, sinks: Sinks) -> Job:
    """The job for one action at this edge; ExpressionError or MissingValue if a value
    cannot be computed, ActionUnavailable if its sink is missing."""
    if action.action.command is not None:
        return _command(action, edge, sinks.commands)
    if action.action.notify is not None:
        return _notice(action, edge, sinks.notify)
    return _event(action, edge, sinks.bus)


def _command(action: CompiledAction, edge: Edge, commands: CommandSink | None) -> Job:
    if commands is None:
        raise ActionUnavailable("no command path is configured")
    command = action.action.command
    assert command is not None  # the caller dispatched on it
    value = action.value.evaluate(edge.env) if action.value is not None else action.literal
    reason_template = action.templates.get("reason")
    if reason_template is not None:
        reason = reason_template.render(edge.env)
    else:
        what = "active" if edge.active else "cleared"
        reason = f"rule {edge.rule_id} {what}" + (
            f" ({edge.spec.anchor})" if edge.spec.anchor else ""
        )
    targets = edge.spec.targets.get(action.where, ())
    priority = command.priority

    async def run() -> None:
        for point in targets:
            await commands.command(point, value, priority, source=edge.rule_id, reason=reason)

    return run


def _notice(action: CompiledAction, edge: Edge, notify: NotifySink | None) -> Job:
    if notify is None:
        raise ActionUnavailable("no notifier is configured")
    spec = action.action.notify
    assert spec is not None  # the caller dispatched on it
    notice = Notice(
        subject=action.templates["subject"].render(edge.env),
        body=action.templates["body"].render(edge.env),
        priority=spec.priority,
        area=edge.area,
        ts=edge.ts,
        roles=spec.roles,
        channels=spec.channels,
        key=edge.spec.key,
    )

    async def run() -> None:
        await notify.notify(notice)

    return run


def _event(action: CompiledAction, edge: Edge, bus: Bus) -> Job:
    spec = action.action.event
    assert spec is not None  # the caller dispatched on it
    data = {
        key: value.evaluate(edge.env) if isinstance(value, Expression) else value
        for key, value in action.data.items()
    }
    message = {
        "rule": edge.rule_id,
        "name": spec.name,
        "key": edge.spec.key,
        "point": edge.spec.anchor,
        "active": edge.active,
        "ts": edge.ts.isoformat(),
        "data": data,
    }
    subject = rule_event_subject(edge.rule_id)

    async def run() -> None:
        await bus.publish(subject, message)

    return run
