from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from penworks.bus import Bus, MemoryBus, Message, Overflow, Subscription, SubscriptionStats
from penworks.core import BusError, Command, DeadLetter, Observation, Quality
from penworks.pipeline.spool import Fsync, Spool
from penworks.pipeline.spool_codec import decode_message, encode_message
from penworks.pipeline.spooling_publisher import SpoolingPublisher
from tests.unit.pipeline.support import eventually

T0 = datetime(2026, 7, 1, tzinfo=UTC)


class FlakyBus:
    """A MemoryBus that can be taken away: `down` raises BusError, `hang` never answers."""

    def __init__(self) -> None:
        self.inner = MemoryBus()
        self.down = False
        self.hang = False
        self.refused = 0

    async def publish(self, subject: str, message: Message) -> None:
        if self.down:
            self.refused += 1
            raise BusError("connection lost")
        if self.hang:
            await asyncio.Event().wait()
        await self.inner.publish(subject, message)

    def subscribe(
        self,
        pattern: str,
        *,
        name: str,
        maxsize: int = 10_000,
        overflow: Overflow = Overflow.BLOCK,
        durable: bool = False,
    ) -> Subscription:
        return self.inner.subscribe(
            pattern, name=name, maxsize=maxsize, overflow=overflow, durable=durable
        )

    def stats(self) -> list[SubscriptionStats]:
        return self.inner.stats()

    async def close(self) -> None:
        await self.inner.close()


class Received:
    """Every observation value the subscriber got, in order."""

    def __init__(self, sub: Subscription) -> None:
        self.values: list[float] = []
        self._task = asyncio.create_task(self._take(sub))

    def stop(self) -> None:
        self._task.cancel()

    async def _take(self, sub: Subscription) -> None:
        async for _, message in sub:
            assert isinstance(message, Observation)
            self.values.append(float(message.value))


def observation(i: int) -> Observation:
    return Observation(f"b15.p{i % 3}", T0 + timedelta(seconds=i), float(i))


async def publish_range(publisher: SpoolingPublisher, numbers: range) -> None:
    for i in numbers:
        o = observation(i)
        await publisher.publish(f"obs.{o.point}", o)


async def opened(path: Path, **options: Any) -> Spool:
    spool = Spool(path, **options)
    await spool.open()
    return spool


@pytest.fixture
async def spool(tmp_path: Path) -> AsyncIterator[Spool]:
    s = await opened(tmp_path / "spool", capacity_bytes=1 << 20, fsync=Fsync.NEVER)
    yield s
    await s.close()


async def test_an_outage_is_spooled_and_forwarded_in_order(spool: Spool) -> None:
    bus = FlakyBus()
    received = Received(bus.subscribe("obs.>", name="test"))
    publisher = SpoolingPublisher(bus, spool, retry_s=(0.005, 0.02))
    forwarding = asyncio.create_task(publisher.run())
    await publish_range(publisher, range(0, 10))
    bus.down = True
    await publish_range(publisher, range(10, 60))
    assert publisher.publisher_stats().spooling
    await eventually(lambda: bus.refused >= 3)  # the forwarder keeps probing
    bus.down = False
    await publish_range(publisher, range(60, 70))  # behind the spooled ones
    await eventually(lambda: len(received.values) >= 70)
    await eventually(lambda: not publisher.publisher_stats().spooling)
    await publish_range(publisher, range(70, 75))
    await eventually(lambda: len(received.values) >= 75)
    await publisher.stop()
    await asyncio.wait_for(forwarding, 2)

    received.stop()
    assert received.values == [float(i) for i in range(75)]
    stats = publisher.publisher_stats()
    assert stats.direct + stats.spooled == 75
    assert stats.spooled >= 50
    assert stats.forwarded == stats.spooled
    assert (stats.rejected, stats.spool.records) == (0, 0)
    assert stats.direct >= 15  # before the outage, and again after the spool emptied


async def test_a_bus_that_does_not_answer_is_spooled_after_the_timeout(spool: Spool) -> None:
    bus = FlakyBus()
    received = Received(bus.subscribe("obs.>", name="test"))
    publisher = SpoolingPublisher(bus, spool, publish_timeout_s=0.02, retry_s=(0.005, 0.02))
    forwarding = asyncio.create_task(publisher.run())
    bus.hang = True
    await publish_range(publisher, range(0, 5))
    assert publisher.publisher_stats().spooled == 5
    bus.hang = False
    await eventually(lambda: len(received.values) >= 5)
    await publisher.stop()
    await asyncio.wait_for(forwarding, 2)
    received.stop()
    assert received.values == [float(i) for i in range(5)]


async def test_what_an_earlier_run_spooled_goes_before_anything_new(tmp_path: Path) -> None:
    path = tmp_path / "spool"
    bus = FlakyBus()
    received = Received(bus.subscribe("obs.>", name="test"))
    spool = await opened(path, capacity_bytes=1 << 20)
    first = SpoolingPublisher(bus, spool)
    bus.down = True
    await publish_range(first, range(0, 5))  # run() never started: all left in the spool
    await spool.close()

    bus.down = False
    spool = await opened(path, capacity_bytes=1 << 20)
    second = SpoolingPublisher(bus, spool)
    await publish_range(second, range(5, 8))  # queued behind the five, not sent ahead
    assert received.values == []
    forwarding = asyncio.create_task(second.run())
    await eventually(lambda: len(received.values) >= 8)
    await second.stop()
    await asyncio.wait_for(forwarding, 2)
    await spool.close()
    received.stop()
    assert received.values == [float(i) for i in range(8)]


