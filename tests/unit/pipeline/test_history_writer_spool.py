from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from penworks.bus import (
    MemoryBus,
    Message,
    Overflow,
    Subscription,
    SubscriptionStats,
    dead_letter_subject,
    observation_subject,
)
from penworks.core import DeadLetter, Observation, RealClock, StoreError
from penworks.pipeline import HistoryWriter
from penworks.pipeline.spool import Fsync, Spool
from penworks.store.sqlite import SqliteHistory
from tests.unit.pipeline.support import eventually

T0 = datetime(2026, 7, 1, tzinfo=UTC)
FAST_RETRY = (0.005, 0.02)


class SwitchedHistory(SqliteHistory):
    """SqliteHistory with a switch: while `down`, every write fails as a lost database would."""

    down = False

    async def append(self, observations: Sequence[Observation]) -> int:
        if self.down:
            raise StoreError("database unreachable")
        return await super().append(observations)

    async def append_dead_letters(self, letters: Sequence[DeadLetter]) -> None:
        if self.down:
            raise StoreError("database unreachable")
        await super().append_dead_letters(letters)


class AckedSubscription:
    """A subscription that counts what was taken and how much of it was acknowledged."""

    def __init__(self, inner: Subscription) -> None:
        self._inner = inner
        self.name = inner.name
        self.pattern = inner.pattern
        self.taken = 0
        self.acked = 0

    def __aiter__(self) -> AsyncIterator[tuple[str, Message]]:
        raise NotImplementedError

    async def batch(self, max_items: int) -> list[tuple[str, Message]]:
        items = await self._inner.batch(max_items)
        self.taken += len(items)
        return items

    async def ack(self) -> None:
        self.acked = self.taken

    def stats(self) -> SubscriptionStats:
        return self._inner.stats()

    async def close(self) -> None:
        await self._inner.close()


class AckingBus(MemoryBus):
    def subscribe(  # type: ignore[override]
        self,
        pattern: str,
        *,
        name: str,
        maxsize: int = 10_000,
        overflow: Overflow = Overflow.BLOCK,
        durable: bool = False,
    ) -> AckedSubscription:
        self.sub = AckedSubscription(
            super().subscribe(
                pattern, name=name, maxsize=maxsize, overflow=overflow, durable=durable
            )
        )
        return self.sub


def observation(i: int) -> Observation:
    return Observation(f"b15.p{i % 7}", T0 + timedelta(seconds=i), float(i))


async def publish_range(bus: MemoryBus, numbers: range) -> None:
    for i in numbers:
        o = observation(i)
        await bus.publish(observation_subject(o.point), o)


@pytest.fixture
async def history(tmp_path: Path) -> AsyncIterator[SwitchedHistory]:
    h = SwitchedHistory(tmp_path / "history.db")
    await h.open()
    yield h
    await h.close()


async def open_spool(path: Path, capacity_bytes: int = 1 << 20) -> Spool:
    spool = Spool(path, capacity_bytes=capacity_bytes, fsync=Fsync.NEVER)
    await spool.open()
    return spool


async def test_an_outage_is_spooled_acknowledged_and_stored_once_back(
    tmp_path: Path, history: SwitchedHistory
) -> None:
    bus = AckingBus()
    spool = await open_spool(tmp_path / "spool")
    writer = HistoryWriter(
        bus, history, RealClock(), batch_size=20, spool=spool, retry_s=FAST_RETRY
    )
    running = asyncio.create_task(writer.run())
    await publish_range(bus, range(0, 50))
    await eventually(lambda: writer.stats().observations == 50)
    assert bus.sub.acked == 50

    history.down = True
    await publish_range(bus, range(50, 150))
    letter = DeadLetter("mqtt", "b15/x", T0, "payload is not JSON", b"\xff")
    await bus.publish(dead_letter_subject("mqtt"), letter)
    await eventually(lambda: writer.stats().spooled == 101)
    await eventually(lambda: bus.sub.acked == 151)  # kept in the spool: acknowledged
    assert writer.stats().store_down
    assert await history.count() == 50

    history.down = False
    await eventually(lambda: not writer.stats().store_down)  # a replay got through
    await publish_range(bus, range(150, 200))  # straight to the store again
    await eventually(lambda: spool.pending == 0 and writer.stats().observations == 200)
    await writer.stop()
    await asyncio.wait_for(running, 5)
    await spool.close()

    assert await history.count() == 200
    assert [d.reason for d in await history.dead_letters()] == ["payload is not JSON"]
    latest = await history.latest()
    assert latest["b15.p0"] == observation(196)  # the newest, whatever came in first
    stats = writer.stats()
    assert (stats.observations, stats.new_rows, stats.dead_letters) == (200, 200, 1)
    assert (stats.spooled, stats.replayed, stats.lost) == (101, 101, 0)
    assert stats.failures >= 1
    assert not stats.store_down
    assert stats.spool is not None
    assert stats.spool.records == 0
    assert bus.sub.acked == bus.sub.taken == 201


async def test_a_spool_left_by_an_earlier_run_is_written_at_the_next_start(
    tmp_path: Path, history: SwitchedHistory
) -> None:
    bus = AckingBus()
    spool = await open_spool(tmp_path / "spool")
    history.down = True
    writer = HistoryWriter(bus, history, RealClock(), spool=spool, retry_s=FAST_RETRY)
    running = asyncio.create_task(writer.run())
    await publish_range(bus, range(0, 30))
    await writer.stop()  # stopping with the store away: the rest goes to the spool at once
    await asyncio.wait_for(running, 5)
    assert (writer.stats().spooled, writer.stats().lost) == (30, 0)
    await spool.close()

    history.down = False
    spool = await open_spool(tmp_path / "spool")
    writer = HistoryWriter(AckingBus(), history, RealClock(), spool=spool, retry_s=FAST_RETRY)
    running = asyncio.create_task(writer.run())
    await eventually(lambda: spool.pending == 0)
    await writer.stop()
    await asyncio.wait_for(running, 5)
    await spool.close()
    assert await history.count() == 30
    assert writer.stats().replayed == 30


async def test_with_the_spool_full_the_batch_waits_unacknowledged(
    tmp_path: Path, history: SwitchedHistory
) -> None:
    bus = AckingBus()
    spool = await open_spool(tmp_path / "spool", capacity_bytes=3_000)
    writer = HistoryWriter(
        bus, history, RealClock(), batch_size=10, spool=spool, retry_s=FAST_RETRY
    )
    running = asyncio.create_task(writer.run())
    history.down = True
    await publish_range(bus, range(0, 100))  # about 100 bytes each: more than fits
    await eventually(lambda: spool.stats().rejected > 0)
    assert bus.sub.acked < bus.sub.taken  # the batch that did not fit is not acknowledged
    assert bus.sub.acked == writer.stats().spooled
    history.down = False
    await eventually(lambda: writer.stats().observations == 100 and spool.pending == 0)
    await writer.stop()
    await asyncio.wait_for(running, 5)
    await spool.close()
    assert await history.count() == 100
    assert writer.stats().lost == 0
    assert bus.sub.acked == bus.sub.taken == 100
