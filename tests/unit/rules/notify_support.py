"""Helpers of the notifier tests: a stepping clock, fake channels, alarm events, a config."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from penworks.rules.alarm_types import AlarmPriority, AlarmState
from penworks.rules.notify import Notifier
from penworks.rules.notify_channels import Channel, DeliveryError
from penworks.rules.notify_config import NotificationConfig, RecipientDef
from penworks.rules.notify_events import AlarmEvent, Message
from penworks.store import MemoryJournal

T0 = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # Monday 10:00 in Shanghai
HOT = "zone_too_warm:b15.f3.r301.zone_air_temp"


class SteppingClock:
    """A Clock moved by the test; `advance` wakes sleepers one deadline at a time, in order,
    each seeing its own deadline as the time, and lets them run before the next."""

    speed = 1.0

    def __init__(self, at: datetime = T0) -> None:
        self.at = at
        self._sleepers: list[tuple[datetime, int, asyncio.Future[None]]] = []
        self._order = 0

    def now(self) -> datetime:
        return self.at

    async def sleep(self, seconds: float) -> None:
        if seconds <= 0:
            await asyncio.sleep(0)
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._order += 1
        self._sleepers.append((self.at + timedelta(seconds=seconds), self._order, future))
        try:
            await future
        finally:
            self._sleepers = [s for s in self._sleepers if s[2] is not future]

    def sleeping(self) -> int:
        return sum(1 for _, _, f in self._sleepers if not f.done())

    async def advance(self, seconds: float = 0, **delta: float) -> None:
        target = self.at + timedelta(seconds=seconds, **delta)
        while due := sorted(
            (s for s in self._sleepers if s[0] <= target and not s[2].done()),
            key=lambda s: (s[0], s[1]),
        ):
            when, _, future = due[0]
            self.at = max(self.at, when)
            future.set_result(None)
            await settle()
        self.at = target
        await settle()


async def settle(rounds: int = 50) -> None:
    """Let every ready task run (no time passes)."""
    for _ in range(rounds):
        await asyncio.sleep(0)


class FakeChannel:
    """Records what it is asked to send; fails the first `failures` attempts."""

    def __init__(
        self,
        channel_id: str,
        *,
        needs_address: bool = False,
        failures: int = 0,
        permanent: bool = False,
    ) -> None:
        self.id = channel_id
        self.needs_address = needs_address
        self.failures = failures
        self.permanent = permanent
        self.attempts = 0
        self.sent: list[tuple[Message, tuple[str, ...]]] = []
        self.closed = False

    async def send(self, message: Message, recipients: Sequence[RecipientDef]) -> str:
        self.attempts += 1
        if self.failures:
            self.failures -= 1
            raise DeliveryError("receiver down", permanent=self.permanent)
        self.sent.append((message, tuple(r.id for r in recipients)))
        return "ok"

    async def close(self) -> None:
        self.closed = True

    def subjects(self) -> list[str]:
        return [m.subject for m, _ in self.sent]


def event(
    to_state: AlarmState,
    from_state: AlarmState | None = AlarmState.NORMAL,
    *,
    alarm_id: str = HOT,
    priority: AlarmPriority = AlarmPriority.HIGH,
    area: str = "b15.f3",
    at: datetime = T0,
    message: str = "Zone too warm",
    user: str | None = None,
) -> AlarmEvent:
    rule, _, point = alarm_id.partition(":")
    return AlarmEvent(
        alarm_id, rule, point or None, area, priority, message, from_state, to_state, at, user, 29.5
    )


def raised(**kw: Any) -> AlarmEvent:
    return event(AlarmState.UNACK_ACTIVE, AlarmState.NORMAL, **kw)


def config(**changes: Any) -> NotificationConfig:
    """Two channels, four people, an urgent route with escalation, a route for floor 5."""
    data: dict[str, Any] = {
        "channels": [
            {"id": "mail", "type": "smtp", "host": "localhost", "sender": "penworks@b15.example"},
            {"id": "hook", "type": "webhook", "url": "http://localhost:9/hook"},
        ],
        "recipients": [
            {"id": "li.wei", "name": "Li Wei", "email": "li.wei@b15.example",
             "roles": ["duty_engineer"], "areas": ["b15.f3"]},
            {"id": "wang.fang", "name": "Wang Fang", "email": "wang.fang@b15.example",
             "roles": ["duty_engineer"], "areas": ["b15.f5"]},
            {"id": "zhang.min", "name": "Zhang Min", "email": "zhang.min@b15.example",
             "roles": ["facility_manager"]},
            {"id": "chen.jie", "name": "Chen Jie", "roles": ["director"]},
        ],
        "routes": [
            {
                "id": "urgent",
                "match": {"priority_at_most": "high"},
                "to": {"roles": ["duty_engineer"]},
                "channels": ["mail", "hook"],
                "on_return": True,
                "escalation": {
                    "steps": [
                        {"after": "15m", "to": {"roles": ["facility_manager"]}},
                        {"after": "1h", "to": {"recipients": ["chen.jie"]}, "channels": ["hook"]},
                    ],
                },
            },
            {
                "id": "floor5",
                "match": {"areas": ["b15.f5"], "rules": ["zone_*"]},
                "to": {"recipients": ["wang.fang"]},
                "channels": ["mail"],
            },
        ],
        "retry": {"attempts": 3, "backoff": "10s", "max_backoff": "15s"},
    }  # fmt: skip
    data.update(changes)
    return NotificationConfig.model_validate(data)


def fake_channels() -> dict[str, FakeChannel]:
    return {"mail": FakeChannel("mail", needs_address=True), "hook": FakeChannel("hook")}


class Feed:
    """Alarm events a test hands to the notifier, as an async iterator."""

    def __init__(self) -> None:
        self.queue: asyncio.Queue[AlarmEvent] = asyncio.Queue()

    def __aiter__(self) -> AsyncIterator[AlarmEvent]:
        return self._items()

    async def _items(self) -> AsyncIterator[AlarmEvent]:
        while True:
            yield await self.queue.get()


@contextlib.asynccontextmanager
async def running(
    clock: SteppingClock,
    channels: dict[str, FakeChannel] | None = None,
    cfg: NotificationConfig | None = None,
) -> AsyncIterator[tuple[Notifier, Feed, dict[str, FakeChannel], MemoryJournal]]:
    """A running notifier with fake channels, fed by the test."""
    channels = fake_channels() if channels is None else channels
    journal = MemoryJournal()
    typed: dict[str, Channel] = dict(channels)
    notifier = Notifier(clock, journal, cfg or config(), typed)
    feed = Feed()
    task = asyncio.create_task(notifier.run(feed))
    await settle()
    try:
        yield notifier, feed, channels, journal
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def handled(notifier: Notifier, feed: Feed, *events: AlarmEvent) -> None:
    """Hand events over and wait until their deliveries are done."""
    for item in events:
        await feed.queue.put(item)
    await settle()
    async with asyncio.timeout(5):
        await notifier.wait_idle()
