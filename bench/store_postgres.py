"""Benchmark of PostgresHistory: append rate, latest(), one-day averages raw and from rollups.

    .venv/bin/python bench/store_postgres.py [--dsn postgresql://...] [--rows 1000000]

The same observations as bench/store_sqlite.py (every point at t, then at t+step, over one
day), in a schema of its own that is dropped at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import time
import uuid
from datetime import timedelta
from functools import partial

import asyncpg
from store_sqlite import DAY, DAY_START, QUERY_REPEATS, best_of, make_observations

from penworks.core import Observation
from penworks.store import Aggregate, PostgresHistory, PostgresSettings
from penworks.store.postgres_settings import DEFAULT_DSN

BATCH_SIZES = (1_000, 10_000)


async def append_all(
    history: PostgresHistory, observations: list[Observation], batch: int
) -> float:
    started = time.perf_counter()
    for first in range(0, len(observations), batch):
        await history.append(observations[first : first + batch])
    return time.perf_counter() - started


async def time_queries(history: PostgresHistory, point: str) -> None:
    seconds, latest = await best_of(QUERY_REPEATS, history.latest)
    print(f"latest() of {len(latest):,} points: {seconds * 1e3:8.2f} ms")
    for label, interval in (
        ("5-minute avg (raw)", timedelta(minutes=5)),
        ("hourly avg (rollups)", timedelta(hours=1)),
    ):
        one_day = (point, DAY_START, DAY_START + DAY, Aggregate.AVG, interval)
        seconds, buckets = await best_of(QUERY_REPEATS, partial(history.range, *one_day))
        print(f"one-day {label} of one point ({len(buckets)} buckets): {seconds * 1e3:8.2f} ms")


async def main(dsn: str, rows: int, points: int) -> None:
    observations = make_observations(rows, points)
    print(f"{len(observations):,} observations over {points:,} points")
    schemas = [f"bench_{uuid.uuid4().hex[:12]}" for _ in BATCH_SIZES]
    try:
        for batch, schema in zip(BATCH_SIZES, schemas, strict=True):
            history = PostgresHistory(dsn, schema=schema, settings=PostgresSettings(pool_min=1))
            await history.open()
            try:
                seconds = await append_all(history, observations, batch)
                rate = len(observations) / seconds
                print(f"append in batches of {batch:>6,}: {rate:>10,.0f} rows/s ({seconds:.1f} s)")
                if batch == BATCH_SIZES[-1]:
                    await time_queries(history, observations[0].point)
            finally:
                await history.close()
    finally:
        conn = await asyncpg.connect(dsn)
        try:
            for schema in schemas:
                await conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        finally:
            await conn.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dsn", default=DEFAULT_DSN, help="PostgreSQL to write to")
    parser.add_argument("--rows", type=int, default=1_000_000, help="observations to append")
    parser.add_argument("--points", type=int, default=1_000, help="points they spread over")
    arguments = parser.parse_args()
    asyncio.run(main(arguments.dsn, arguments.rows, arguments.points))
