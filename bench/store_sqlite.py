"""Benchmark of SqliteHistory: append rate, latest() and a one-day 5-minute average.

    .venv/bin/python bench/store_sqlite.py [--rows 1000000] [--points 1000]

Observations arrive time-major (every point at t, then every point at t+step), spread over
one day, as a building's connectors would deliver them.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypeVar

from penworks.core import Observation, Quality
from penworks.store import Aggregate, SqliteHistory

DAY_START = datetime(2026, 7, 1, tzinfo=UTC)
DAY = timedelta(days=1)
T = TypeVar("T")
BATCH_SIZES = (1_000, 10_000)
QUERY_REPEATS = 5


def make_observations(rows: int, points: int) -> list[Observation]:
    per_point = max(1, rows // points)
    step = DAY / per_point
    names = [f"b15.f{p % 8}.r{p:04d}.zone_air_temp" for p in range(points)]
    return [
        Observation(name, DAY_START + i * step, 20.0 + (i + p) % 50 / 10, Quality.GOOD)
        for i in range(per_point)
        for p, name in enumerate(names)
    ]


async def append_all(path: Path, observations: list[Observation], batch: int) -> float:
    """Seconds to append every observation in batches of `batch`, open and close excluded."""
    history = SqliteHistory(path, batch_rows=max(batch, 10_000))
    await history.open()
    try:
        started = time.perf_counter()
        for first in range(0, len(observations), batch):
            await history.append(observations[first : first + batch])
        return time.perf_counter() - started
    finally:
        await history.close()


async def best_of(repeats: int, query: Callable[[], Awaitable[T]]) -> tuple[float, T]:
    """The fastest of `repeats` runs, and the query's answer."""
    timings: list[float] = []
    for _ in range(repeats):
        started = time.perf_counter()
        result = await query()
        timings.append(time.perf_counter() - started)
    return min(timings), result


async def time_queries(path: Path, point: str) -> None:
    history = SqliteHistory(path)
    await history.open()
    try:
        seconds, latest = await best_of(QUERY_REPEATS, history.latest)
        print(f"latest() of {len(latest):,} points: {seconds * 1e3:8.2f} ms")
        seconds, buckets = await best_of(
            QUERY_REPEATS,
            lambda: history.range(
                point, DAY_START, DAY_START + DAY, Aggregate.AVG, timedelta(minutes=5)
            ),
        )
        print(
            f"one-day 5-minute avg of one point ({len(buckets)} buckets): {seconds * 1e3:8.2f} ms"
        )
        seconds, total = await best_of(1, history.count)
        print(f"count() of {total:,} rows: {seconds * 1e3:8.2f} ms")
    finally:
        await history.close()


def files_size(path: Path) -> int:
    """Bytes of the database with its WAL and shared-memory files."""
    return sum(f.stat().st_size for f in path.parent.glob(f"{path.name}*"))


async def main(rows: int, points: int) -> None:
    started = time.perf_counter()
    observations = make_observations(rows, points)
    built = time.perf_counter() - started
    print(f"{len(observations):,} observations over {points:,} points (built in {built:.1f} s)")
    with tempfile.TemporaryDirectory(prefix="penworks-bench-") as folder:
        paths = [Path(folder) / f"history-{batch}.db" for batch in BATCH_SIZES]
        for batch, path in zip(BATCH_SIZES, paths, strict=True):
            seconds = await append_all(path, observations, batch)
            rate = len(observations) / seconds
            print(f"append in batches of {batch:>6,}: {rate:>10,.0f} rows/s ({seconds:.1f} s)")
        await time_queries(paths[-1], observations[0].point)
        size = files_size(paths[-1])
        print(f"file size: {size / 2**20:.1f} MiB ({size / len(observations):.0f} bytes/row)")
    print(f"total {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="observations to append")
    parser.add_argument("--points", type=int, default=1_000, help="points they spread over")
    arguments = parser.parse_args()
    asyncio.run(main(arguments.rows, arguments.points))
