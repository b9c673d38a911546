"""The notifier: tells people about alarms and rule notices, and chases unacknowledged alarms.

It takes rule notices (`notify`, the rules' NotifySink) and the alarm book's transitions
(`run`): an annunciation goes to every matching route, a return to the routes that ask for
it, and each route's escalation steps follow while the alarm stays unacknowledged (an ack,
shelving, suppression or return stops them). Every delivery attempt is a journal record
(kind "notification"); failed attempts are retried with backoff; a failing channel costs
its own deliveries only.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections import Counter
from collections.abc import (
    AsyncIterable,
    AsyncIterator,
    Awaitable,
    Callable,
    Coroutine,
    Mapping,
    Sequence,
)
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from penworks.core import Clock, StoreError
from penworks.core.yamlfile import load_yaml_model
from penworks.rules.alarm_types import AlarmTransition
from penworks.rules.notify_channels import Channel, DeliveryError, build_channels
from penworks.rules.notify_config import NotificationConfig, RouteDef, TargetsDef
from penworks.rules.notify_events import (
    AlarmEvent,
    Message,
    MessageKind,
    alarm_event,
    alarm_message,
    notice_message,
)
from penworks.rules.notify_quiet import QuietHours
from penworks.rules.notify_routing import Delivery, Router
from penworks.rules.sinks import Notice
from penworks.store.journal import Journal, JournalRecord

log = logging.getLogger(__name__)

KIND = "notification"
DEFAULT_TIMEZONE = "Asia/Shanghai"
QUEUE_SIZE = 10_000
Transition = AlarmTransition | AlarmEvent
Transitions = AsyncIterable[Transition] | asyncio.Queue[Transition]


@dataclass(frozen=True, slots=True)
class _Job:
    message: Message
    delivery: Delivery


async def _each(transitions: Transitions) -> AsyncIterator[Transition]:
    """The items of an async iterable (AlarmBook.listen()) or of an asyncio.Queue."""
    if isinstance(transitions, asyncio.Queue):
        while True:
            yield await transitions.get()
    else:
        async for item in transitions:
            yield item


def load_notification_config(path: Path) -> NotificationConfig:
    """The notifications file; ConfigError naming the file, line and key otherwise."""
    return load_yaml_model(path, NotificationConfig)


class Notifier:
    """Implements the rules' NotifySink; `run` consumes the alarm book's transitions."""

    def __init__(
        self,
        clock: Clock,
        journal: Journal,
        config: NotificationConfig,
        channels: Mapping[str, Channel] | None = None,
        *,
        env: Mapping[str, str] | None = None,
        timezone: str = DEFAULT_TIMEZONE,
    ) -> None:
        self.config = config
        self._clock = clock
        self._journal = journal
        zone = config.timezone or timezone
        self._zone = ZoneInfo(zone)
        self._router = Router(config)
        self._quiet = QuietHours(config.quiet, zone) if config.quiet else None
        if channels is None:
            channels = build_channels(config, clock, os.environ if env is None else env)
        self._channels = dict(channels)
        self._queue: asyncio.Queue[_Job] = asyncio.Queue(QUEUE_SIZE)
        self._escalations: dict[str, list[asyncio.Task[None]]] = {}
        self._unacknowledged: set[str] = set()  # alarms in unack_active, as transitions said
        self._group: asyncio.TaskGroup | None = None
        self._pending = 0
        self._idle = asyncio.Event()
        self._idle.set()
        self._stats: Counter[str] = Counter()

    # NotifySink

    async def notify(self, notice: Notice) -> None:
        """Queue a rule's notice for delivery (returns at once; `run` delivers)."""
        self._stats["notices"] += 1
        message = notice_message(notice)
        rule = notice.key.split(":", 1)[0] if notice.key else None
        if notice.roles:
            label = "notice:" + ",".join(notice.roles)
            deliveries = self._router.for_roles(notice.roles, notice.channels, notice.area, label)
        else:
            routes = self._router.routes(
                priority=notice.priority, area=notice.area, rule=rule, key=notice.key
            )
            deliveries = self._router.for_routes(routes, notice.area)
            if notice.channels:
                deliveries = [d for d in deliveries if d.channel in notice.channels]
        await self._dispatch(message, deliveries)

    # Alarm transitions

    async def run(self, transitions: Transitions | None = None) -> None:
        """Deliver queued messages and follow alarm transitions, until cancelled."""
        async with asyncio.TaskGroup() as group:
            self._group = group
            try:
                if transitions is not None:
                    group.create_task(self._follow(transitions), name="notifier-alarms")
                while True:
                    job = await self._queue.get()
                    group.create_task(self._deliver(job), name=f"notify-{job.message.id}")
            finally:
                self._group = None
                for tasks in self._escalations.values():
                    for task in tasks:
                        task.cancel()
                self._escalations.clear()

    async def on_transition(self, transition: Transition) -> None:
        """Act on one alarm transition (what `run` does for each)."""
        event = alarm_event(transition)
        self._stats["transitions"] += 1
        if event.settled:
            self._unacknowledged.discard(event.alarm_id)
            self._cancel_escalation(event.alarm_id)
        if event.annunciated:
            self._unacknowledged.add(event.alarm_id)
            await self._annunciate(event)
        elif event.returned:
            routes = [r for r in self._routes(event) if r.on_return]
            if routes:
                message = alarm_message(event, MessageKind.RETURN, self._zone)
                await self._dispatch(message, self._router.for_routes(routes, event.area))

    async def _follow(self, transitions: Transitions) -> None:
        async for transition in _each(transitions):
            try:
                await self.on_transition(transition)
            except (AttributeError, TypeError, ValueError) as exc:  # a malformed transition
                self._stats["malformed"] += 1
                log.warning("notifier: cannot read alarm transition %r: %s", transition, exc)
            except Exception:  # the last guard: one transition must not stop the notifier
                self._stats["errors"] += 1
                log.exception("notifier: failed on alarm transition %r", transition)

    async def _annunciate(self, event: AlarmEvent) -> None:
        routes = self._routes(event)
        message = alarm_message(event, MessageKind.ALARM, self._zone)
        await self._dispatch(message, self._router.for_routes(routes, event.area))
        self._cancel_escalation(event.alarm_id)
        what = f"escalating {event.alarm_id}"
        tasks = [
            self._start(
                self._guarded(partial(self._escalate, event, route), what),
                f"escalate-{event.alarm_id}-{route.id}",
            )
            for route in routes
            if route.escalation is not None
        ]
        if tasks:
            self._escalations[event.alarm_id] = tasks

    def _routes(self, event: AlarmEvent) -> list[RouteDef]:
        return self._router.routes(
            priority=event.priority, area=event.area, rule=event.rule, key=event.alarm_id
        )

    async def _escalate(self, event: AlarmEvent, route: RouteDef) -> None:
        escalation = route.escalation
        assert escalation is not None  # only routes with escalation get here
        step_number = 0
        for step_number, step in enumerate(escalation.steps, 1):
            await self._sleep_until(event.ts + step.after)
            await self._escalation_step(event, route, step_number, step.to, step.channels)
        last = escalation.steps[-1]
        every = escalation.repeat_every
        for repeat in range(1, escalation.repeat_times + 1):
            assert every is not None  # the config made sure
            await self._sleep_until(event.ts + last.after + every * repeat)
            await self._escalation_step(event, route, step_number + repeat, last.to, last.channels)

    async def _escalation_step(
        self,
        event: AlarmEvent,
        route: RouteDef,
        step: int,
        to: TargetsDef,
        channels: Sequence[str],
    ) -> None:
        self._stats["escalations"] += 1
        log.info("notifier: %s still unacknowledged, escalation step %d", event.alarm_id, step)
        message = alarm_message(
            event, MessageKind.ESCALATION, self._zone, step=step, since=event.ts
        )
        people = self._router.recipients(to, event.area)
        label = f"{route.id}:escalation"
        deliveries = self._router.deliveries([(label, channels or route.channels, people)])
        await self._dispatch(message, deliveries)

    def _cancel_escalation(self, alarm_id: str) -> None:
        for task in self._escalations.pop(alarm_id, ()):
            if not task.done():
                task.cancel()
                self._stats["escalations_stopped"] += 1

    # Delivery

    async def _dispatch(self, message: Message, deliveries: list[Delivery]) -> None:
        if not deliveries:
            self._stats["unrouted"] += 1
            await self._record(message.key, self._data(message, None, "unrouted"))
            return
        for delivery in deliveries:
            job = _Job(message, delivery)
            try:
                self._queue.put_nowait(job)
            except asyncio.QueueFull:
                self._stats["dropped"] += 1
                await self._record(message.key, self._data(message, delivery, "dropped"))
                continue
            self._pending += 1
            self._idle.clear()

    async def _guarded(self, work: Callable[[], Awaitable[None]], what: str) -> None:
        # Takes a callable: a task cancelled before it starts leaves no coroutine unawaited.
        try:
            await work()
        except Exception:  # the last guard: a bug in one task must not stop the notifier
            self._stats["errors"] += 1
            log.exception("notifier: %s failed unexpectedly", what)

    async def _deliver(self, job: _Job) -> None:
        try:
            await self._guarded(partial(self._attempts, job), f"delivery {job.message.id}")
        finally:
            self._pending -= 1
            if self._pending == 0:
                self._idle.set()

    async def _attempts(self, job: _Job) -> None:
        message, delivery = job.message, job.delivery
        if await self._wait_quiet(job) and self._obsolete(message):
            self._stats["cancelled"] += 1
            await self._record(message.key, self._data(message, delivery, "cancelled"))
            return
        channel = self._channels.get(delivery.channel)
        if channel is None:
            self._stats["failed"] += 1
            data = self._data(message, delivery, "failed", error="unknown channel")
            await self._record(message.key, data)
            return
        recipients = delivery.recipients
        if channel.needs_address:
            recipients = tuple(r for r in recipients if r.email)
        if channel.needs_address and not recipients:
            self._stats["skipped"] += 1
            data = self._data(message, delivery, "skipped", error="no recipient with an address")
            await self._record(message.key, data)
            return
        retry = self.config.retry
        wait = retry.backoff
        for attempt in range(1, retry.attempts + 1):
            try:
                detail = await channel.send(message, recipients)
            except DeliveryError as exc:
                final = exc.permanent or attempt == retry.attempts
                self._stats["failed_attempts"] += 1
                status = "failed" if final else "retrying"
                data = self._data(message, delivery, status, error=str(exc), attempt=attempt)
                await self._record(message.key, data | {"recipients": [r.id for r in recipients]})
                if final:
                    self._stats["failed"] += 1
                    log.warning("notifier: %s via %s failed: %s", message.key, channel.id, exc)
                    return
                await self._clock.sleep(wait.total_seconds())
                wait = min(wait * 2, retry.max_backoff)
                continue
            self._stats["sent"] += 1
            data = self._data(message, delivery, "sent", detail=detail, attempt=attempt)
            await self._record(message.key, data | {"recipients": [r.id for r in recipients]})
            return

    def _obsolete(self, message: Message) -> bool:
        """An alarm's annunciation or escalation, held by quiet hours while it was settled
        (acknowledged, shelved, returned...): nobody needs it any more."""
        chasing = (MessageKind.ALARM, MessageKind.ESCALATION)
        return message.kind in chasing and message.key not in self._unacknowledged

    async def _wait_quiet(self, job: _Job) -> bool:
        """Wait while quiet hours hold the message; whether they held it."""
        if self._quiet is None or not self._quiet.holds(job.message.priority):
            return False
        recorded = False
        while (until := self._quiet.until(self._clock.now())) is not None:
            if not recorded:
                self._stats["deferred"] += 1
                data = self._data(job.message, job.delivery, "deferred", until=until.isoformat())
                await self._record(job.message.key, data)
                recorded = True
            await self._sleep_until(until)
        return recorded

    async def _sleep_until(self, when: datetime) -> None:
        while (left := (when - self._clock.now()).total_seconds()) > 0:
            await self._clock.sleep(left)

    def _start(self, work: Coroutine[Any, Any, None], name: str) -> asyncio.Task[None]:
        if self._group is None:
            raise RuntimeError("the notifier is not running: await run() first")
        return self._group.create_task(work, name=name)

    # Records

    def _data(
        self, message: Message, delivery: Delivery | None, status: str, **extra: Any
    ) -> dict[str, Any]:
        data: dict[str, Any] = {
            "status": status,
            "kind": message.kind.value,
            "message_id": message.id,
            "subject": message.subject,
            "priority": message.priority.name.lower(),
            "area": message.area,
            "step": message.step,
            "channel": None if delivery is None else delivery.channel,
            "route": None if delivery is None else delivery.route,
            "recipients": [] if delivery is None else [r.id for r in delivery.recipients],
            "error": None,
            "attempt": None,
        }
        return data | extra

    async def _record(self, key: str, data: dict[str, Any]) -> None:
        record = JournalRecord(KIND, key, self._clock.now(), data)
        try:
            await self._journal.append([record])
        except StoreError as exc:
            self._stats["journal_errors"] += 1
            log.warning("notifier: cannot record a delivery of %s: %s", key, exc)

    # Views

    async def wait_idle(self) -> None:
        """Until every queued delivery has finished (sent, failed, skipped or cancelled)."""
        await self._idle.wait()

    def escalating(self) -> list[str]:
        """Alarms with escalation still pending."""
        return sorted(
            k for k, tasks in self._escalations.items() if any(not t.done() for t in tasks)
        )

    def channel_ids(self) -> list[str]:
        return list(self._channels)

    def roles(self) -> list[str]:
        return sorted({role for r in self.config.recipients for role in r.roles})

    async def deliveries(
        self,
        key: str | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
        limit: int = 100,
    ) -> list[dict[str, Any]]:
        """Delivery attempts, newest first (journal records; `key`: an alarm id or notice)."""
        records = await self._journal.query(KIND, key=key, start=start, end=end, limit=limit)
        return [{"key": r.key, "ts": r.ts.isoformat(), **r.data} for r in records]

    def stats(self) -> dict[str, int]:
        keys = (
            "notices", "transitions", "sent", "failed", "failed_attempts", "skipped", "unrouted",
            "escalations", "escalations_stopped", "deferred", "cancelled", "dropped", "malformed",
            "errors", "journal_errors",
        )  # fmt: skip
        return {key: self._stats[key] for key in keys} | {"pending": self._pending}

    async def close(self) -> None:
        for channel in self._channels.values():
            await channel.close()
