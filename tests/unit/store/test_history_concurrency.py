"""History under concurrent use: many writers and readers, and cancelled writes."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from penworks.core import Observation
from penworks.store import History

T0 = datetime(2026, 7, 1, 8, 0, tzinfo=UTC)
WRITERS = 8
BATCHES = 10
BATCH = 250


def batch_of(writer: int, batch: int) -> list[Observation]:
    first = batch * BATCH
    return [
        Observation(f"b15.w{writer}.p{i % 5}", T0 + timedelta(seconds=first + i), first + i)
        for i in range(BATCH)
    ]


async def test_concurrent_appends_lose_nothing(history: History) -> None:
    async def write(writer: int) -> int:
        return sum([await history.append(batch_of(writer, b)) for b in range(BATCHES)])

    async def read_meanwhile() -> None:
        for _ in range(BATCHES):
            await history.latest()
            await history.count()

    async with asyncio.TaskGroup() as group:
        writes = [group.create_task(write(w), name=f"writer-{w}") for w in range(WRITERS)]
        group.create_task(read_meanwhile(), name="reader")

    total = WRITERS * BATCHES * BATCH
    assert [w.result() for w in writes] == [BATCHES * BATCH] * WRITERS
    assert await history.count() == total
    latest = await history.latest()
    newest = [o for w in range(WRITERS) for o in batch_of(w, BATCHES - 1)[-5:]]
    assert latest == {o.point: o for o in newest}


async def test_a_cancelled_append_finishes_and_leaves_the_store_usable(
    history: History,
) -> None:
    big = [Observation("p", T0 + timedelta(milliseconds=i), i) for i in range(5_000)]
    task = asyncio.create_task(history.append(big), name="big-append")
    await asyncio.sleep(0)  # let it take the lock and start its work
    task.cancel()
    small = [Observation("q", T0, 1.0)]
    assert await history.append(small) == 1
    assert task.cancelled()
    # Once begun, the append was not cut off: it completed before the next one started.
    assert await history.count() == len(big) + len(small)
