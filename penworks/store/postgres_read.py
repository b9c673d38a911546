"""The reading side of the PostgreSQL history.

range() with an aggregate reads the hourly or daily rollups for the whole intervals of a
long range when the interval is a whole number of hours or days, and raw samples for the
rest: the partial intervals at either end, and any other interval.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, Final

import asyncpg

from penworks.core import DeadLetter, Observation, StoreError, Value
from penworks.store.base import Aggregate, DeadLetterCount
from penworks.store.codec import KIND_NUMBER, decode_quality, from_micros
from penworks.store.postgres_codec import columns, decode_columns
from penworks.store.postgres_rollups import Rollup, last_sql, rollup_for, stats_sql
from penworks.store.range_query import RangeQuery

_MAX_LIMIT: Final = 2**63 - 1


def _raw_sql(s: str) -> str:
    return f"""SELECT ts, {columns()} FROM {s}.samples
    WHERE point_id = $1 AND ts >= $2 AND ts < $3 ORDER BY ts LIMIT $4"""


def _raw_stats_sql(s: str) -> str:
    """As rollups.stats_sql, from the samples. date_bin floors to the origin, which is
    never after the first sample (see Piece.origin)."""
    return f"""SELECT date_bin($4, ts, $5) AS b,
        avg(coalesce(value_f, value_i)), min(value_f), min(value_i), max(value_f), max(value_i),
        max(kind), max(quality)
    FROM {s}.samples WHERE point_id = $1 AND ts >= $2 AND ts < $3
    GROUP BY b ORDER BY b LIMIT $6"""


def _raw_last_sql(s: str) -> str:
    # The newest ts of each interval first, then those rows by primary key: no sort of
    # the whole range.
    return f"""SELECT b.b, {columns("s.")}
    FROM (
        SELECT date_bin($4, ts, $5) AS b, max(ts) AS ts FROM {s}.samples
        WHERE point_id = $1 AND ts >= $2 AND ts < $3
        GROUP BY b ORDER BY b LIMIT $6
    ) AS b
    JOIN {s}.samples AS s ON s.point_id = $1 AND s.ts = b.ts
    ORDER BY b.b"""


class Piece:
    """A part of a range, read from one source: raw samples (rollup None) or a rollup."""

    __slots__ = ("end", "rollup", "start")

    def __init__(self, rollup: Rollup | None, start: int, end: int) -> None:
        self.rollup, self.start, self.end = rollup, start, end

    def params(self, point_id: int, step: int, limit: int) -> tuple[Any, ...]:
        return (
            point_id,
            from_micros(self.start),
            from_micros(self.end),
            timedelta(microseconds=step),
            self.origin(step),
            min(limit, _MAX_LIMIT),
        )

    def origin(self, step: int) -> datetime:
        """An interval boundary (aligned to the epoch) at or before the piece's start."""
        try:
            return from_micros(self.start - self.start % step)
        except OverflowError:
            raise StoreError(
                f"interval {timedelta(microseconds=step)} is too long for a range starting"
                f" at {from_micros(self.start)}"
            ) from None