async def test_full_spool_refuses_raises_the_alarm_and_clears_it(tmp_path: Path) -> None:
    bus = FlakyBus()
    received = Received(bus.subscribe("obs.>", name="test"))
    spool = await opened(
        tmp_path / "spool", capacity_bytes=4_000, segment_bytes=500, fsync=Fsync.NEVER
    )
    alerts = spool.alerts()
    publisher = SpoolingPublisher(bus, spool, retry_s=(0.005, 0.02))
    forwarding = asyncio.create_task(publisher.run())
    bus.down = True
    kept: list[int] = []
    refused = 0
    for i in range(100):
        o = observation(i)
        try:
            await publisher.publish(f"obs.{o.point}", o)
            kept.append(i)
        except BusError:
            refused += 1
    assert 10 < len(kept) < 100
    with pytest.raises(BusError, match="spool cannot keep"):
        await publisher.publish("obs.b15.p0", observation(100))
    refused += 1
    raised = await asyncio.wait_for(anext(alerts), 1)
    assert raised.high
    assert raised.fill >= 0.8
    bus.down = False
    cleared = await asyncio.wait_for(anext(alerts), 5)
    assert not cleared.high
    await eventually(lambda: len(received.values) >= len(kept))
    await publisher.stop()
    await asyncio.wait_for(forwarding, 2)
    await spool.close()
    received.stop()
    assert received.values == [float(i) for i in kept]
    stats = publisher.publisher_stats()
    assert (stats.rejected, stats.spool.rejected) == (refused, refused)


async def test_what_no_bus_takes_is_refused_and_not_spooled(spool: Spool) -> None:
    bus = FlakyBus()
    publisher: Bus = SpoolingPublisher(bus, spool)  # what connectors are given
    bus.down = True
    with pytest.raises(BusError, match="wildcard"):
        await publisher.publish("obs.*", observation(1))
    with pytest.raises(BusError, match="cannot encode"):
        await publisher.publish("event.x", {"when": T0})
    assert spool.pending == 0


@pytest.mark.parametrize(
    ("subject", "message"),
    [
        ("obs.b15.p1", Observation("b15.p1", T0, 21.5, Quality.UNCERTAIN)),
        ("obs.b15.p2", Observation("b15.p2", T0, True)),
        ("deadletter.mqtt", DeadLetter("mqtt", "b15/x", T0, "not JSON", b"\xff\x00")),
        ("cmd.bacnet.b15.sp", Command("b15.sp", None, 8, "rules", "night", T0)),
        ("event.app.energy.started", {"app": "energy", "n": [1, 2.5, None]}),
    ],
)
def test_the_spool_codec_gives_back_what_it_was_given(subject: str, message: Message) -> None:
    assert decode_message(encode_message(subject, message)) == (subject, message)


def test_the_spool_codec_refuses_bytes_that_are_no_message() -> None:
    for data in (b"", b"[]", b'{"s": "x", "k": "obs", "m": {}}', b'{"s":"x","k":"?","m":1}'):
        with pytest.raises(ValueError):  # noqa: PT011  # the Decoder contract: ValueError
            decode_message(data)


async def test_many_publishes_under_way_lose_nothing_through_an_outage(spool: Spool) -> None:
    bus = FlakyBus()
    received = Received(bus.subscribe("obs.>", name="test"))
    publisher = SpoolingPublisher(bus, spool, window=50, retry_s=(0.005, 0.02))
    forwarding = asyncio.create_task(publisher.run())
    await publish_range(publisher, range(0, 100))
    bus.down = True
    await publish_range(publisher, range(100, 300))
    await eventually(lambda: bus.refused >= 3)
    bus.down = False
    await publish_range(publisher, range(300, 400))
    await eventually(lambda: len(set(received.values)) >= 400)
    await publisher.stop()
    await asyncio.wait_for(forwarding, 2)
    received.stop()
    assert set(received.values) == {float(i) for i in range(400)}
    stats = publisher.publisher_stats()
    assert stats.spooled > 0
    assert stats.forwarded == stats.spooled
    assert stats.direct + stats.spooled == 400
    assert (stats.rejected, stats.spool.records) == (0, 0)


async def test_windowed_publishes_that_get_no_answer_are_spooled_after_the_timeout(
    spool: Spool,
) -> None:
    bus = FlakyBus()
    received = Received(bus.subscribe("obs.>", name="test"))
    publisher = SpoolingPublisher(
        bus, spool, window=20, publish_timeout_s=0.05, retry_s=(0.005, 0.02)
    )
    forwarding = asyncio.create_task(publisher.run())
    bus.hang = True
    await publish_range(publisher, range(0, 10))
    await publisher.flush()  # each publish task ends: timed out, then spooled
    assert publisher.publisher_stats().spooled == 10
    assert publisher.publisher_stats().failures == 10
    bus.hang = False
    await eventually(lambda: len(received.values) >= 10)
    await publisher.stop()
    await asyncio.wait_for(forwarding, 2)
    received.stop()
    assert sorted(received.values) == [float(i) for i in range(10)]


async def test_a_windowed_publish_cancelled_from_outside_is_not_taken_for_a_timeout(
    spool: Spool,
) -> None:
    bus = FlakyBus()
    publisher = SpoolingPublisher(bus, spool, window=20, publish_timeout_s=5.0)
    bus.hang = True
    await publish_range(publisher, range(0, 3))
    flying = set(publisher._flying)  # noqa: SLF001 - the publish tasks themselves
    for task in flying:
        task.cancel()
    await asyncio.gather(*flying, return_exceptions=True)
    assert all(task.cancelled() for task in flying)
    assert publisher.publisher_stats().spooled == 0
    await publisher.stop()
