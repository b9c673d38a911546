"""The journal: append-only records of what the platform did and why.

The command audit log, every alarm transition and every notification delivery are records
of one shape: a kind, a key (what it is about: a point id, an alarm id), a time and a JSON
body. They are never changed once written; the current state of an alarm or of a priority
array is rebuilt from them at start. `SqliteJournal` keeps them in one SQLite file (WAL);
`MemoryJournal` in a list, for tests and for runs that need no record.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from penworks.core import StoreError
from penworks.store.sqlite_connection import connect_reader, connect_writer, transaction

_SCHEMA = """
CREATE TABLE IF NOT EXISTS journal (
    seq INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    key TEXT NOT NULL,
    ts_us INTEGER NOT NULL,
    data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS journal_kind_ts ON journal (kind, ts_us);
CREATE INDEX IF NOT EXISTS journal_kind_key_ts ON journal (kind, key, ts_us);
"""


@dataclass(frozen=True, slots=True)
class JournalRecord:
    """One record: `data` must be JSON-ready (str, numbers, bools, None, lists, dicts)."""

    kind: str  # "audit", "alarm", "notification", ...
    key: str  # what it is about: a point id, an alarm id
    ts: datetime
    data: dict[str, Any] = field(default_factory=dict)
    seq: int | None = None  # given by the journal, increasing in append order


class Journal(Protocol):
    """Append-only records; queries return them newest first unless asked otherwise."""

    async def open(self) -> None: ...

    async def close(self) -> None: ...

    async def append(self, records: Sequence[JournalRecord]) -> list[JournalRecord]:
        """Store the records in one transaction; returns them with their `seq`."""
        ...

    async def query(
        self,
        kind: str,
        *,
        key: str | None = None,
        key_prefix: str | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
        limit: int = 1000,
        newest_first: bool = True,
    ) -> list[JournalRecord]:
        """Records of a kind with start <= ts < end, for one key or a key prefix."""
        ...


def _us(ts: datetime) -> int:
    if ts.tzinfo is None:
        raise StoreError("journal times must be timezone-aware")
    return round(ts.timestamp() * 1_000_000)


def _ts(us: int) -> datetime:
    return datetime.fromtimestamp(us / 1_000_000, UTC)


class MemoryJournal:
    """A journal in memory: the same contract, kept for the life of the process."""

    def __init__(self) -> None:
        self._records: list[JournalRecord] = []

    async def open(self) -> None:
        return None

    async def close(self) -> None:
        return None

    async def append(self, records: Sequence[JournalRecord]) -> list[JournalRecord]:
        for record in records:  # the same refusals as the SQLite journal, before any write
            _us(record.ts)
            _dump(record)
        first = len(self._records) + 1
        stored = [replace(r, seq=first + i) for i, r in enumerate(records)]
        self._records.extend(stored)
        return stored

    async def query(
        self,
        kind: str,
        *,
        key: str | None = None,
        key_prefix: str | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
        limit: int = 1000,
        newest_first: bool = True,
    ) -> list[JournalRecord]:
        found = [
            r
            for r in self._records
            if r.kind == kind
            and (key is None or r.key == key)
            and (key_prefix is None or r.key.startswith(key_prefix))
            and (start is None or r.ts >= start)
            and (end is None or r.ts < end)
        ]
        found.sort(key=lambda r: (r.ts, r.seq or 0), reverse=newest_first)
        return found[:limit]


class SqliteJournal:
    """The journal in one SQLite file; blocking calls run in a worker thread."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = asyncio.Lock()
        self._writer: sqlite3.Connection | None = None
        self._reader: sqlite3.Connection | None = None

    async def open(self) -> None:
        async with self._lock:
            if self._writer is not None:
                raise StoreError(f"journal {self.path} is already open")
            self._writer, self._reader = await self._thread(_open, self.path)

    async def close(self) -> None:
        async with self._lock:
            for conn in (self._writer, self._reader):
                if conn is not None:
                    await asyncio.to_thread(conn.close)
            self._writer = self._reader = None

    async def append(self, records: Sequence[JournalRecord]) -> list[JournalRecord]:
        rows = [(r.kind, r.key, _us(r.ts), _dump(r)) for r in records]
        async with self._lock:
            conn = self._connection(self._writer)
            first = await self._thread(_insert, conn, rows)
        return [replace(r, seq=first + i) for i, r in enumerate(records)]

    async def query(
        self,
        kind: str,
        *,
        key: str | None = None,
        key_prefix: str | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
        limit: int = 1000,
        newest_first: bool = True,
    ) -> list[JournalRecord]:
        where: list[str] = ["kind = ?"]
        args: list[object] = [kind]
        if key is not None:
            where.append("key = ?")
            args.append(key)
        if key_prefix is not None:
            where.append("substr(key, 1, ?) = ?")
            args.extend([len(key_prefix), key_prefix])
        if start is not None:
            where.append("ts_us >= ?")
            args.append(_us(start))
        if end is not None:
            where.append("ts_us < ?")
            args.append(_us(end))
        order = "DESC" if newest_first else "ASC"
        sql = (
            f"SELECT seq, kind, key, ts_us, data FROM journal WHERE {' AND '.join(where)} "
            f"ORDER BY ts_us {order}, seq {order} LIMIT ?"
        )
        args.append(limit)
        async with self._lock:
            conn = self._connection(self._reader)
            rows = await self._thread(lambda: conn.execute(sql, args).fetchall())
        return [
            JournalRecord(kind=k, key=key_, ts=_ts(us), data=json.loads(data), seq=seq)
            for seq, k, key_, us, data in rows
        ]

    def _connection(self, conn: sqlite3.Connection | None) -> sqlite3.Connection:
        if conn is None:
            raise StoreError(f"journal {self.path} is not open")
        return conn

    @staticmethod
    async def _thread(fn: Any, *args: Any) -> Any:
        try:
            return await asyncio.to_thread(fn, *args)
        except sqlite3.Error as exc:
            raise StoreError(f"journal: {exc}") from exc


def _dump(record: JournalRecord) -> str:
    try:
        return json.dumps(record.data, separators=(",", ":"), ensure_ascii=False)
    except (TypeError, ValueError) as exc:
        raise StoreError(f"journal record {record.kind}/{record.key} is not JSON: {exc}") from exc


def _open(path: Path) -> tuple[sqlite3.Connection, sqlite3.Connection]:
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = connect_writer(path)
    writer.executescript(_SCHEMA)
    return writer, connect_reader(path)


def _insert(conn: sqlite3.Connection, rows: list[tuple[str, str, int, str]]) -> int:
    with transaction(conn):
        before = conn.execute("SELECT coalesce(max(seq), 0) FROM journal").fetchone()[0]
        conn.executemany("INSERT INTO journal (kind, key, ts_us, data) VALUES (?, ?, ?, ?)", rows)
    return int(before) + 1