def plan(query: RangeQuery) -> list[Piece]:
    """Rollups for the whole intervals in the middle, raw samples at the partial ends."""
    rollup = rollup_for(query.step)
    first = -(-query.start // query.step) * query.step  # the first boundary >= start
    last = query.end // query.step * query.step  # the last boundary <= end
    if rollup is None or first >= last:
        return [Piece(None, query.start, query.end)]
    pieces = [Piece(None, query.start, first)] if query.start < first else []
    pieces.append(Piece(rollup, first, last))
    if last < query.end:
        pieces.append(Piece(None, last, query.end))
    return pieces


class PostgresReader:
    """Answers history queries from the pool; every query sees every committed write."""

    def __init__(self, pool: asyncpg.Pool, schema: str) -> None:
        self._pool = pool
        self._s = schema
        self._latest_all = f"""SELECT p.name, l.ts, {columns("l.")}
            FROM {schema}.latest AS l JOIN {schema}.points AS p ON p.id = l.point_id"""

    async def latest(self, points: Sequence[str] | None) -> dict[str, Observation]:
        if points is None:
            rows = await self._pool.fetch(self._latest_all)
        elif not points:
            return {}
        else:
            names = list(dict.fromkeys(points))
            rows = await self._pool.fetch(
                f"{self._latest_all} WHERE p.name = ANY($1::text[])", names
            )
        return {row[0]: decode_columns(*row) for row in rows}

    async def range(self, query: RangeQuery) -> list[Observation]:
        point_id = await self._point_id(query.point)
        if point_id is None:
            return []
        if query.agg is Aggregate.RAW:
            rows = await self._pool.fetch(
                _raw_sql(self._s),
                point_id,
                from_micros(query.start),
                from_micros(query.end),
                min(query.limit, _MAX_LIMIT),
            )
            return [decode_columns(query.point, *row) for row in rows]
        if query.agg is not Aggregate.LAST:
            query.check_numeric(await self._latest_kind(point_id))
        found: list[Observation] = []
        for piece in plan(query):
            if len(found) >= query.limit:
                break
            found += await self._aggregate(query, piece, point_id, query.limit - len(found))
        return found

    async def count(self, point: str | None) -> int:
        if point is None:
            return int(await self._pool.fetchval(f"SELECT count(*) FROM {self._s}.samples"))
        return int(
            await self._pool.fetchval(
                f"""SELECT count(*) FROM {self._s}.samples
                    WHERE point_id = (SELECT id FROM {self._s}.points WHERE name = $1)""",
                point,
            )
        )

    async def dead_letters(self, source: str | None, limit: int) -> list[DeadLetter]:
        columns = f"SELECT source, channel, ts, reason, payload FROM {self._s}.dead_letters"
        order = "ORDER BY ts DESC, id DESC"
        if source is None:
            rows = await self._pool.fetch(f"{columns} {order} LIMIT $1", limit)
        else:
            rows = await self._pool.fetch(
                f"{columns} WHERE source = $1 {order} LIMIT $2", source, limit
            )
        return [DeadLetter(s, c, ts, r, bytes(p)) for s, c, ts, r, p in rows]

    async def dead_letter_counts(self) -> list[DeadLetterCount]:
        # COLLATE "C": byte order, as SQLite sorts, whatever the database's collation.
        rows = await self._pool.fetch(
            f"""SELECT source, channel, reason, count, last_ts FROM {self._s}.dead_letter_counts
                ORDER BY source COLLATE "C", channel COLLATE "C", reason COLLATE "C" """
        )
        return [DeadLetterCount(s, c, r, n, ts) for s, c, r, n, ts in rows]

    async def _aggregate(
        self, query: RangeQuery, piece: Piece, point_id: int, limit: int
    ) -> list[Observation]:
        params = piece.params(point_id, query.step, limit)
        if query.agg is Aggregate.LAST:
            sql = (
                _raw_last_sql(self._s) if piece.rollup is None else last_sql(self._s, piece.rollup)
            )
            rows = await self._pool.fetch(sql, *params)
            return [decode_columns(query.point, *row) for row in rows]
        sql = _raw_stats_sql(self._s) if piece.rollup is None else stats_sql(self._s, piece.rollup)
        found = []
        for bucket, avg, min_f, min_i, max_f, max_i, kind, quality in await self._pool.fetch(
            sql, *params
        ):
            query.check_numeric(kind)
            value = _pick(query.agg, avg, (min_f, min_i), (max_f, max_i))
            found.append(Observation(query.point, bucket, value, decode_quality(quality)))
        return found

    async def _point_id(self, point: str) -> int | None:
        found = await self._pool.fetchval(f"SELECT id FROM {self._s}.points WHERE name = $1", point)
        return None if found is None else int(found)

    async def _latest_kind(self, point_id: int) -> int:
        found = await self._pool.fetchval(
            f"SELECT kind FROM {self._s}.latest WHERE point_id = $1", point_id
        )
        return KIND_NUMBER if found is None else int(found)


def _pick(
    agg: Aggregate,
    avg: float,
    lows: tuple[float | None, int | None],
    highs: tuple[float | None, int | None],
) -> Value:
    """avg as it is; min and max as the stored value, float or int, that wins."""
    if agg is Aggregate.AVG:
        return avg
    if agg is Aggregate.MIN:
        return min(v for v in lows if v is not None)
    return max(v for v in highs if v is not None)
