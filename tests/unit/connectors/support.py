"""Helpers every connector test uses: points, a fixed clock, a running connector, bus waits."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import TypeVar

from penworks.bus import Message, Subscription
from penworks.connectors import Connector, DeviceState
from penworks.core import Observation, Point, PointKind

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)

C = TypeVar("C", bound=Connector)


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


async def next_observation(
    sub: Subscription,
    where: Callable[[Observation], bool] = lambda o: True,
    within_s: float = 5.0,
) -> Observation:
    """The next observation on a subscription that `where` accepts (others are skipped)."""
    async with asyncio.timeout(within_s):
        while True:
            _, message = await next_message(sub, within_s)
            if isinstance(message, Observation) and where(message):
                return message


async def eventually(check: Callable[[], bool], within_s: float = 10.0) -> None:
    """Wait until check() holds, for state that has no event to wait on; TimeoutError after."""
    async with asyncio.timeout(within_s):
        while not check():  # noqa: ASYNC110  # there is no event for this to wait on
            await asyncio.sleep(0.01)


async def reach(connector: Connector, state: DeviceState, within_s: float = 5.0) -> None:
    """Wait until the connector as a whole is in `state`; TimeoutError after."""
    async with asyncio.timeout(within_s):
        await connector.wait_state(state)


@contextlib.asynccontextmanager
async def running_connector(
    connector: C, state: DeviceState | None = None, within_s: float = 5.0
) -> AsyncIterator[C]:
    """The connector's run() as a task for the body of the block (once in `state`, if given)."""
    task = asyncio.create_task(connector.run(), name=f"{connector.name}-under-test")
    try:
        if state is not None:
            await reach(connector, state, within_s)
        yield connector
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
