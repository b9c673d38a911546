"""Retention: whole raw partitions (or chunks) dropped, old rollup rows deleted."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import asyncpg

from penworks.store.codec import from_micros, to_micros
from penworks.store.postgres_partitions import Partitioning
from penworks.store.postgres_rollups import ROLLUPS
from penworks.store.postgres_schema import ddl_lock
from penworks.store.postgres_settings import PostgresSettings


@dataclass(frozen=True, slots=True)
class RetentionReport:
    raw_horizon: datetime
    """Raw samples before this are gone, and appends no longer keep them."""
    dropped: tuple[str, ...]
    """The partitions (or TimescaleDB chunks) dropped."""
    rollup_rows_deleted: int


async def apply_retention(
    pool: asyncpg.Pool,
    schema: str,
    partitions: Partitioning,
    settings: PostgresSettings,
    now: datetime,
) -> RetentionReport:
    """One transaction: the horizon moves, partitions wholly before it go, rollups age out."""
    now = from_micros(to_micros(now))  # checks it is timezone-aware; in UTC
    horizon = now - timedelta(days=settings.raw_days)
    rollup_cutoff = now - timedelta(days=settings.rollup_days)
    deleted = 0
    async with pool.acquire() as conn, conn.transaction():
        await ddl_lock(conn, schema)
        horizon = await conn.fetchval(
            f"""UPDATE {schema}.retention SET raw_horizon = greatest(raw_horizon, $1)
                RETURNING raw_horizon""",
            horizon,
        )
        dropped = await partitions.drop_before(conn, horizon)
        for rollup in ROLLUPS:
            # Rows whose whole interval is older than the cutoff.
            status = await conn.execute(
                f"DELETE FROM {schema}.{rollup.table} WHERE bucket <= $1",
                rollup_cutoff - timedelta(microseconds=rollup.micros),
            )
            deleted += int(status.split()[-1])
    return RetentionReport(horizon, tuple(dropped), deleted)
