"""The writing side of the SQLite history: one connection, used from one thread at a time."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Final

from penworks.core import DeadLetter, Observation
from penworks.store.codec import (
    SampleRow,
    count_dead_letters,
    encode_dead_letters,
    encode_observations,
)
from penworks.store.sqlite_connection import connect_writer, transaction
from penworks.store.sqlite_schema import migrate

_INSERT_SAMPLE: Final = (
    "INSERT OR IGNORE INTO samples (point_id, ts, value, kind, quality) VALUES (?, ?, ?, ?, ?)"
)
# Only a newer sample replaces the latest one, so out-of-order arrivals cannot roll it back.
_UPSERT_LATEST: Final = """INSERT INTO latest (point_id, ts, value, kind, quality)
    VALUES (?, ?, ?, ?, ?)
    ON CONFLICT (point_id) DO UPDATE SET
        ts = excluded.ts, value = excluded.value, kind = excluded.kind, quality = excluded.quality
    WHERE excluded.ts > latest.ts"""
_INSERT_LETTER: Final = (
    "INSERT INTO dead_letters (source, channel, ts, reason, payload) VALUES (?, ?, ?, ?, ?)"
)
_UPSERT_LETTER_COUNT: Final = """INSERT INTO dead_letter_counts
    (source, channel, reason, count, last_ts) VALUES (?, ?, ?, ?, ?)
    ON CONFLICT (source, channel, reason) DO UPDATE SET
        count = count + excluded.count, last_ts = max(last_ts, excluded.last_ts)"""


class SqliteWriter:
    """Appends samples and dead letters; knows the id of every point it has written."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn
        self._point_ids: dict[str, int] = dict(conn.execute("SELECT name, id FROM points"))

    @classmethod
    def open(cls, path: Path) -> SqliteWriter:
        conn = connect_writer(path)
        try:
            migrate(conn)
            return cls(conn)
        except BaseException:
            conn.close()
            raise

    def close(self) -> None:
        try:
            self._conn.execute("PRAGMA optimize")
        finally:
            self._conn.close()

    def append(self, observations: Sequence[Observation], batch_rows: int) -> int:
        """Store every observation in transactions of batch_rows; returns the new rows.

        The whole batch is checked before anything is written. If a later transaction fails,
        the earlier ones stay: replaying the batch is safe because writes are idempotent.
        """
        rows = encode_observations(observations)
        self._intern(row[0] for row in rows)
        ids = self._point_ids
        new_rows = 0
        for first in range(0, len(rows), batch_rows):
            chunk = rows[first : first + batch_rows]
            new_rows += self._append_chunk([(ids[n], t, v, k, q) for n, t, v, k, q in chunk])
        return new_rows

    def append_dead_letters(self, letters: Sequence[DeadLetter]) -> None:
        rows = encode_dead_letters(letters)
        if not rows:
            return
        with transaction(self._conn):
            self._conn.executemany(_INSERT_LETTER, rows)
            self._conn.executemany(_UPSERT_LETTER_COUNT, count_dead_letters(rows))

    def _append_chunk(self, rows: list[SampleRow]) -> int:
        with transaction(self._conn):
            before = self._conn.total_changes
            self._conn.executemany(_INSERT_SAMPLE, rows)
            new_rows = self._conn.total_changes - before
            self._conn.executemany(_UPSERT_LATEST, _newest_per_point(rows))
        return new_rows

    def _intern(self, names: Iterable[str]) -> None:
        """Give every unseen point name an id; the cache learns them only once committed."""
        missing = {name for name in names if name not in self._point_ids}
        if not missing:
            return
        learned: dict[str, int] = {}
        with transaction(self._conn):
            for name in sorted(missing):
                self._conn.execute("INSERT OR IGNORE INTO points (name) VALUES (?)", (name,))
                row = self._conn.execute("SELECT id FROM points WHERE name = ?", (name,))
                learned[name] = int(row.fetchone()[0])
        self._point_ids.update(learned)


def _newest_per_point(rows: list[SampleRow]) -> list[SampleRow]:
    # The first of equal timestamps wins, as INSERT OR IGNORE keeps the first too.
    newest: dict[int, SampleRow] = {}
    for row in rows:
        held = newest.get(row[0])
        if held is None or row[1] > held[1]:
            newest[row[0]] = row
    return list(newest.values())
