"""SqliteHistory: the default History, one SQLite file in WAL mode.

SQLite calls block, so each runs in a worker thread (asyncio.to_thread). One writer
connection, guarded by an asyncio.Lock, does every write; a separate read-only connection,
guarded by its own lock, answers queries while writes go on.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import TypeVar

from penworks.core import DeadLetter, Observation, StoreError
from penworks.store.base import Aggregate, DeadLetterCount
from penworks.store.range_query import RangeQuery
from penworks.store.sqlite_read import SqliteReader
from penworks.store.sqlite_write import SqliteWriter

T = TypeVar("T")


class SqliteHistory:
    """History kept in one SQLite file; see penworks.store.base.History for the contract."""

    def __init__(self, path: Path, *, batch_rows: int = 10_000) -> None:
        if batch_rows < 1:
            raise StoreError(f"batch_rows must be at least 1, got {batch_rows}")
        self._path = path
        self._batch_rows = batch_rows
        self._write_lock = asyncio.Lock()
        self._read_lock = asyncio.Lock()
        self._writer: SqliteWriter | None = None
        self._reader: SqliteReader | None = None

    @property
    def path(self) -> Path:
        return self._path

    async def open(self) -> None:
        async with self._write_lock, self._read_lock:
            if self._writer is not None:
                raise StoreError(f"history {self._path} is already open")
            self._writer, self._reader = await self._in_thread("open", _open_both, self._path)

    async def close(self) -> None:
        """Wait for the writes under way, then close both connections. Closing twice is fine."""
        async with self._write_lock, self._read_lock:
            writer, reader = self._writer, self._reader
            self._writer = self._reader = None
            if writer is not None and reader is not None:
                await self._in_thread("close", _close_both, writer, reader)

    async def append(self, observations: Sequence[Observation]) -> int:
        batch = tuple(observations)  # the caller may reuse its list while the thread works
        async with self._write_lock:
            writer = self._open_writer()
            return await self._in_thread("append", writer.append, batch, self._batch_rows)

    async def append_dead_letters(self, letters: Sequence[DeadLetter]) -> None:
        batch = tuple(letters)
        async with self._write_lock:
            writer = self._open_writer()
            await self._in_thread("append_dead_letters", writer.append_dead_letters, batch)

    async def latest(self, points: Sequence[str] | None = None) -> dict[str, Observation]:
        names = None if points is None else tuple(points)
        async with self._read_lock:
            return await self._in_thread("latest", self._open_reader().latest, names)

    async def range(
        self,
        point: str,
        start: datetime,
        end: datetime,
        agg: Aggregate = Aggregate.RAW,
        interval: timedelta | None = None,
        limit: int = 100_000,
    ) -> list[Observation]:
        query = RangeQuery.build(point, start, end, agg, interval, limit)
        async with self._read_lock:
            reader = self._open_reader()
            if query.empty:
                return []
            return await self._in_thread("range", reader.range, query)

    async def count(self, point: str | None = None) -> int:
        async with self._read_lock:
            return await self._in_thread("count", self._open_reader().count, point)

    async def dead_letters(self, source: str | None = None, limit: int = 100) -> list[DeadLetter]:
        if limit < 1:
            raise StoreError(f"limit must be at least 1, got {limit}")
        async with self._read_lock:
            reader = self._open_reader()
            return await self._in_thread("dead_letters", reader.dead_letters, source, limit)

    async def dead_letter_counts(self) -> list[DeadLetterCount]:
        async with self._read_lock:
            reader = self._open_reader()
            return await self._in_thread("dead_letter_counts", reader.dead_letter_counts)

    def _open_writer(self) -> SqliteWriter:
        if self._writer is None:
            raise StoreError(f"history {self._path} is not open")
        return self._writer

    def _open_reader(self) -> SqliteReader:
        if self._reader is None:
            raise StoreError(f"history {self._path} is not open")
        return self._reader

    async def _in_thread(self, what: str, func: Callable[..., T], *args: object) -> T:
        """Run func in a worker thread, SQLite errors becoming StoreError.

        A thread cannot be stopped: if the caller is cancelled, wait for it to finish
        before the lock is released, so no two threads ever share a connection.
        """
        task = asyncio.ensure_future(
            asyncio.to_thread(_as_store_error, what, self._path, func, *args)
        )
        try:
            return await asyncio.shield(task)
        except asyncio.CancelledError:
            await asyncio.wait([task])
            if not task.cancelled():
                task.exception()  # mark it retrieved: the caller was cancelled and will not look
            raise


def _as_store_error(what: str, path: Path, func: Callable[..., T], *args: object) -> T:
    try:
        return func(*args)
    except (sqlite3.Error, OSError) as err:
        raise StoreError(f"history {what} failed on {path}: {err}") from err


def _open_both(path: Path) -> tuple[SqliteWriter, SqliteReader]:
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = SqliteWriter.open(path)
    try:
        return writer, SqliteReader.open(path)
    except BaseException:
        writer.close()
        raise


def _close_both(writer: SqliteWriter, reader: SqliteReader) -> None:
    try:
        reader.close()
    finally:
        writer.close()
