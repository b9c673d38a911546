"""TimescaleDB, used for the samples table when the server offers it.

The rest of the store does not know the difference: a hypertable is written and read like
the natively partitioned table, TimescaleDB makes its chunks itself, and retention drops
whole chunks with drop_chunks.
"""

from __future__ import annotations

from datetime import datetime
from typing import Final

import asyncpg

_AVAILABLE: Final = (
    "SELECT EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb')"
)


async def timescale_available(conn: asyncpg.Connection) -> bool:
    """Whether the server has the timescaledb extension installed (not yet enabled)."""
    return bool(await conn.fetchval(_AVAILABLE))


async def enable_timescale(conn: asyncpg.Connection) -> bool:
    """Enable the extension if the server has it; False when it does not or cannot load it.

    An installed extension may still refuse to load (not in shared_preload_libraries, or a
    role without the right): the store then falls back to native partitioning.
    """
    if not await timescale_available(conn):
        return False
    try:
        async with conn.transaction():  # a savepoint: a refusal leaves the migration usable
            await conn.execute("CREATE EXTENSION IF NOT EXISTS timescaledb")
    except asyncpg.PostgresError:
        return False
    return True


def hypertable_statements(schema: str, chunk_days: int) -> list[str]:
    """Turn the (still empty, unpartitioned) samples table into a hypertable."""
    return [
        f"""SELECT create_hypertable('{schema}.samples', 'ts',
            chunk_time_interval => interval '{chunk_days} days',
            create_default_indexes => false)"""
    ]


class Hypertable:
    """The samples table as TimescaleDB chunks: nothing to prepare before a write."""

    def __init__(self, schema: str) -> None:
        self._schema = schema

    async def ensure(self, pool: asyncpg.Pool, micros: set[int]) -> None:
        return None

    def forget(self) -> None:
        return None

    async def drop_before(self, conn: asyncpg.Connection, cutoff: datetime) -> list[str]:
        """Drop the chunks that end at or before cutoff (in the caller's transaction)."""
        rows = await conn.fetch(
            f"SELECT drop_chunks('{self._schema}.samples', older_than => $1::timestamptz)",
            cutoff,
        )
        return [str(row[0]) for row in rows]
