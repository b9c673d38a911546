from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from penworks.bus import MemoryBus, dead_letter_subject, observation_subject
from penworks.core import DeadLetter, Observation, RealClock, StoreError
from penworks.pipeline import HistoryWriter
from penworks.store.sqlite import SqliteHistory

T0 = datetime(2026, 7, 1, tzinfo=UTC)


class RecordingHistory:
    """Just enough of History for the writer; fails the first `failures` appends."""

    def __init__(self, failures: int = 0) -> None:
        self.rows: dict[tuple[str, datetime], Observation] = {}
        self.letters: list[DeadLetter] = []
        self.failures = failures
        self.calls = 0

    async def append(self, observations: Sequence[Observation]) -> int:
        self.calls += 1
        if self.failures:
            self.failures -= 1
            raise StoreError("disk full")
        before = len(self.rows)
        for o in observations:
            self.rows.setdefault((o.point, o.ts), o)
        return len(self.rows) - before

    async def append_dead_letters(self, letters: Sequence[DeadLetter]) -> None:
        self.letters.extend(letters)


def observation(i: int) -> Observation:
    return Observation(f"b15.p{i % 7}", T0 + timedelta(seconds=i), float(i))


async def test_everything_published_before_stop_is_written() -> None:
    bus = MemoryBus()
    history = RecordingHistory()
    writer = HistoryWriter(bus, history, RealClock(), batch_size=50)  # type: ignore[arg-type]
    task = asyncio.create_task(writer.run())
    for i in range(1_000):
        o = observation(i)
        await bus.publish(observation_subject(o.point), o)
    letter = DeadLetter("mqtt", "b15/x", T0, "payload is not JSON", b"\xff")
    await bus.publish(dead_letter_subject("mqtt"), letter)
    await bus.publish("event.app.started", {"app": "energy"})  # not history: ignored
    await writer.stop()
    await asyncio.wait_for(task, timeout=5)
    assert len(history.rows) == 1_000
    assert history.letters == [letter]
    stats = writer.stats()
    assert stats.observations == 1_000
    assert stats.new_rows == 1_000
    assert stats.dead_letters == 1
    assert stats.batches >= 1_000 // 50
    assert stats.lost == 0


async def test_a_failing_store_is_retried_and_nothing_is_lost() -> None:
    bus = MemoryBus()
    history = RecordingHistory(failures=2)
    writer = HistoryWriter(bus, history, RealClock())  # type: ignore[arg-type]
    task = asyncio.create_task(writer.run())
    for i in range(10):
        o = observation(i)
        await bus.publish(observation_subject(o.point), o)
    await writer.stop()
    await asyncio.wait_for(task, timeout=5)
    assert len(history.rows) == 10
    assert writer.stats().failures == 2
    assert writer.stats().lost == 0


async def test_giving_up_while_stopping_is_counted_as_lost() -> None:
    bus = MemoryBus()
    history = RecordingHistory(failures=100)
    writer = HistoryWriter(bus, history, RealClock())  # type: ignore[arg-type]
    for i in range(5):
        o = observation(i)
        await bus.publish(observation_subject(o.point), o)
    await writer.stop()
    await asyncio.wait_for(writer.run(), timeout=5)
    assert history.rows == {}
    assert writer.stats().lost == 5


async def test_an_observation_the_store_refuses_becomes_a_dead_letter(tmp_path: Path) -> None:
    bus = MemoryBus()
    history = SqliteHistory(tmp_path / "history.db")
    await history.open()
    writer = HistoryWriter(bus, history, RealClock())
    task = asyncio.create_task(writer.run())
    good = [observation(i) for i in range(3)]
    bad = Observation("b15.p9", T0, 2**70)  # does not fit a 64-bit integer column
    for o in [good[0], bad, *good[1:]]:
        await bus.publish(observation_subject(o.point), o)
    await writer.stop()
    await asyncio.wait_for(task, timeout=5)
    try:
        assert await history.count() == 3
        letters = await history.dead_letters(source="history")
        assert [letter.channel for letter in letters] == ["b15.p9"]
        assert "64 bits" in letters[0].reason
        assert writer.stats().rejected == 1
    finally:
        await history.close()
