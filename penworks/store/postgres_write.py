"""The writing side of the PostgreSQL history: batched appends through COPY.

Each transaction COPYs its rows into a per-connection staging table, then one statement
inserts the new ones into samples (ON CONFLICT DO NOTHING: idempotent on (point, ts)),
moves `latest` forward and merges the same new rows into the hourly and daily rollups.
Rows go in (point, ts) order, so concurrent writers, in this process or another, take row
locks in the same order and cannot deadlock.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Final

import asyncpg

from penworks.core import DeadLetter, Observation
from penworks.store.codec import count_dead_letters, encode_dead_letters, from_micros
from penworks.store.postgres_codec import SAMPLE_COLUMNS, NamedSample, StageRow, encode_samples
from penworks.store.postgres_partitions import Partitioning
from penworks.store.postgres_rollups import ROLLUPS, merge_cte

STAGE: Final = "penworks_stage"
# ON COMMIT DELETE ROWS: the staging table is empty at the start of every transaction.
CREATE_STAGE: Final = f"""CREATE TEMP TABLE IF NOT EXISTS {STAGE} (
    point_id integer, ts timestamptz, value_f double precision, value_i bigint,
    value_t text, kind smallint, quality smallint
) ON COMMIT DELETE ROWS"""
_NO_PARTITION: Final = "no partition of relation"


def _append_sql(s: str) -> str:
    columns = ", ".join(SAMPLE_COLUMNS)
    updates = ", ".join(f"{c} = excluded.{c}" for c in SAMPLE_COLUMNS[1:])
    rollups = ",\n".join(merge_cte(s, rollup, "fresh") for rollup in ROLLUPS)
    # Samples older than the retention horizon are not kept: their partition is gone, and
    # storing them again would count them twice in the rollups.
    return f"""WITH fresh AS (
    INSERT INTO {s}.samples ({columns})
    SELECT {columns} FROM pg_temp.{STAGE}
    WHERE ts >= coalesce((SELECT raw_horizon FROM {s}.retention), '-infinity')
    ORDER BY point_id, ts
    ON CONFLICT (point_id, ts) DO NOTHING
    RETURNING {columns}
), newest AS (
    INSERT INTO {s}.latest AS l ({columns})
    SELECT DISTINCT ON (point_id) {columns} FROM fresh ORDER BY point_id, ts DESC
    ON CONFLICT (point_id) DO UPDATE SET {updates}
    WHERE excluded.ts > l.ts
),
{rollups}
SELECT count(*) FROM fresh"""


class PostgresWriter:
    """Appends samples and dead letters; knows the id of every point it has written."""

    def __init__(
        self, pool: asyncpg.Pool, schema: str, partitions: Partitioning, point_ids: dict[str, int]
    ) -> None:
        self._pool = pool
        self._s = schema
        self._partitions = partitions
        self._point_ids = point_ids
        self._append = _append_sql(schema)

    @classmethod
    async def load(
        cls, pool: asyncpg.Pool, schema: str, partitions: Partitioning
    ) -> PostgresWriter:
        rows = await pool.fetch(f"SELECT name, id FROM {schema}.points")
        return cls(pool, schema, partitions, {row["name"]: row["id"] for row in rows})

    async def append(self, observations: Sequence[Observation], batch_rows: int) -> int:
        """Store every observation in transactions of batch_rows; returns the new rows.

        The whole batch is checked before anything is written. If a later transaction fails,
        the earlier ones stay: replaying the batch is safe because writes are idempotent.
        """
        samples = encode_samples(observations)
        if not samples:
            return 0
        await self._intern(sample[0] for sample in samples)
        await self._partitions.ensure(self._pool, {sample[1] for sample in samples})
        new_rows = 0
        for first in range(0, len(samples), batch_rows):
            new_rows += await self._append_chunk(samples[first : first + batch_rows])
        return new_rows

    async def append_dead_letters(self, letters: Sequence[DeadLetter]) -> None:
        rows = encode_dead_letters(letters)
        if not rows:
            return
        async with self._pool.acquire() as conn, conn.transaction():
            await conn.executemany(
                f"""INSERT INTO {self._s}.dead_letters (source, channel, ts, reason, payload)
                    VALUES ($1, $2, $3, $4, $5)""",
                [(s, c, from_micros(ts), r, p) for s, c, ts, r, p in rows],
            )
            await conn.executemany(
                f"""INSERT INTO {self._s}.dead_letter_counts AS d
                        (source, channel, reason, count, last_ts)
                    VALUES ($1, $2, $3, $4, $5)
                    ON CONFLICT (source, channel, reason) DO UPDATE SET
                        count = d.count + excluded.count,
                        last_ts = greatest(d.last_ts, excluded.last_ts)""",
                [(s, c, r, n, from_micros(ts)) for s, c, r, n, ts in count_dead_letters(rows)],
            )

    async def _append_chunk(self, samples: list[NamedSample]) -> int:
        ids = self._point_ids
        rows: list[StageRow] = [
            (ids[name], ts, *values, kind, quality)
            for name, _micros, ts, values, kind, quality in samples
        ]
        try:
            return await self._write(rows)
        except asyncpg.CheckViolationError as err:
            if _NO_PARTITION not in str(err):
                raise
        # A partition this process knew was dropped (by hand): make it again, once.
        self._partitions.forget()
        await self._partitions.ensure(self._pool, {sample[1] for sample in samples})
        return await self._write(rows)

    async def _write(self, rows: list[StageRow]) -> int:
        async with self._pool.acquire() as conn, conn.transaction():
            await conn.copy_records_to_table(
                STAGE, records=rows, columns=SAMPLE_COLUMNS, schema_name="pg_temp"
            )
            return int(await conn.fetchval(self._append))

    async def _intern(self, names: Iterable[str]) -> None:
        """Give every unseen point name an id; the cache learns them only once committed."""
        missing = sorted({name for name in names if name not in self._point_ids})
        if not missing:
            return
        async with self._pool.acquire() as conn:
            await conn.execute(
                f"""INSERT INTO {self._s}.points (name) SELECT unnest($1::text[]) ORDER BY 1
                    ON CONFLICT (name) DO NOTHING""",
                missing,
            )
            rows = await conn.fetch(
                f"SELECT name, id FROM {self._s}.points WHERE name = ANY($1::text[])", missing
            )
        self._point_ids.update({row["name"]: row["id"] for row in rows})
