"""Helpers for the MQTT connector tests: points, bindings, a fixed clock, bus waiting."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime

from penworks.bus import Message, Subscription
from penworks.core import Point, PointKind
from penworks.model.schema import MqttBinding

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


class FixedClock:
    """A Clock that stays at one instant (tests move it by setting `at`)."""

    speed = 1.0

    def __init__(self, at: datetime = T0) -> None:
        self.at = at
        self.calls = 0

    def now(self) -> datetime:
        self.calls += 1
        return self.at

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(0)


def point(
    point_id: str, kind: PointKind = PointKind.NUMBER, *, writable: bool = False, **limits: float
) -> Point:
    return Point(point_id, "Point", kind=kind, writable=writable, **limits)  # type: ignore[arg-type]


def binding(topic: str, path: str = "$", **fields: object) -> MqttBinding:
    return MqttBinding(connector="mqtt", topic=topic, path=path, **fields)


async def next_message(sub: Subscription, within_s: float = 5.0) -> tuple[str, Message]:
    """The next message of a subscription, or TimeoutError."""
    async with asyncio.timeout(within_s):
        items = await sub.batch(1)
    if not items:
        raise AssertionError("subscription closed")
    return items[0]


async def take(sub: Subscription, count: int, within_s: float = 5.0) -> list[tuple[str, Message]]:
    """The next `count` messages of a subscription, or TimeoutError."""
    return [await next_message(sub, within_s) for _ in range(count)]


async def eventually(check: Callable[[], bool], within_s: float = 10.0) -> None:
    """Wait until check() holds, for state that has no event to wait on; TimeoutError after."""
    async with asyncio.timeout(within_s):
        while not check():  # noqa: ASYNC110  # there is no event for this to wait on
            await asyncio.sleep(0.01)
