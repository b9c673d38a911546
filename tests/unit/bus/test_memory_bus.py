from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from penworks.bus import (
    MemoryBus,
    Message,
    Overflow,
    matches,
    observation_subject,
    validate_pattern,
)
from penworks.bus.memory import MemorySubscription
from penworks.core import BusError, Observation

TS = datetime(2026, 7, 1, tzinfo=UTC)


def obs(point: str, value: float = 1.0) -> Observation:
    return Observation(point, TS, value)


@pytest.mark.parametrize(
    ("pattern", "subject", "expected"),
    [
        ("obs.>", "obs.b15.f3.r301.zone_air_temp", True),
        ("obs.>", "obs", False),
        ("obs.*.f3.>", "obs.b15.f3.r301.zone_air_temp", True),
        ("obs.*.f3.>", "obs.b15.f2.r201.zone_air_temp", False),
        ("obs.b15.*", "obs.b15.x", True),
        ("obs.b15.*", "obs.b15.x.y", False),
        ("obs.b15.x", "obs.b15.x", True),
    ],
)
def test_wildcard_matching(pattern: str, subject: str, expected: bool) -> None:
    assert matches(pattern, subject) is expected


@pytest.mark.parametrize("pattern", ["", "obs..x", "obs.>.x", "obs.a*"])
def test_malformed_patterns_are_refused(pattern: str) -> None:
    with pytest.raises(ValueError, match="token"):
        validate_pattern(pattern)


async def test_messages_reach_every_matching_subscriber_in_order() -> None:
    bus = MemoryBus()
    everything = bus.subscribe("obs.>", name="all")
    floor3 = bus.subscribe("obs.*.f3.>", name="f3")
    points = ["b15.f3.r301.t", "b15.f2.r201.t", "b15.f3.r302.t"]
    for i, p in enumerate(points):
        await bus.publish(observation_subject(p), obs(p, i))
    got_all = await everything.batch(10)
    got_f3 = await floor3.batch(10)
    assert [m.point for _, m in got_all] == points  # type: ignore[union-attr]
    assert [m.point for _, m in got_f3] == [points[0], points[2]]  # type: ignore[union-attr]


async def test_a_slow_subscriber_with_drop_oldest_is_counted_not_silent() -> None:
    bus = MemoryBus()
    live = bus.subscribe("obs.>", name="live", maxsize=3, overflow=Overflow.DROP_OLDEST)
    for i in range(10):
        await bus.publish("obs.p", obs("p", i))
    stats = live.stats()
    assert stats.dropped == 7
    assert stats.depth == 3
    kept = [m.value for _, m in await live.batch(10)]  # type: ignore[union-attr]
    assert kept == [7, 8, 9]


async def test_a_full_blocking_subscriber_holds_the_publisher_back_and_loses_nothing() -> None:
    bus = MemoryBus()
    sub = bus.subscribe("obs.>", name="history", maxsize=2)

    async def publish_all() -> None:
        for i in range(20):
            await bus.publish("obs.p", obs("p", i))

    publisher = asyncio.create_task(publish_all())
    received: list[float] = []
    while len(received) < 20:
        batch = await asyncio.wait_for(sub.batch(5), timeout=2)
        received.extend(m.value for _, m in batch)  # type: ignore[union-attr,misc]
    await publisher
    assert received == list(range(20))
    assert sub.stats().blocked > 0


async def test_close_keeps_queued_messages_and_then_ends_iteration() -> None:
    bus = MemoryBus()
    sub = bus.subscribe("obs.>", name="history", maxsize=5)
    for i in range(5):
        await bus.publish("obs.p", obs("p", i))
    await sub.close()
    values = [m.value async for _, m in sub]  # type: ignore[union-attr]
    assert values == [0, 1, 2, 3, 4]
    assert await sub.batch(10) == []


async def test_publishing_to_a_wildcard_or_a_closed_bus_is_an_error() -> None:
    bus = MemoryBus()
    with pytest.raises(BusError, match="wildcard"):
        await bus.publish("obs.>", obs("p"))
    await bus.close()
    with pytest.raises(BusError, match="closed"):
        await bus.publish("obs.p", obs("p"))


async def test_unsubscribed_subjects_are_rerouted() -> None:
    bus = MemoryBus()
    first = bus.subscribe("obs.>", name="a")
    await bus.publish("obs.p", obs("p"))
    second = bus.subscribe("obs.p", name="b")
    await bus.publish("obs.p", obs("p", 2))
    assert len(await first.batch(10)) == 2
    assert len(await second.batch(10)) == 1
    await first.close()
    await bus.publish("obs.p", obs("p", 3))
    assert [s.name for s in bus.stats()] == ["b"]


async def test_a_reader_that_emptied_its_queue_is_woken_by_the_next_message_every_time() -> None:
    bus = MemoryBus()
    sub = bus.subscribe("obs.>", name="rules")
    for round_ in range(3):
        reading = asyncio.create_task(sub.batch(10))
        await asyncio.sleep(0)  # the reader now waits on an empty queue
        assert not reading.done()
        await bus.publish("obs.a", obs("a", round_))
        await bus.publish("obs.b", obs("b", round_))
        taken = await asyncio.wait_for(reading, timeout=1)
        assert [(s, m.value) for s, m in taken] == [("obs.a", round_), ("obs.b", round_)]  # type: ignore[union-attr]


async def test_dropping_the_oldest_keeps_each_subject_with_its_message() -> None:
    bus = MemoryBus()
    live = bus.subscribe("obs.>", name="live", maxsize=2, overflow=Overflow.DROP_OLDEST)
    for i in range(5):
        await bus.publish(f"obs.p{i}", obs(f"p{i}", i))
    taken = [(s, m.point) async for s, m in _take(live, 2)]  # type: ignore[union-attr]
    assert taken == [("obs.p3", "p3"), ("obs.p4", "p4")]


async def _take(sub: MemorySubscription, n: int) -> AsyncIterator[tuple[str, Message]]:
    """The first n messages of the subscription, read by iterating it."""
    count = 0
    async for item in sub:
        yield item
        count += 1
        if count == n:
            return
