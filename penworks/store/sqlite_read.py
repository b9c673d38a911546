"""The reading side of the SQLite history: queries on a read-only connection."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Final

from penworks.core import DeadLetter, Observation
from penworks.store.base import Aggregate, DeadLetterCount
from penworks.store.codec import (
    KIND_NUMBER,
    decode_dead_letter,
    decode_observation,
    from_micros,
)
from penworks.store.range_query import RangeQuery
from penworks.store.sqlite_connection import connect_reader

_NAMES_PER_QUERY: Final = 500  # well under SQLite's limit on bound parameters
_MAX_LIMIT: Final = 2**63 - 1

_LATEST_ALL: Final = """SELECT p.name, l.ts, l.value, l.kind, l.quality
    FROM latest AS l JOIN points AS p ON p.id = l.point_id"""
_RAW: Final = """SELECT ts, value, kind, quality FROM samples
    WHERE point_id = :point AND ts >= :start AND ts < :end ORDER BY ts LIMIT :limit"""
# Buckets are floored to the epoch, also before 1970 (SQLite's % truncates towards zero).
_BUCKET: Final = "ts - ((ts % :step) + :step) % :step"
_GROUPED: Final = """FROM samples WHERE point_id = :point AND ts >= :start AND ts < :end
    GROUP BY bucket ORDER BY bucket LIMIT :limit"""
# avg/min/max also report the greatest kind code (non-numbers are refused) and the worst
# quality of the interval. `last` relies on SQLite taking bare columns from the max(ts) row.
_AGGREGATE_SQL: Final = {
    Aggregate.AVG: f"SELECT {_BUCKET} AS bucket, avg(value), max(kind), max(quality) {_GROUPED}",
    Aggregate.MIN: f"SELECT {_BUCKET} AS bucket, min(value), max(kind), max(quality) {_GROUPED}",
    Aggregate.MAX: f"SELECT {_BUCKET} AS bucket, max(value), max(kind), max(quality) {_GROUPED}",
    Aggregate.LAST: f"SELECT {_BUCKET} AS bucket, value, kind, quality, max(ts) {_GROUPED}",
}


def _params(query: RangeQuery, point_id: int) -> dict[str, object]:
    return {
        "point": point_id,
        "start": query.start,
        "end": query.end,
        "step": query.step,
        "limit": min(query.limit, _MAX_LIMIT),
    }


class SqliteReader:
    """Answers history queries; sees every committed write, never blocks the writer."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    @classmethod
    def open(cls, path: Path) -> SqliteReader:
        return cls(connect_reader(path))

    def close(self) -> None:
        self._conn.close()

    def latest(self, points: Sequence[str] | None) -> dict[str, Observation]:
        if points is None:
            return self._observations_by_name(self._conn.execute(_LATEST_ALL))
        names = list(dict.fromkeys(points))
        found: dict[str, Observation] = {}
        for first in range(0, len(names), _NAMES_PER_QUERY):
            chunk = names[first : first + _NAMES_PER_QUERY]
            marks = ", ".join("?" * len(chunk))
            rows = self._conn.execute(f"{_LATEST_ALL} WHERE p.name IN ({marks})", chunk)
            found.update(self._observations_by_name(rows))
        return found

    def range(self, query: RangeQuery) -> list[Observation]:
        point_id = self._point_id(query.point)
        if point_id is None:
            return []
        params = _params(query, point_id)
        if query.agg is Aggregate.RAW:
            rows = self._conn.execute(_RAW, params)
            return [decode_observation(query.point, *row) for row in rows]
        if query.agg is not Aggregate.LAST:
            query.check_numeric(self._latest_kind(point_id))
        buckets = self._conn.execute(_AGGREGATE_SQL[query.agg], params).fetchall()
        if query.agg is Aggregate.LAST:
            return [decode_observation(query.point, b, v, k, q) for b, v, k, q, _ in buckets]
        for bucket in buckets:
            query.check_numeric(bucket[2])
        return [decode_observation(query.point, b, v, KIND_NUMBER, q) for b, v, _, q in buckets]

    def count(self, point: str | None) -> int:
        if point is None:
            return int(self._conn.execute("SELECT count(*) FROM samples").fetchone()[0])
        point_id = self._point_id(point)
        if point_id is None:
            return 0
        row = self._conn.execute("SELECT count(*) FROM samples WHERE point_id = ?", (point_id,))
        return int(row.fetchone()[0])

    def dead_letters(self, source: str | None, limit: int) -> list[DeadLetter]:
        columns = "SELECT source, channel, ts, reason, payload FROM dead_letters"
        order = "ORDER BY ts DESC, id DESC LIMIT ?"
        if source is None:
            rows = self._conn.execute(f"{columns} {order}", (limit,))
        else:
            rows = self._conn.execute(f"{columns} WHERE source = ? {order}", (source, limit))
        return [decode_dead_letter(*row) for row in rows]

    def dead_letter_counts(self) -> list[DeadLetterCount]:
        rows = self._conn.execute(
            "SELECT source, channel, reason, count, last_ts FROM dead_letter_counts"
            " ORDER BY source, channel, reason"
        )
        return [DeadLetterCount(s, c, r, n, from_micros(ts)) for s, c, r, n, ts in rows]

    def _point_id(self, point: str) -> int | None:
        row = self._conn.execute("SELECT id FROM points WHERE name = ?", (point,)).fetchone()
        return None if row is None else int(row[0])

    def _latest_kind(self, point_id: int) -> int:
        row = self._conn.execute("SELECT kind FROM latest WHERE point_id = ?", (point_id,))
        found = row.fetchone()
        return KIND_NUMBER if found is None else int(found[0])

    @staticmethod
    def _observations_by_name(rows: sqlite3.Cursor) -> dict[str, Observation]:
        return {name: decode_observation(name, *rest) for name, *rest in rows}
